"""Grades (等次): fixed bands on the composite, and whether the rank interval crosses a band.

A unit's grade is the band of its composite `overall` (0–100, higher =
better): band i holds cuts[i-1] > overall ≥ cuts[i] (config `[act.grades]`),
grade 1 is the best band. The Monte Carlo rank interval [rank_p05, rank_p95]
is translated back onto the score scale through the nominal ranking (the
overall of the units at those ranks); when the two ends fall in different
bands the grade is uncertain (等次边界，宜结合实地检查) and never names a unit
on the notice by itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.config import ActGrades

BOUNDARY_NOTE = "等次边界，宜结合实地检查"


def band(overall: float, cuts: Sequence[float]) -> int:
    """1-based band of a composite (1 = best); 0 for a missing value."""
    if overall is None or (isinstance(overall, float) and math.isnan(overall)) or pd.isna(overall):
        return 0
    for i, c in enumerate(cuts):
        if float(overall) >= float(c):
            return i + 1
    return len(cuts) + 1


def grade_columns(scores: pd.DataFrame, bands: ActGrades | None = None) -> pd.DataFrame:
    """scores + grade (Int64, 1 = best), grade_label, grade_low/high_label, grade_uncertain,
    grade_note."""
    g = bands or ActGrades()
    out = scores.copy()
    ok = out["scored"].astype(bool) & out["overall"].notna()
    overall = out["overall"].astype("Float64")
    nominal = np.sort(overall[ok].to_numpy(dtype=float))[::-1]  # rank r → nominal[r-1]

    def at_rank(r: float | None) -> float:
        if nominal.size == 0 or r is None or pd.isna(r):
            return float("nan")
        i = int(min(max(round(float(r)), 1), nominal.size)) - 1
        return float(nominal[i])

    grade: list[int | None] = []  # None: not graded (<NA> in the Int64 column)
    hi: list[int | None] = []
    lo: list[int | None] = []
    for is_ok, o, p05, p95 in zip(ok, overall, out["rank_p05"], out["rank_p95"], strict=True):
        if not is_ok:
            grade.append(None)
            hi.append(None)
            lo.append(None)
            continue
        b = band(float(o), g.cuts)
        grade.append(b)
        s_hi, s_lo = at_rank(p05), at_rank(p95)
        bh = band(max(s_hi, float(o)), g.cuts) if not math.isnan(s_hi) else b
        bl = band(min(s_lo, float(o)), g.cuts) if not math.isnan(s_lo) else b
        hi.append(bh)
        lo.append(bl)
    label = {i + 1: lab for i, lab in enumerate(g.labels)}
    out["grade"] = pd.array(grade, dtype="Int64")
    out["grade_label"] = pd.array(
        [label.get(x) if x is not None else None for x in grade], dtype="string"
    )
    out["grade_range"] = pd.array(
        [
            None if a is None or b is None else label[a] if a == b else f"{label[a]}—{label[b]}"
            for a, b in zip(hi, lo, strict=True)
        ],
        dtype="string",
    )
    unc = [False if a is None else a != b for a, b in zip(hi, lo, strict=True)]
    out["grade_uncertain"] = pd.array(unc, dtype=bool)
    out["grade_note"] = pd.array([BOUNDARY_NOTE if u else pd.NA for u in unc], dtype="string")
    return out


__all__ = ["BOUNDARY_NOTE", "band", "grade_columns"]
