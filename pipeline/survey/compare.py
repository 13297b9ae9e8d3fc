"""组织部门说好 vs 老百姓说好: returns against residents, and self-reports against the survey.

- `self_report_check`: a unit's own 群众评价 tally (满意 + 基本满意 over 测评人数)
  against the independent survey; overstated when the tally is above the
  survey's Wilson upper bound by more than `overstate_margin`.
- `paper_vs_residents`: each scored unit's composite (what the returns show)
  against its satisfaction; quadrants split at the district median composite
  and the district's pooled satisfaction rate; a verdict only where the
  interval says so (upper bound below the district rate = residents unhappy,
  lower bound above = residents happy).
- `annotate_notice`: the notice reasons gain the unit's satisfaction where known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Survey
from pipeline.ingest.validate import FINDING_COLUMNS

_SURVEY = Survey()  # the config model holds every default; signatures read it

QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "报表好·群众满意",
    (True, False): "报表好·群众不满意",
    (False, True): "报表弱·群众满意",
    (False, False): "报表弱·群众不满意",
}
VERDICTS: dict[str, str] = {
    "paper_strong_residents_unhappy": "纸面强、群众不满意",
    "paper_weak_residents_happy": "纸面弱、群众满意",
}
COMPARISON_COLUMNS = (
    "unit_id",
    "unit_name",
    "unit_type",
    "overall",
    "overall_pct",
    "rate",
    "rate_low",
    "rate_high",
    "rate_shrunk",
    "answered",
    "district_rate",
    "overall_median",
    "satisfaction_pct",
    "disagreement",
    "quadrant",
    "verdict",
    "verdict_label",
    "facts",
)


def pct(x: float | None) -> str:
    return "—" if x is None or pd.isna(x) else f"{100 * float(x):.0f}%"


def self_report_check(
    evaluation: pd.DataFrame | None,
    satisfaction: pd.DataFrame,
    margin: float = _SURVEY.overstate_margin,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-unit comparison, findings) for units with a tally and enough survey answers."""
    cols = [
        "unit_id",
        "self_surveyed",
        "self_rate",
        "rate",
        "rate_high",
        "answered",
        "overstated",
        "gap",
    ]
    if evaluation is None or evaluation.empty or satisfaction.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=list(FINDING_COLUMNS))
    ev = evaluation.dropna(subset=["surveyed", "satisfied", "basically_satisfied"])
    ev = ev[ev["surveyed"].astype(float) > 0]
    ev = ev.assign(unit_id=ev["unit_id"].astype(str)).drop_duplicates("unit_id")
    s = satisfaction[satisfaction["enough"].astype(bool)].assign(
        unit_id=lambda d: d["unit_id"].astype(str)
    )
    m = ev.merge(s[["unit_id", "rate", "rate_high", "answered"]], on="unit_id", how="inner")
    m["self_surveyed"] = m["surveyed"].astype(int)
    m["self_rate"] = (m["satisfied"].astype(float) + m["basically_satisfied"].astype(float)) / m[
        "surveyed"
    ].astype(float)
    m["gap"] = m["self_rate"] - m["rate"].astype(float)
    m["overstated"] = m["self_rate"] > m["rate_high"].astype(float) + margin
    findings = []
    r: Any  # an itertuples row: pandas-stubs types every field as any scalar (bytes, dates, ...)
    for r in m[m["overstated"]].itertuples(index=False):
        findings.append(
            {
                "file": r.file,
                "sheet": r.sheet,
                "cell": None,
                "row": r.row,
                "column": "满意",
                "unit_id": r.unit_id,
                "severity": "warning",
                "code": "survey_self_report_overstated",
                "message": (
                    f"单位自报群众满意率 {pct(r.self_rate)}"
                    f"（测评 {r.self_surveyed} 人，满意与基本满意合计），"
                    f"独立调查为 {pct(r.rate)}（{int(r.answered)} 人作答，"
                    f"95%区间上限 {pct(r.rate_high)}），"
                    f"自报高出 {100 * r.gap:.0f} 个百分点"
                ),
                "value": f"{pct(r.self_rate)} / {pct(r.rate)}",
                "row_rejected": False,
            }
        )
    out = (
        m[cols]
        .reset_index(drop=True)
        .astype(
            {
                "unit_id": "string",
                "self_surveyed": "Int64",
                "self_rate": "Float64",
                "rate": "Float64",
                "rate_high": "Float64",
                "answered": "Int64",
                "overstated": bool,
                "gap": "Float64",
            }
        )
    )
    return out, pd.DataFrame(findings, columns=list(FINDING_COLUMNS))


def _pct_rank(s: pd.Series) -> pd.Series:
    return s.rank(pct=True, method="average")


