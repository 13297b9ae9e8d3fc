"""Across rounds (与上轮比较): index and rank changes, and units still flagged (整改未到位).

The indices are on fixed scales (no per-round re-normalisation), so a change
of an index between rounds is a change of the unit, not of the field.
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import WEAKNESSES

CHANGE_COLUMNS = (
    ["unit_id", "previous_round"]
    + [f"{k}_change" for k in WEAKNESSES]
    + ["overall_change", "rank_change", "still_flagged"]
)


def empty_changes() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="Float64") for c in CHANGE_COLUMNS})
    return out.astype(
        {
            "unit_id": "string",
            "previous_round": "string",
            "rank_change": "Int64",
            "still_flagged": "string",
        }
    )


def _flagset(s: object) -> set[str]:
    if s is None or s is pd.NA or (isinstance(s, float) and s != s):
        return set()
    return {x for x in str(s).split(",") if x}


def compute_changes(
    current: pd.DataFrame, previous: pd.DataFrame | None, previous_round: str
) -> pd.DataFrame:
    """One row per unit scored in both rounds; rank_change > 0 = moved up."""
    if previous is None or previous.empty:
        return empty_changes()
    cur = current[current["scored"].astype(bool)]
    prev = (
        previous[previous["scored"].astype("boolean").fillna(False).astype(bool)]
        if "scored" in previous
        else previous
    )
    m = cur.merge(prev, on="unit_id", suffixes=("", "_prev"))
    if m.empty:
        return empty_changes()
    out = pd.DataFrame({"unit_id": m["unit_id"].astype("string"), "previous_round": previous_round})
    for k in (*WEAKNESSES, "overall"):
        out[f"{k}_change"] = m[k].astype("Float64") - m[f"{k}_prev"].astype("Float64")
    out["rank_change"] = m["rank_prev"].astype("Int64") - m["rank"].astype("Int64")
    still = [
        ",".join(k for k in WEAKNESSES if k in _flagset(a) & _flagset(b))
        for a, b in zip(m["flags"], m["flags_prev"], strict=True)
    ]
    out["still_flagged"] = pd.array(still, dtype="string")
    out = out.astype({"previous_round": "string"})
    return out.sort_values("unit_id").reset_index(drop=True)[CHANGE_COLUMNS]
