"""The notice list (通报名单): units the district names in its notice, with the reasons.

Rule (config `[notice]`): a scored unit is listed when it is flagged on at
least `min_flags` weaknesses, or (when `bottom_per_type` > 0) it is among the
bottom `bottom_per_type` of its unit type by rank — unless its rank is
unstable, in which case it is not called last on the ranking alone (the JRC's
advice). Units still flagged since the previous round are noted (整改未到位).
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES


def build_notice(scores: pd.DataFrame, changes: pd.DataFrame, min_flags: int = 2,
                 bottom_per_type: int = 0) -> pd.DataFrame:
    """unit_id, unit_name, unit_type, reason (Chinese) for each unit to name."""
    s = scores[scores["scored"].astype(bool)].copy()
    still = dict(zip(changes["unit_id"].astype(str), changes["still_flagged"].fillna(""), strict=True)) \
        if len(changes) else {}
    type_size = s.groupby("unit_type")["unit_id"].transform("size")
    rows = []
    for r, n_type in zip(s.to_dict("records"), type_size, strict=True):
        reasons = []
        keys = [k for k in str(r["flags"] or "").split(",") if k]
        if len(keys) >= min_flags:
            parts = "、".join(f"{WEAKNESS_LABELS[k]}（{r[k]:.0f}分）" for k in WEAKNESSES if k in keys)
            reasons.append(f"{len(keys)}项不足超过阈值：{parts}")
        bottom = bottom_per_type > 0 and int(r["rank_in_type"]) > n_type - bottom_per_type
        if bottom and not bool(r["rank_unstable"]):
            reasons.append(f"综合得分{r['overall']:.1f}分，居{r['unit_type']}类单位倒数后{bottom_per_type}名"
                           f"（第{int(r['rank_in_type'])}/{n_type}名）")
        if not reasons:
            continue
        carried = [k for k in still.get(str(r["unit_id"]), "").split(",") if k]
        if carried:
            reasons.append("上轮已指出的" + "、".join(WEAKNESS_LABELS[k] for k in carried) + "仍未改进（整改未到位）")
        rows.append({"unit_id": r["unit_id"], "unit_name": r["unit_name"], "unit_type": r["unit_type"],
                     "reason": "；".join(reasons)})
    out = pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "reason"])
    return out.astype("string").sort_values("unit_id").reset_index(drop=True)
