"""Every default and domain literal lives in one place (issue 18, point 2).

A value changed in the form spec (action states, unit types) is seen by the
scorer, the action stage, the roster check and the charts; a default changed in
scorecard.toml is seen by the demo (tests/test_config.py); no function restates
a config default as a literal in its signature.
"""

from __future__ import annotations

import ast
import copy
import inspect
import tomllib
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import REPO
from pydantic import BaseModel

import pipeline.config as config_module
import pipeline.form as form_module
from pipeline.form import FormSpecError, load_form, parse_form

SPEC = resources.files("pipeline.form").joinpath("spec_v1.toml").read_text(encoding="utf-8")


@pytest.fixture
def edited_spec(tmp_path: Path, monkeypatch):
    """Replace the packaged spec_v1.toml (the one place) with an edited copy."""

    def use(text: str) -> None:
        (tmp_path / "spec_v1.toml").write_text(text, encoding="utf-8")
        monkeypatch.setattr(form_module.resources, "files", lambda _pkg: tmp_path)
        load_form.cache_clear()

    yield use
    load_form.cache_clear()


def test_action_states_are_named_in_the_spec_and_among_the_status_choices() -> None:
    form = load_form()
    status = form.sheet("actions").column("status")
    s = form.action_states
    assert {s.done, s.in_progress, s.not_started} == set(status.choices)
    data = tomllib.loads(SPEC)
    bad = copy.deepcopy(data)
    bad["action_states"]["done"] = "办完了"
    with pytest.raises(FormSpecError, match=r"action_states\.done"):
        parse_form(bad)
    missing = copy.deepcopy(data)
    del missing["action_states"]
    with pytest.raises(FormSpecError, match="action_states"):
        parse_form(missing)
    same = copy.deepcopy(data)
    same["action_states"]["in_progress"] = same["action_states"]["done"]
    with pytest.raises(FormSpecError, match="differ"):
        parse_form(same)


def test_unit_types_are_the_forms_choices() -> None:
    form = load_form()
    assert form.unit_types == form.sheet("info").column("unit_type").choices
    assert "街道" in form.unit_types


def test_a_status_word_changed_in_the_spec_is_seen_everywhere(edited_spec) -> None:
    from pipeline.act.items import action_facts
    from pipeline.score.progress import action_credit
    from pipeline.templates import carry  # noqa: F401  (reads the state at call time too)

    edited_spec(SPEC.replace('"已完成"', '"已办结"'))
    assert load_form().action_states.done == "已办结"
    actions = pd.DataFrame(
        {
            "unit_id": ["U1", "U1", "U2"],
            "action": ["甲", "乙", "甲"],
            "status": ["已办结", "进行中", "已完成"],
        }
    )
    credit = action_credit(actions, ["甲", "乙"], partial_credit=0.5).set_index(
        ["unit_id", "action"]
    )["credit"]
    assert credit.to_dict() == {
        ("U1", "甲"): 1.0,
        ("U1", "乙"): 0.5,
        ("U2", "甲"): 0.0,
    }  # the old word is no longer done

    ctx = SimpleNamespace(due_actions=("甲",), round_name="七月检查")
    facts = action_facts(["U1", "U2"], actions, ctx).set_index("unit_id")
    assert not bool(facts.loc["U1", "holds"])  # 已办结 = done: no item
    assert bool(facts.loc["U2", "holds"])


def test_unit_types_changed_in_the_spec_are_seen_by_roster_and_charts(edited_spec) -> None:
    from pipeline.charts._style import sort_types
    from pipeline.roster import RosterError, read_roster_frame

    edited_spec(
        SPEC.replace(
            'choices = ["街道", "社区", "镇", "村", "区级部门", "企业"]',
            'choices = ["企业", "街道", "社区", "镇", "村", "区级部门", "学校"]',
        )
    )
    assert load_form().unit_types[0] == "企业"
    assert sort_types(["街道", "学校", "企业", "其他"]) == ["企业", "街道", "学校", "其他"]
    ok = read_roster_frame(
        pd.DataFrame({"单位编码": ["S1"], "单位名称": ["第一中学"], "单位类型": ["学校"]})
    )
    assert list(ok["unit_type"]) == ["学校"]
    edited_spec(SPEC)
    with pytest.raises(RosterError):
        read_roster_frame(
            pd.DataFrame({"单位编码": ["S1"], "单位名称": ["第一中学"], "单位类型": ["学校"]})
        )


# --- no config default restated as a literal in a function signature ---------------------

# parameter names that stand for a config field of another name
ALIASES = {
    "z_flag": "modified_z_flag",
    "window": "deadline_window_days",
    "window_days": "deadline_window_days",
    "shrinkage": "bunching_shrinkage",
    "min_activities": "bunching_min_activities",
    "late_days": "late_action_days",
    "neighbours": "theme_neighbours",
    "current_days": "material_current_days",
    "min_subunits": "theil_min_subunits",
    "spread": "weight_spread",
    "unstable_width": "unstable_rank_width",
    "cutoff": "name_match_cutoff",
    "margin": "overstate_margin",
    "skew_max": "outlier_skew",
    "kurt_max": "outlier_kurtosis",
    "max_points": "winsorise_max_points",
    "office": "office",
}


def _config_defaults() -> dict[str, list[object]]:
    """Field name -> its defaults in the config models."""
    out: dict[str, list[object]] = {}
    for obj in vars(config_module).values():
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj is not BaseModel:
            for name, info in obj.model_fields.items():
                out.setdefault(name, []).append(info.default)
    return out


def test_no_signature_restates_a_config_default() -> None:
    """A literal default equal to the config model's default of the same key is a second source."""
    defaults = _config_defaults()
    offenders = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        if "demo" in path.parts or path.name == "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if isinstance(node, ast.ClassDef):  # dataclass fields (e.g. ingest.read.Limits)
                pairs = [
                    (s.target.id, s.value)
                    for s in node.body
                    if isinstance(s, ast.AnnAssign)
                    and isinstance(s.target, ast.Name)
                    and s.value is not None
                ]
            else:
                a = node.args
                pairs = [
                    (x.arg, d)
                    for x, d in zip(
                        a.args[len(a.args) - len(a.defaults) :], a.defaults, strict=True
                    )
                ]
                pairs += [
                    (x.arg, d)
                    for x, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
                    if d is not None
                ]
            for name, default in pairs:
                literal = (
                    isinstance(default, ast.Constant)
                    and default.value is not None
                    and not isinstance(default.value, bool)
                    and default.value != ""
                )
                if literal and default.value in defaults.get(ALIASES.get(name, name), []):
                    offenders.append(
                        f"{path.relative_to(REPO)}:{default.lineno} {name}={default.value!r}"
                    )
    assert not offenders, offenders
