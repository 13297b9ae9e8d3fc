"""Explanations (得分依据): the few facts behind each unit's score, in Chinese.

Each fact carries the points it adds to its index (its weight × its deficit)
and facts are ordered by that contribution, so order 1 is the fact that
drove the score most. Facts that add nothing but are useful context (e.g. the
peer median when the unit is ahead) come last. The weights and scales are
the ones the indices use (`config.scoring.progress`, `.basics`, `.theme`,
`.understanding`); the wording thresholds are `config.scoring.explain`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from pipeline.config import Scoring
from pipeline.report.labels import num

Fact = tuple[float, str]


def _n(x: float) -> str:
    """A count as text: 9 or 8.5."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    r = round(float(x), 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _pct(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{round(100 * float(x))}%"


_PEER = {"type": "同类单位", "parent": "同一上级的单位", "district": "全区单位"}


def progress_facts(r: dict, sc: Scoring) -> list[Fact]:
    due, done, part = int(r["actions_due"]), int(r["actions_done"]), int(r["actions_in_progress"])
    if due == 0:
        return [(0.0, "截至本轮统计日尚无到期的规定动作")]
    peer = _PEER.get(str(r["peer_group"]).split(":")[0], "同类单位")
    med = r["peer_median"] * due
    p, w = sc.progress, sc.progress.weights.normalised()
    shortfall = 100 * w["shortfall"] * min(1.0, (1 - r["progress"]) / p.shortfall_full)
    lag_pts = 100 * w["lag"] * min(1.0, max(0.0, r["progress_lag"]) / p.lag_full)
    head = f"应完成规定动作{due}项，已完成{done}项"
    if part:
        head += f"，{part}项进行中"
    if r["progress_lag"] > 1e-9:
        head += f"，低于{peer}中位数{_n(med)}项"
    elif r["progress_lag"] < -1e-9:
        head += f"，高于{peer}中位数{_n(med)}项"
    else:
        head += f"，与{peer}中位数{_n(med)}项持平"
    facts = [(shortfall + lag_pts, head)]
    if r["progress_outlier"]:
        facts.append(
            (
                lag_pts * 0.5,
                f"完成进度明显落后于{peer}（稳健z值{num(r['progress_z'], 1)}，"
                f"即比同类中位数低{num(abs(r['progress_z']), 1)}个典型离差）",
            )
        )
    return facts


def basics_facts(r: dict, sc: Scoring) -> list[Fact]:
    b, w, current_days = sc.basics, sc.basics.weights.normalised(), sc.material_current_days
    req, present = int(r["materials_required"]), int(r["materials_present"])
    facts: list[Fact] = []
    miss = f"应备基础资料{req}类，已有{present}类"
    if r.get("materials_missing"):
        miss += f"，缺{r['materials_missing']}"
    facts.append((100 * w["coverage"] * (1 - r["materials_coverage"]), miss))
    if present:
        copies = int(r["materials_copies"])
        q = (
            f"现有资料{copies}份，其中规范{_pct(r['materials_standard_share'])}、归档"
            f"{_pct(r['materials_filed_share'])}、近{current_days}天内更新{_pct(r['materials_current_share'])}、"
            f"结合当前工作{_pct(r['materials_tied_share'])}"
        )
        if (
            r["materials_quality"] < sc.explain.poor_quality
            and copies >= sc.explain.plenty_copies * present
        ):
            q += "（数量多、质量不高）"
        facts.append(
            (100 * w["quality"] * min(1.0, (1 - r["materials_quality"]) / b.quality_full), q)
        )
    n = int(r["activities_n"])
    if n == 0:
        facts.append(
            (100 * (w["variety"] + w["publicity"]), "本轮未记录任何活动，载体与宣传无从体现")
        )
        return facts
    k = int(r["formats_n"])
    facts.append(
        (
            100 * w["variety"] * (1 - r["format_variety"]),
            f"{n}次活动仅采用{k}种载体" if k < b.formats_full else f"{n}次活动采用{k}种载体",
        )
    )
    pubn = round(r["publicity_share"] * n)
    facts.append(
        (
            100 * w["publicity"] * (1 - min(1.0, r["publicity_share"] / b.publicity_full)),
            f"{n}次活动中{pubn}次有宣传报道" + ("，活动缺乏宣传声势" if pubn == 0 else ""),
        )
    )
    return facts


