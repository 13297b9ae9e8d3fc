"""Rectification item rules (整改事项): one rule per item key, evaluated on one round's tables.

Every rule gives, per scored unit, a *fact*: whether the problem holds this
round (`holds`), a number on the rule's scale (`value`) and its `gap` to the
cut-off (0 when it does not hold), and the Chinese evidence. The same facts
open items (this round's `holds`) and re-check last round's items (the fact
for the same unit and key this round), so a key means the same thing in
every round. Item keys (stable strings; the part after ``:`` is a name from
the form spec), each with its weakness and when it holds:

- `action:<规定动作>` (uneven_progress): the action is due by the as-of date and not 已完成
- `materials:<资料类别>` (weak_basics): the required category is absent (no row or 0 copies)
- `materials:quality` (weak_basics): share of the four standards met < `quality_min`
- `carrier:single` (weak_basics): activities use fewer than `formats_min` formats
- `publicity:none` (weak_basics): publicity reports on < `publicity_min` of the activities
- `theme:missing` (unclear_theme): no usable theme
- `theme:copied` (unclear_theme): the theme is in a copy cluster with other units
- `theme:generic` (unclear_theme): not copied, and close to a district slogan
  (≥ `similar_cosine`)
- `theme:no_keyword` (unclear_theme): names none of the unit's business keywords
- `activity:none` (shallow_understanding): no activity recorded in the period
- `timing:bunched` (shallow_understanding): shrunk bunching index ≥ `bunching_max`
  (no fact below `bunching_min_activities`)
- `timing:last_minute` (shallow_understanding): ≥ `last_minute_max` of the done due actions
  in the last week
- `work:not_tied` (shallow_understanding): < `tied_min` of the activities tied to work
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.config import ActItems, Scoring
from pipeline.form import load_form

FACT_COLUMNS = [
    "unit_id",
    "item_key",
    "weakness",
    "holds",
    "value",
    "gap",
    "evidence",
    "instruction",
]

KEY_LABELS: dict[str, str] = {
    "action": "规定动作未完成",
    "materials": "基础资料缺项",
    "materials:quality": "资料质量不高",
    "carrier:single": "活动载体单一",
    "publicity:none": "缺乏宣传报道",
    "theme:missing": "未填写活动主题",
    "theme:copied": "活动主题与其他单位雷同",
    "theme:generic": "活动主题为通用口号",
    "theme:no_keyword": "活动主题未体现本单位业务",
    "activity:none": "未开展活动",
    "timing:bunched": "活动集中在检查前",
    "timing:last_minute": "规定动作临近检查才完成",
    "work:not_tied": "活动未结合业务工作",
}
"""Chinese label of each item key (family `action`/`materials` for named keys)."""


def key_label(item_key: str) -> str:
    if item_key in KEY_LABELS:
        return KEY_LABELS[item_key]
    return KEY_LABELS.get(item_key.split(":", 1)[0], item_key)


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the indicators."""

    due_actions: Sequence[str]
    required_materials: Sequence[str]
    round_name: str
    current_days: int
    late_days: int
    window_days: int
    similar_cosine: float
    cuts: ActItems


def _pct(x: float | None) -> str:
    return (
        "—"
        if x is None or (isinstance(x, float) and math.isnan(x))
        else f"{round(100 * float(x))}%"
    )


def _f(x: object) -> float:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return v


def _row(
    uid: str,
    key: str,
    weakness: str,
    holds: bool,
    value: float,
    gap: float,
    evidence: str,
    instruction: str,
) -> dict:
    return {
        "unit_id": uid,
        "item_key": key,
        "weakness": weakness,
        "holds": bool(holds),
        "value": float(value),
        "gap": float(gap) if holds else 0.0,
        "evidence": evidence,
        "instruction": instruction,
    }