def paper_vs_residents(scores: pd.DataFrame, satisfaction: pd.DataFrame) -> pd.DataFrame:
    """One row per scored unit with enough survey answers (see docs/data-dictionary.md)."""
    if scores is None or scores.empty or satisfaction is None or satisfaction.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COMPARISON_COLUMNS})
    sc = scores[scores["scored"].astype(bool)].assign(unit_id=lambda d: d["unit_id"].astype(str))
    median = float(sc["overall"].astype(float).median())
    total = len(sc)
    sc = sc.assign(overall=sc["overall"].astype(float))
    rank_of = dict(
        zip(sc["unit_id"], sc["overall"].rank(ascending=False, method="min"), strict=True)
    )
    s = satisfaction[satisfaction["enough"].astype(bool)].assign(
        unit_id=lambda d: d["unit_id"].astype(str)
    )
    m = sc[["unit_id", "unit_name", "unit_type", "overall"]].merge(
        s[["unit_id", "rate", "rate_low", "rate_high", "rate_shrunk", "answered", "district_rate"]],
        on="unit_id",
        how="inner",
    )
    if m.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COMPARISON_COLUMNS})
    for c in ("overall", "rate", "rate_low", "rate_high", "rate_shrunk", "district_rate"):
        m[c] = m[c].astype(float)
    p = float(m["district_rate"].iloc[0])
    m["overall_median"] = median
    m["overall_pct"] = _pct_rank(m["overall"])
    m["satisfaction_pct"] = _pct_rank(m["rate_shrunk"])
    m["disagreement"] = m["overall_pct"] - m["satisfaction_pct"]
    strong = m["overall"] >= median
    happy = m["rate_shrunk"] >= p
    m["quadrant"] = [QUADRANTS[(bool(a), bool(b))] for a, b in zip(strong, happy, strict=True)]
    verdict = np.where(
        strong & (m["rate_high"] < p),
        "paper_strong_residents_unhappy",
        np.where(~strong & (m["rate_low"] > p), "paper_weak_residents_happy", ""),
    )
    m["verdict"] = verdict
    m["verdict_label"] = [VERDICTS.get(v, "") for v in verdict]
    rows: Iterator[Any] = m.itertuples(index=False)  # fields typed as any scalar by pandas-stubs
    m["facts"] = [
        (
            f"综合得分 {r.overall:.1f}（全区第 {int(rank_of[r.unit_id])}/{total} 名，"
            f"中位数 {median:.1f}）；"
            f"群众满意率 {pct(r.rate)}（{int(r.answered)} 人作答，"
            f"95%区间 {pct(r.rate_low)}–{pct(r.rate_high)}），"
            f"全区 {pct(p)}"
        )
        for r in rows
    ]
    m = m.sort_values("disagreement", key=lambda d: -d.abs(), kind="stable").reset_index(drop=True)
    types = {
        c: "string"
        for c in (
            "unit_id",
            "unit_name",
            "unit_type",
            "quadrant",
            "verdict",
            "verdict_label",
            "facts",
        )
    }
    types.update(
        {
            c: "Float64"
            for c in (
                "overall",
                "overall_pct",
                "rate",
                "rate_low",
                "rate_high",
                "rate_shrunk",
                "district_rate",
                "overall_median",
                "satisfaction_pct",
                "disagreement",
            )
        }
    )
    types["answered"] = "Int64"
    return m[list(COMPARISON_COLUMNS)].astype(types)


def satisfaction_note(row: pd.Series | dict) -> str:
    """群众满意度 xx%（n 人作答，95%区间 a–b%） or 样本不足 (n 人)."""
    if not bool(row["enough"]):
        return f"群众满意度：样本不足（{int(row['answered'])} 人作答）"
    return (
        f"群众满意度 {pct(row['rate'])}（{int(row['answered'])} 人作答，95%区间 "
        f"{pct(row['rate_low'])}–{pct(row['rate_high'])}）"
    )


def annotate_notice(notice: pd.DataFrame, satisfaction: pd.DataFrame | None) -> pd.DataFrame:
    """The notice reasons with the unit's satisfaction appended where the survey knows it."""
    if satisfaction is None or satisfaction.empty or notice.empty:
        return notice
    by = {str(r["unit_id"]): r for r in satisfaction.to_dict("records")}
    reasons = [
        f"{reason}；{satisfaction_note(by[str(u)])}"
        if str(u) in by and bool(by[str(u)]["enough"])
        else reason
        for u, reason in zip(notice["unit_id"], notice["reason"], strict=True)
    ]
    return notice.assign(reason=pd.array(reasons, dtype="string"))


def blend_satisfaction(
    overall: np.ndarray, unit_ids: pd.Series, satisfaction: pd.DataFrame | None, weight: float
) -> np.ndarray:
    """(1 − w)·composite + w·100·rate_shrunk where the survey has enough answers; else the
    composite."""
    out = np.asarray(overall, dtype=float).copy()
    if satisfaction is None or satisfaction.empty or weight <= 0:
        return out
    s = satisfaction[satisfaction["enough"].astype(bool)]
    rate = dict(zip(s["unit_id"].astype(str), s["rate_shrunk"].astype(float), strict=True))
    r = np.array([rate.get(str(u), np.nan) for u in unit_ids], dtype=float)
    known = ~np.isnan(r)
    out[known] = (1 - weight) * out[known] + weight * 100 * r[known]
    return out
