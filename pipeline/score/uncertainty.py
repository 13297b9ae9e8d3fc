"""Uncertainty and sensitivity of the ranking (Saisana, Saltelli & Tarantola 2005; JRC).

Each Monte Carlo run draws

- every weight times U(1 − s, 1 + s) (s = `weight_spread`, default 0.25),
  renormalised to sum to 1;
- a normalisation of the four goodness scores g = 100 − index, uniformly among
  `normalisations` (default all three): `fixed` (1 + 0.99 g: the nominal fixed
  scale moved onto [1, 100]), `minmax` (min-max onto [1, 100] across units,
  after COINr's skew/kurtosis screen — |skew| > `outlier_skew` and kurtosis >
  `outlier_kurtosis` — and winsorisation of at most `winsorise_max_points`
  points) and `rank` (percentile rank onto [1, 100]);
- an aggregation among `aggregations` (default both: arithmetic and geometric
  mean; all normalisations are ≥ 1, so the geometric mean is defined);

and ranks the units (1 = best). Per unit: the median rank, the 5 % and 95 %
quantiles and the mean absolute shift from the nominal rank. A unit whose
5–95 % interval is wider than `unstable_rank_width` × the number of units is
rank-unstable. All runs sharing a (normalisation, aggregation) pair are done
as one matrix product, so 100,000 units × 500 runs takes seconds; the number
of runs is capped so that the rank matrix stays below `max_cells` entries
(default 5·10⁷; at 100,000 units: 500 runs). All these settings are
`config.scoring.uncertainty` (`[scoring.uncertainty]`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.config import Uncertainty
from pipeline.score.measures import minmax, outlier_screen, winsorise

_DEFAULT = Uncertainty()  # the config model holds every default; signatures read it


@dataclass(frozen=True)
class UncertaintyResult:
    table: (
        pd.DataFrame
    )  # rank_median, rank_p05, rank_p95, rank_unstable, rank_shift (per unit, input order)
    runs: int
    mean_rank_shift: float
    treated: tuple[int, ...]  # columns winsorised by the outlier screen


def normalise(
    g: np.ndarray,
    method: str,
    skew_max: float = _DEFAULT.outlier_skew,
    kurt_max: float = _DEFAULT.outlier_kurtosis,
    max_points: int = _DEFAULT.winsorise_max_points,
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Normalise each column of the goodness matrix onto [1, 100] (screen defaults: the
    config's)."""
    treated: list[int] = []
    out = np.empty_like(g, dtype=float)
    for j in range(g.shape[1]):
        col = g[:, j]
        if method == "fixed":
            out[:, j] = 1 + 0.99 * np.clip(col, 0, 100)
        elif method == "minmax":
            if outlier_screen(col, skew_max, kurt_max).needs_treatment:
                col = winsorise(col, max_points, skew_max, kurt_max)
                treated.append(j)
            out[:, j] = minmax(col)
        elif method == "rank":
            r = pd.Series(col).rank(method="average").to_numpy()
            out[:, j] = 1 + 99 * (r - 1) / max(len(col) - 1, 1) if len(col) > 1 else 50.5
        else:
            raise ValueError(f"unknown normalisation {method!r}")
    return out, tuple(treated)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Column-wise ranks, 1 = highest score, ties averaged; float32 (n × runs)."""
    n, r = scores.shape
    out = np.empty((n, r), dtype=np.float32)
    cols = np.ascontiguousarray(np.round(scores, 9).T)
    for j in range(r):
        s = cols[j]
        order = np.argsort(-s, kind="stable")
        sv = s[order]
        new = np.r_[True, sv[1:] != sv[:-1]]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], n]
        avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
        out[order, j] = avg[np.cumsum(new) - 1]
    return out


def monte_carlo(
    g: np.ndarray,
    weights: np.ndarray,
    nominal_rank: np.ndarray,
    runs: int = _DEFAULT.runs,
    spread: float = _DEFAULT.weight_spread,
    seed: int = 0,
    unstable_width: float = _DEFAULT.unstable_rank_width,
    max_cells: int = _DEFAULT.max_cells,
    normalisations: tuple[str, ...] = _DEFAULT.normalisations,
    aggregations: tuple[str, ...] = _DEFAULT.aggregations,
    outlier_skew: float = _DEFAULT.outlier_skew,
    outlier_kurtosis: float = _DEFAULT.outlier_kurtosis,
    winsorise_max_points: int = _DEFAULT.winsorise_max_points,
) -> UncertaintyResult:
    """Run the uncertainty analysis on an n × k goodness matrix (see module docstring).

    The keyword defaults are those of `config.scoring.uncertainty`.
    """
    n, k = g.shape
    empty = pd.DataFrame(
        {
            "rank_median": np.full(n, np.nan),
            "rank_p05": np.nan,
            "rank_p95": np.nan,
            "rank_unstable": False,
            "rank_shift": np.nan,
        }
    )
    if n == 0:
        return UncertaintyResult(empty, 0, float("nan"), ())
    runs = int(max(10, min(runs, max_cells // max(n, 1))))
    rng = np.random.default_rng(seed)
    w = weights[None, :] * rng.uniform(1 - spread, 1 + spread, size=(runs, k))
    w = w / w.sum(axis=1, keepdims=True)
    norm_choice = rng.integers(0, len(normalisations), size=runs)
    agg_choice = rng.integers(0, len(aggregations), size=runs)
    ranks = np.empty((n, runs), dtype=np.float32)
    treated: tuple[int, ...] = ()
    for ni, method in enumerate(normalisations):
        sel_n = norm_choice == ni
        if not sel_n.any():
            continue
        x, tr = normalise(g, method, outlier_skew, outlier_kurtosis, winsorise_max_points)
        if method == "minmax":
            treated = tr
        logx = np.log(x)
        for ai, agg in enumerate(aggregations):
            sel = np.flatnonzero(sel_n & (agg_choice == ai))
            if sel.size == 0:
                continue
            scores = x @ w[sel].T if agg == "arithmetic" else np.exp(logx @ w[sel].T)
            ranks[:, sel] = _ranks(scores)
    p05, med, p95 = np.percentile(ranks, [5, 50, 95], axis=1)
    shift = np.abs(ranks - nominal_rank[:, None].astype(np.float32)).mean(axis=1)
    table = pd.DataFrame(
        {
            "rank_median": med.astype(float),
            "rank_p05": p05.astype(float),
            "rank_p95": p95.astype(float),
            "rank_unstable": (p95 - p05) > unstable_width * n,
            "rank_shift": shift.astype(float),
        }
    )
    return UncertaintyResult(table, runs, float(shift.mean()), treated)
