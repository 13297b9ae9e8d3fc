"""The composite (综合得分): overall standing, ranks and flags from the four indices.

The four indices are severities on one fixed 0–100 scale (higher = worse), so
the nominal normalisation is the distance to the ideal, ``g_k = 100 − index_k``
(fixed bounds: comparable across rounds). Weights come from
`config.scoring.weights`, normalised to sum to 1; the nominal aggregation is
the weighted arithmetic mean:

    overall = Σ_k w_k (100 − index_k)           (0–100, higher = better)

rank 1 = the highest overall (ties share the best rank, `method="min"`), among
all scored units and within the unit type. A unit is flagged on a weakness
when its index is at or above `config.scoring.thresholds`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES


def normalised_weights(weights: Mapping[str, float]) -> np.ndarray:
    w = np.array([float(weights[k]) for k in WEAKNESSES])
    return w / w.sum()


def goodness(indices: pd.DataFrame) -> np.ndarray:
    """n × 4 matrix of 100 − index, in WEAKNESSES order."""
    return 100.0 - indices[list(WEAKNESSES)].to_numpy(dtype=float)


def overall_score(indices: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """Weighted arithmetic mean of 100 − index (0–100, higher = better)."""
    return goodness(indices) @ normalised_weights(weights)


def rank_desc(
    values: np.ndarray | pd.Series, groups: np.ndarray | pd.Series | None = None
) -> np.ndarray:
    """Rank 1 = largest value; ties share the smallest rank; optionally within groups."""
    s = pd.Series(np.asarray(values, dtype=float)).round(9)
    if groups is None:
        return s.rank(ascending=False, method="min").to_numpy(dtype=int)
    return s.groupby(np.asarray(groups)).rank(ascending=False, method="min").to_numpy(dtype=int)


def flags(indices: pd.DataFrame, thresholds: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    """Comma-separated weakness keys at or above their threshold, and their count."""
    hit = np.column_stack(
        [indices[k].to_numpy(dtype=float) >= float(thresholds[k]) for k in WEAKNESSES]
    )
    names = [",".join(k for k, h in zip(WEAKNESSES, row, strict=True) if h) for row in hit]
    return names, hit.sum(axis=1)