def theme_facts(r: dict, sc: Scoring) -> list[Fact]:
    if r["theme_missing"]:
        return [(100.0, "未填写有效的活动主题")]
    facts: list[Fact] = []
    w, similar = sc.theme.weights.normalised(), sc.explain.similar_cosine
    distinct = 100 * w["distinct"] * max(r["theme_generic"], r["theme_nearest"])
    if r["theme_copies"] > 0:
        facts.append((distinct, f"活动主题与另{int(r['theme_copies'])}个单位雷同"))
    elif r["theme_generic"] >= r["theme_nearest"] and r["theme_generic"] >= similar:
        facts.append((distinct, f"活动主题与全区通用口号相近（相似度{r['theme_generic']:.2f}）"))
    elif r["theme_nearest"] >= similar:
        facts.append((distinct, f"活动主题与其他单位的主题相近（相似度{r['theme_nearest']:.2f}）"))
    else:
        facts.append((distinct, "活动主题有本单位特色，未与其他单位或通用口号雷同"))
    raw_kws = r.get("keywords")
    kws = [str(k) for k in (raw_kws if raw_kws is not None else [])]
    if r["theme_keyword"]:
        facts.append((0.0, f"主题体现了本单位业务（{r['theme_keywords']}）"))
    else:
        hint = f"（如{'、'.join(kws[:3])}）" if kws else ""
        facts.append((100 * w["keyword"], f"主题未体现本单位业务关键词{hint}"))
    if r["theme_target"]:
        facts.append((0.0, "主题提出了具体目标"))
    else:
        facts.append((100 * w["target"], "主题未提出具体目标（数量、时限等）"))
    return facts


def understanding_facts(r: dict, sc: Scoring) -> list[Fact]:
    wt, full = sc.understanding.weights.normalised(), sc.understanding.bunching_full
    late_days, min_activities = sc.late_action_days, sc.bunching_min_activities
    n, nw, w = (
        int(r["activities_in_period"]),
        int(r["activities_in_window"]),
        int(r["deadline_window_days"]),
    )
    facts: list[Fact] = []
    if n == 0:
        facts.append((100 * (wt["spread"] + wt["tied"]), "活动期内未记录任何活动"))
    else:
        bunch = (
            100
            * wt["bunching"]
            * (
                min(1.0, max(0.0, r["bunching_index_shrunk"] / full))
                if r["bunching_counted"]
                else 0.0
            )
        )
        text = f"{n}次活动中{nw}次集中在检查前{w}天（均匀开展约为{_n(r['expected_share'] * n)}次）"
        if n < min_activities:
            text += "，活动次数少，不作集中判断"
        facts.append((bunch, text))
        facts.append(
            (
                100 * wt["spread"] * (1 - r["coverage_before_window"]),
                f"检查前{w}天以外的月份中有{_pct(r['coverage_before_window'])}开展了活动"
                f"（月度分布均衡度{num(r['month_entropy'], 2)}，1表示各月完全均匀）",
            )
        )
        tied_n = round(r["tied_share"] * n)
        facts.append(
            (100 * wt["tied"] * (1 - r["tied_share"]), f"{n}次活动中{tied_n}次结合业务工作")
        )
    done, late = int(r["actions_done_due"]), int(r["actions_last_minute"])
    if done:
        facts.append(
            (
                100 * wt["late"] * r["last_minute_share"],
                f"已完成的{done}项规定动作中{late}项在检查前{late_days}天内才完成",
            )
        )
    return facts


def explanations(ind: pd.DataFrame, scoring: Scoring | None = None) -> pd.DataFrame:
    """Explanation rows (unit_id, weakness, order, text) for every scored unit.

    `scoring`: `config.scoring` (its defaults when None); at most
    `scoring.explain.max_facts` facts per unit and weakness.
    """
    sc = scoring or Scoring()
    max_facts = sc.explain.max_facts
    rows: list[tuple[str, str, int, str]] = []
    for r in ind.to_dict("records"):
        uid = str(r["unit_id"])
        per: Iterable[tuple[str, list[Fact]]] = (
            ("uneven_progress", progress_facts(r, sc)),
            ("weak_basics", basics_facts(r, sc)),
            ("unclear_theme", theme_facts(r, sc)),
            ("shallow_understanding", understanding_facts(r, sc)),
        )
        for key, facts in per:
            ordered = sorted(facts, key=lambda f: -f[0])[:max_facts]
            rows.extend((uid, key, i + 1, text) for i, (_, text) in enumerate(ordered))
    out = pd.DataFrame(rows, columns=["unit_id", "weakness", "order", "text"])
    return out.astype(
        {"unit_id": "string", "weakness": "string", "order": "Int64", "text": "string"}
    )