def action_facts(ids: Sequence[str], actions: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """`action:<name>` for every due action of every scored unit (a missing row counts as
    未开始); vectorised."""
    due = list(ctx.due_actions)
    states = load_form().action_states  # the form's words for done / in progress / not started
    grid = pd.DataFrame(
        {
            "unit_id": np.repeat(np.asarray(list(ids), dtype=object), len(due)),
            "action": np.tile(np.asarray(due, dtype=object), len(ids)),
        }
    )
    if len(actions):
        a = pd.DataFrame(
            {
                "unit_id": actions["unit_id"].astype(str).to_numpy(dtype=object),
                "action": actions["action"].astype("string").fillna("").to_numpy(dtype=object),
                "s": actions["status"].astype("string").fillna("").to_numpy(dtype=object),
            }
        )
        a["r"] = a["s"].map({states.done: 2, states.in_progress: 1}).fillna(0).astype(int)
        best = a.sort_values("r").drop_duplicates(["unit_id", "action"], keep="last")
        grid = grid.merge(best[["unit_id", "action", "s"]], on=["unit_id", "action"], how="left")
    else:
        grid["s"] = ""
    st = grid["s"].fillna("").replace("", states.not_started).astype(str)
    value = st.map({states.done: 1.0, states.in_progress: 0.5}).fillna(0.0).astype(float)
    holds = (st != states.done).to_numpy()
    name = grid["action"].astype(str)
    return pd.DataFrame(
        {
            "unit_id": grid["unit_id"],
            "item_key": "action:" + name,
            "weakness": "uneven_progress",
            "holds": holds,
            "value": value,
            "gap": np.where(holds, 1.0 - value, 0.0),
            "evidence": ctx.round_name + "规定动作「" + name + "」状态：" + st,
            "instruction": "按计划完成规定动作「" + name + "」，并留存佐证材料",
        }
    )


def unit_facts(r: dict, ctx: RuleContext, copy_peers: str = "") -> list[dict]:
    """All non-action facts of one unit from its `indicators` row."""
    c, uid, rn = ctx.cuts, str(r["unit_id"]), ctx.round_name
    out: list[dict] = []
    missing = {m for m in str(r.get("materials_missing") or "").split("、") if m}
    for cat in ctx.required_materials:
        absent = cat in missing
        out.append(
            _row(
                uid,
                f"materials:{cat}",
                "weak_basics",
                absent,
                0.0 if absent else 1.0,
                1.0,
                f"{rn}{'缺' if absent else '已有'}{cat}",
                f"补齐基础资料：{cat}",
            )
        )
    present = int(_f(r.get("materials_present")) or 0)
    q = _f(r.get("materials_quality"))
    if present:
        out.append(
            _row(
                uid,
                "materials:quality",
                "weak_basics",
                q < c.quality_min,
                q,
                c.quality_min - q,
                f"{rn}资料规范{_pct(r.get('materials_standard_share'))}、归档{_pct(r.get('materials_filed_share'))}、"
                f"近{ctx.current_days}天更新{_pct(r.get('materials_current_share'))}、"
                f"结合工作{_pct(r.get('materials_tied_share'))}（达标{_pct(q)}）",
                "按规范整理、归档现有资料，及时更新并结合当前工作，重质量不重数量",
            )
        )
    n = int(_f(r.get("activities_n")) or 0)
    out.append(
        _row(
            uid,
            "activity:none",
            "shallow_understanding",
            n == 0,
            float(n),
            1.0,
            f"{rn}记录活动{n}次",
            "把活动融入日常工作，按月开展并如实记录",
        )
    )
    if n:
        k = int(_f(r.get("formats_n")) or 0)
        out.append(
            _row(
                uid,
                "carrier:single",
                "weak_basics",
                k < c.formats_min,
                float(k),
                float(c.formats_min - k),
                f"{rn}{n}次活动采用{k}种载体",
                "丰富活动载体，如志愿服务、现场观摩、主题实践等",
            )
        )
        p = _f(r.get("publicity_share"))
        out.append(
            _row(
                uid,
                "publicity:none",
                "weak_basics",
                p < c.publicity_min,
                p,
                c.publicity_min - p,
                f"{rn}{n}次活动中{round(p * n)}次有宣传报道",
                "加强活动宣传，做到重要活动有报道、有展示",
            )
        )
        t = _f(r.get("tied_share"))
        out.append(
            _row(
                uid,
                "work:not_tied",
                "shallow_understanding",
                t < c.tied_min,
                t,
                c.tied_min - t,
                f"{rn}{n}次活动中{round(t * n)}次结合业务工作",
                "把活动与本单位业务工作结合起来，避免为活动而活动",
            )
        )
        b = _f(r.get("bunching_index_shrunk"))
        nw, np_ = (
            int(_f(r.get("activities_in_window")) or 0),
            int(_f(r.get("activities_in_period")) or 0),
        )
        if bool(r.get("bunching_counted")) and not math.isnan(
            b
        ):  # too few activities: no fact, not "fixed"
            out.append(
                _row(
                    uid,
                    "timing:bunched",
                    "shallow_understanding",
                    b >= c.bunching_max,
                    b,
                    b - c.bunching_max + 1e-9,
                    f"{rn}{np_}次活动中{nw}次集中在检查前{ctx.window_days}天",
                    "把活动分散到平时，避免集中在检查前一个月突击开展",
                )
            )
    done = int(_f(r.get("actions_done_due")) or 0)
    if done:
        lm = _f(r.get("last_minute_share"))
        out.append(
            _row(
                uid,
                "timing:last_minute",
                "shallow_understanding",
                lm >= c.last_minute_max,
                lm,
                lm - c.last_minute_max + 1e-9,
                f"{rn}已完成的{done}项规定动作中"
                f"{int(_f(r.get('actions_last_minute')) or 0)}项在检查前"
                f"{ctx.late_days}天内才完成",
                "按时间节点推进规定动作，不在检查前突击完成",
            )
        )
    miss = bool(r.get("theme_missing"))
    out.append(
        _row(
            uid,
            "theme:missing",
            "unclear_theme",
            miss,
            0.0 if miss else 1.0,
            1.0,
            f"{rn}{'未填写有效的活动主题' if miss else '已填写活动主题'}",
            "结合本单位业务提炼活动主题并报送",
        )
    )
    if not miss:
        theme = str(r.get("theme") or "")
        copies = int(_f(r.get("theme_copies")) or 0)
        peers = f"（当前主题与{copy_peers}雷同）" if copy_peers else ""
        out.append(
            _row(
                uid,
                "theme:copied",
                "unclear_theme",
                copies > 0,
                float(copies),
                float(copies),
                f"{rn}主题「{theme}」与另{copies}个单位雷同"
                if copies
                else f"{rn}主题「{theme}」未与其他单位雷同",
                f"重新提炼活动主题，体现本单位业务{peers}",
            )
        )
        g = _f(r.get("theme_generic"))
        generic = copies == 0 and g >= ctx.similar_cosine
        out.append(
            _row(
                uid,
                "theme:generic",
                "unclear_theme",
                generic,
                g,
                g - ctx.similar_cosine + 1e-9,
                f"{rn}主题「{theme}」与全区通用口号相似度{g:.2f}",
                "活动主题不照搬通用口号，提出本单位的具体目标",
            )
        )
        kw = bool(r.get("theme_keyword"))
        hint = str(r.get("keywords") or "")
        hint = f"（如{'、'.join(hint.split('、')[:3])}）" if hint else ""
        out.append(
            _row(
                uid,
                "theme:no_keyword",
                "unclear_theme",
                not kw,
                1.0 if kw else 0.0,
                1.0,
                f"{rn}主题「{theme}」"
                + (f"体现了本单位业务（{r.get('theme_keywords')}）" if kw else "未体现本单位业务"),
                f"活动主题要体现本单位业务{hint}",
            )
        )
    return out


UNIT_COLUMNS = (
    "unit_id",
    "materials_missing",
    "materials_present",
    "materials_quality",
    "materials_standard_share",
    "materials_filed_share",
    "materials_current_share",
    "materials_tied_share",
    "activities_n",
    "formats_n",
    "publicity_share",
    "tied_share",
    "bunching_index_shrunk",
    "bunching_counted",
    "activities_in_window",
    "activities_in_period",
    "actions_done_due",
    "last_minute_share",
    "actions_last_minute",
    "theme_missing",
    "theme",
    "theme_copies",
    "theme_generic",
    "theme_keyword",
    "theme_keywords",
    "keywords",
)
"""The indicator columns the rules read."""


def copy_peer_names(ind: pd.DataFrame, names: dict[str, str], limit: int = 2) -> dict[str, str]:
    """Per unit in a copy cluster: the names of up to `limit` other members
    ("某某社区、某某村等")."""
    out: dict[str, str] = {}
    if "theme_cluster" not in ind:
        return out
    c = ind[["unit_id", "theme_cluster"]].dropna()
    for _, grp in c.groupby("theme_cluster"):
        ids = [str(u) for u in grp["unit_id"]]
        for u in ids:
            others = [names.get(o, o) for o in ids if o != u]
            if others:
                out[u] = "、".join(others[:limit]) + ("等" if len(others) > limit else "")
    return out


def rule_context(
    scoring: Scoring,
    cuts: ActItems,
    due_actions: Sequence[str],
    required: Sequence[str],
    round_name: str,
) -> RuleContext:
    return RuleContext(
        tuple(due_actions),
        tuple(required),
        round_name,
        scoring.material_current_days,
        scoring.late_action_days,
        scoring.deadline_window_days,
        scoring.explain.similar_cosine,
        cuts,
    )


def facts_table(
    ind: pd.DataFrame, actions: pd.DataFrame, ctx: RuleContext, names: dict[str, str] | None = None
) -> pd.DataFrame:
    """Every rule's fact for every scored unit of one round (see module docstring)."""
    ids = [str(u) for u in ind["unit_id"]]
    peers = copy_peer_names(ind, names or {})
    rows: list[dict] = []
    used = [c for c in UNIT_COLUMNS if c in ind]
    for r in ind[used].astype(object).to_dict("records"):
        rows.extend(unit_facts(r, ctx, peers.get(str(r["unit_id"]), "")))
    out = pd.concat(
        [action_facts(ids, actions, ctx), pd.DataFrame(rows, columns=FACT_COLUMNS)],
        ignore_index=True,
    )
    return out.astype(
        {
            "unit_id": "string",
            "item_key": "string",
            "weakness": "string",
            "holds": bool,
            "value": "float64",
            "gap": "float64",
            "evidence": "string",
            "instruction": "string",
        }
    )
