"""Rounds without hand-editing TOML: `scorecard round add`, stage/date validation, templates
carried over."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import EXIT_OK, EXIT_USAGE, main
from pipeline.config import ConfigError, config_from_dict, load_config
from pipeline.form import load_form
from pipeline.rounds import NewRound, add_round, insert_block
from pipeline.tables import write_table
from pipeline.templates.carry import carried_over
from pipeline.templates.instructions import TemplateUnit
from pipeline.templates.workbook import CARRY_FILL, build_workbook
from tests.report_fixtures import make_district

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def toml(tmp_path) -> Path:
    path = tmp_path / "scorecard.toml"
    shutil.copy(REPO / "scorecard.toml", path)
    return path


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "#" in line]


def test_round_add_keeps_every_comment_and_infers_the_stage(toml):
    before = toml.read_text(encoding="utf-8")
    config = add_round(
        toml,
        NewRound(
            "2026-09",
            "9月检查",
            pd.Timestamp("2026-09-25").date(),
            pd.Timestamp("2026-09-28").date(),
            pd.Timestamp("2026-09-30").date(),
        ),
    )
    after = toml.read_text(encoding="utf-8")
    assert _comments(before) == _comments(after)
    r = config.round("2026-09")
    assert r.stage == "第二阶段" and r.name == "9月检查"
    assert [x.id for x in load_config(toml).rounds_in_order()][-1] == "2026-09"
    # the block sits with the other rounds, before the next table
    assert after.index('id = "2026-09"') < after.index("[ingest]") if "[ingest]" in after else True


def test_round_add_rejects_a_stage_that_does_not_contain_the_date(toml):
    before = toml.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="不在阶段"):
        add_round(
            toml,
            NewRound(
                "2026-09",
                "9月检查",
                pd.Timestamp("2026-09-25").date(),
                pd.Timestamp("2026-09-28").date(),
                pd.Timestamp("2026-09-30").date(),
                stage="第一阶段",
            ),
        )
    assert toml.read_text(encoding="utf-8") == before


def test_round_add_rejects_duplicates_and_disordered_dates(toml):
    before = toml.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="重复"):
        add_round(
            toml,
            NewRound(
                "2026-08",
                "x",
                pd.Timestamp("2026-09-25").date(),
                pd.Timestamp("2026-09-28").date(),
                pd.Timestamp("2026-09-30").date(),
            ),
        )
    with pytest.raises(ConfigError, match="早于"):
        add_round(
            toml,
            NewRound(
                "2026-10",
                "x",
                pd.Timestamp("2026-10-25").date(),
                pd.Timestamp("2026-10-20").date(),
                pd.Timestamp("2026-10-30").date(),
            ),
        )
    assert toml.read_text(encoding="utf-8") == before


def test_config_validation_rejects_a_stage_not_containing_the_round_date(toml):
    data = tomllib.loads(toml.read_text(encoding="utf-8"))
    data["rounds"][0]["stage"] = "第三阶段"
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, toml.parent, toml)
    assert any(p.key == "rounds[0].stage" and "不在阶段" in p.message for p in info.value.problems)


def test_insert_block_without_rounds_appends():
    assert insert_block("[paths]\nx = 1\n", '[[rounds]]\nid = "a"\n').endswith(
        '[[rounds]]\nid = "a"\n'
    )


def test_cli_round_add_then_unknown_round_hint(toml, capsys):
    code = main(
        [
            "--config",
            str(toml),
            "round",
            "add",
            "--id",
            "2026-09",
            "--name",
            "9月检查",
            "--as-of",
            "2026-09-25",
            "--deadline",
            "2026-09-28",
        ]
    )
    assert code == EXIT_OK
    assert "2026-09" in capsys.readouterr().out
    code = main(
        [
            "--config",
            str(toml),
            "round",
            "add",
            "--id",
            "2026-10",
            "--as-of",
            "2026/10/25",
            "--deadline",
            "2026-10-28",
        ]
    )
    assert code == EXIT_USAGE
    code = main(["--config", str(toml), "template", "--round", "2027-01"])
    assert code == EXIT_USAGE and "scorecard round add" in capsys.readouterr().err


def test_template_carries_over_the_last_accepted_return(tmp_path):
    config = make_district(tmp_path / "d", n_units=6, evil=False)
    folder = config.paths.processed_round("2026-08")
    write_table(
        pd.DataFrame(
            {
                "unit_id": pd.Series(["U001", "U001"], dtype="string"),
                "category": ["会议记录", "党员台账"],
                "copies": pd.array([3, 1], dtype="Int64"),
                "standard": [True, False],
                "filed": [True, True],
                "updated": pd.Series([pd.Timestamp("2026-08-01")] * 2, dtype="datetime64[ms]"),
                "tied_to_work": [True, False],
                "note": pd.Series(["", "缺两页"], dtype="string"),
            }
        ),
        folder,
        "materials",
    )
    config = add_round(
        config.source,
        NewRound(
            "2026-09",
            "9月检查",
            pd.Timestamp("2026-09-25").date(),
            pd.Timestamp("2026-09-28").date(),
            pd.Timestamp("2026-09-30").date(),
        ),
    )
    carry = carried_over(config, "2026-09")
    c = carry["U001"]
    assert c.round_id == "2026-08" and "theme" in c.values
    assert "成立活动领导小组" in c.actions and len(c.materials) == 2
    assert "U006" not in carry  # sent nothing in either round
    form = load_form(1)
    wb = build_workbook(
        form,
        config.campaign,
        config.round("2026-09"),
        TemplateUnit("U001", "社区单位01", "街道"),
        "x.xlsx",
        carry=c,
    )
    info = wb["基本情况"]
    theme_row = next(r for r in info.iter_rows() if r[0].value == "活动主题")
    assert theme_row[1].value == c.values["theme"] and theme_row[1].fill.fgColor.rgb.endswith(
        CARRY_FILL.fgColor.rgb[-6:]
    )
    mats = wb["基础资料"]
    assert mats["A2"].value == "会议记录" and mats["C2"].value == "是" and mats["C3"].value == "否"
    acts = wb["规定动作"]
    headers = [c.value for c in acts[1]]
    status = (
        headers.index("完成情况") + 1
        if "完成情况" in headers
        else next(
            i for i, h in enumerate(headers, start=1) if (h and "状态" in h) or (h and "情况" in h)
        )
    )
    assert acts.cell(row=2, column=status).value == "已完成"
    notes = " ".join(str(c.value) for c in wb["填报说明"]["A"] if c.value)
    assert re.search(r"浅绿色单元格沿用了本单位8月检查已采用报表的内容", notes)
    for row in wb["基本情况"].iter_rows():  # personal data is never carried
        if row[0].value in ("联系人", "联系电话"):
            assert row[1].value in (None, "")
