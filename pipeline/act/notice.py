"""The notice list (通报名单): few units, for reasons that hold.

Two parts (config `[notice]`):

1. **Performance**, bounded per unit type: a scored unit is *eligible* when
   it is flagged on at least `min_flags` weaknesses (facts past a threshold),
   or its grade is the lowest band and certain (rank interval inside the band)
   and its rank stable, or (when `bottom_per_type` > 0) it is among the
   bottom N of its type with a stable rank and a certain grade. An uncertain
   rank or grade alone never makes a unit eligible. Of the eligible units of
   a type the worst by composite are named, at most
   min(`max_per_type`, ⌈`max_share` × scored units of the type⌉).
2. **Reporting**, not bounded: every expected unit with no usable return
   (未按时报送), and, when `name_late`, every unit whose usable return arrived
   after the deadline (逾期报送).

Items carried from the previous round and still not fixed are added to a
named unit's reason (上轮已指出…仍未整改).
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.codes import NoticeBasis
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES, Notice

NOTICE_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_type",
    "basis",
    "basis_label",
    "grade_label",
    "overall",
    "reason",
]
BASIS_LABELS: dict[str, str] = {m.value: m.label for m in NoticeBasis}


def _cap(n: int, rule: Notice) -> int:
    return min(rule.max_per_type, math.ceil(rule.max_share * n - 1e-9)) if n else 0


def _still_open(rect: pd.DataFrame | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if rect is None or not len(rect):
        return out
    r = rect[rect["status"].astype(str).isin(("not_fixed", "partly_fixed"))]
    r = pd.DataFrame(
        {
            "u": r["unit_id"].astype(str).to_numpy(dtype=object),
            "l": r["item_label"].astype(str).to_numpy(dtype=object),
        }
    ).drop_duplicates()
    return {str(k): list(v) for k, v in r.groupby("u", sort=False)["l"].agg(list).items()}


def build_notice(
    scores: pd.DataFrame,
    units: pd.DataFrame,
    rule: Notice,
    rect: pd.DataFrame | None = None,
    deadline_text: str = "",
    lowest_grade: int | None = None,
    unusable: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per named unit (see module docstring); `scores` must carry the grade columns."""
    rows: list[dict] = []
    still = _still_open(rect)
    s = scores[scores["scored"].astype(bool)].copy()
    lowest = lowest_grade if lowest_grade is not None else int(s["grade"].max()) if len(s) else 0
    for t, g in s.groupby("unit_type"):
        n = len(g)
        stable = ~g["rank_unstable"].astype(bool) & ~g["grade_uncertain"].astype(bool)
        flags = g["n_flags"].astype(int) >= rule.min_flags
        low = (g["grade"].astype(int) == lowest) & stable
        bottom = (
            (g["rank_in_type"].astype(int) > n - rule.bottom_per_type) & stable
            if rule.bottom_per_type
            else False
        )
        eligible = g[flags | low | bottom].sort_values(["overall", "unit_id"])
        for r in eligible.head(_cap(n, rule)).to_dict("records"):
            keys = [k for k in str(r["flags"] or "").split(",") if k]
            parts = []
            if keys:
                parts.append(
                    f"{len(keys)}项不足超过预警线："
                    + "、".join(
                        f"{WEAKNESS_LABELS[k]}（{float(r[k]):.0f}分）"
                        for k in WEAKNESSES
                        if k in keys
                    )
                )
            parts.append(
                f"综合得分{float(r['overall']):.1f}分，等次{r['grade_label']}，"
                f"居{t}类第{int(r['rank_in_type'])}/{n}名"
            )
            if str(r["unit_id"]) in still:
                parts.append(
                    "上轮已指出的" + "、".join(still[str(r["unit_id"])][:4]) + "等问题仍未整改"
                )
            rows.append(
                {
                    "unit_id": r["unit_id"],
                    "unit_name": r["unit_name"],
                    "unit_type": t,
                    "basis": "performance",
                    "grade_label": r["grade_label"],
                    "overall": float(r["overall"]),
                    "reason": "；".join(parts),
                }
            )
    u = units.copy()
    if "expected" in u:
        u = u[u["expected"].astype("boolean").fillna(True).astype(bool)]
    reporting = (
        u["reporting"].astype("string").fillna("")
        if "reporting" in u
        else pd.Series("", index=u.index)
    )
    submitted = u["submitted"].astype("boolean").fillna(False).astype(bool)
    unusable = unusable or {}
    by = f"截至{deadline_text}" if deadline_text else "截至报送截止日"
    for r, rep, sub in zip(u.to_dict("records"), reporting, submitted, strict=True):
        uid = str(r["unit_id"])
        if not sub:
            why = f"报送的报表无法使用（{unusable[uid]}）" if uid in unusable else "未报送报表"
            rows.append(
                {
                    "unit_id": uid,
                    "unit_name": r["unit_name"],
                    "unit_type": r["unit_type"],
                    "basis": "not_reported",
                    "reason": f"{by}{why}，本轮无法评分",
                }
            )
        elif rule.name_late and rep == "late":
            rows.append(
                {
                    "unit_id": uid,
                    "unit_name": r["unit_name"],
                    "unit_type": r["unit_type"],
                    "basis": "late",
                    "reason": f"迟报（报送截止日{deadline_text}之后才收到）",
                }
            )
    out = pd.DataFrame(rows, columns=NOTICE_COLUMNS)
    out["basis_label"] = out["basis"].map(BASIS_LABELS)
    out["overall"] = pd.to_numeric(out["overall"], errors="coerce").astype("Float64")
    out = out.astype({c: "string" for c in NOTICE_COLUMNS if c != "overall"})
    order = {"performance": 0, "not_reported": 1, "late": 2}
    return out.sort_values(
        ["basis", "unit_type", "unit_id"], key=lambda c: c.map(order) if c.name == "basis" else c
    ).reset_index(drop=True)
