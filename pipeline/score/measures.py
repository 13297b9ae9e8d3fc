"""Pure statistics used by the scorer (no pandas I/O, no configuration).

Every function here is documented with its formula and has a reference value
in `tests/test_score_measures.py` (from `shared/scoring-references.md`). The
charts and reports read the results through the processed tables
(`inequality`, `indicators`), not through these functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.config import Scoring

_SCORING = Scoring()  # the config model holds every default; signatures read it

MAD_SCALE = 0.6745
"""Φ⁻¹(0.75): makes the MAD of a normal sample estimate σ (Iglewicz & Hoaglin)."""
MEANAD_SCALE = 1.253314
"""√(π/2): makes the mean absolute deviation of a normal sample estimate σ."""


def _array(y: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    return np.asarray(y, dtype=float)


# ---------------------------------------------------------------- inequality


def theil(y: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Theil T index: ``T = (1/N) Σ (y_i/μ) ln(y_i/μ)``; zeros contribute 0.

    Returns 0 for an empty input or when the mean is 0 (nothing to share).
    """
    y = _array(y)
    if y.size == 0:
        return 0.0
    mu = y.mean()
    if mu <= 0:
        return 0.0
    s = y / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0)), 0.0)
    return float(terms.mean())


@dataclass(frozen=True)
class TheilSplit:
    """Theil T of a variable and its additive between-group / within-group parts."""

    theil: float
    between: float
    within: float


def theil_decomposition(
    y: Sequence[float] | np.ndarray | pd.Series, groups: Sequence | np.ndarray | pd.Series
) -> TheilSplit:
    """Theil T split into groups: ``T = Σ S_g ln(S_g/(n_g/N)) + Σ S_g T_g``.

    `S_g` is group g's share of the total, `n_g` its size, `T_g` the Theil index
    inside the group. The first sum is the between part, the second the within
    part; they add up to `theil(y)` exactly.
    """
    y = _array(y)
    g = pd.Series(np.asarray(groups)).to_numpy()
    if y.size != g.size:
        raise ValueError("y and groups differ in length")
    total = y.sum()
    if y.size == 0 or total <= 0:
        return TheilSplit(0.0, 0.0, 0.0)
    n = y.size
    between = 0.0
    within = 0.0
    for key in pd.unique(g):
        mask = g == key
        share = y[mask].sum() / total
        if share > 0:
            between += share * math.log(share / (mask.sum() / n))
            within += share * theil(y[mask])
    return TheilSplit(theil(y), float(between), float(within))


def gini(y: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Gini coefficient ``Σ_i Σ_j |y_i − y_j| / (2 N² μ)`` (as PySAL); 0 if μ ≤ 0."""
    y = np.sort(_array(y))
    n = y.size
    if n == 0 or y.sum() <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float((2.0 * np.sum(i * y)) / (n * y.sum()) - (n + 1) / n)


# ---------------------------------------------------------- robust peer z


def modified_z(x: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Modified z-scores (Iglewicz & Hoaglin 1993): ``M = 0.6745 (x − median) / MAD``.

    When MAD = 0 (more than half the values equal), falls back to
    ``(x − median) / (1.253314 · meanAD)`` with meanAD the mean absolute
    deviation from the median. When that is 0 too (all equal) every M is 0.
    Missing values give NaN and are ignored in the median.
    """
    x = _array(x)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    if not ok.any():
        return out
    v = x[ok]
    med = np.median(v)
    dev = np.abs(v - med)
    mad = np.median(dev)
    if mad > 0:
        out[ok] = MAD_SCALE * (v - med) / mad
        return out
    meanad = dev.mean()
    out[ok] = (v - med) / (MEANAD_SCALE * meanad) if meanad > 0 else 0.0
    return out


# ---------------------------------------------------------------- bunching


@dataclass(frozen=True)
class Bunching:
    """Bunching of dated events before a deadline D over the period [S, D].

    n: events in [S, D]; n_w: events with ``(D − date).days < w``;
    ds = n_w/n (deadline share); e = w/T with T = (D − S).days + 1;
    hr = ds/e (heaping ratio, 1 = none); bi = (ds − e)/(1 − e) (bunching index);
    p = P(X ≥ n_w), X ~ Binomial(n, e) (one-sided); ds_shrunk = (n_w + k e)/(n + k);
    bi_shrunk = (ds_shrunk − e)/(1 − e); entropy = −Σ p_m ln p_m / ln M over all M
    calendar months of the period (empty months included); coverage = share of
    months with any event; months = M.
    """

    n: int
    n_w: int
    ds: float
    e: float
    hr: float
    bi: float
    p: float
    ds_shrunk: float
    bi_shrunk: float
    entropy: float
    coverage: float
    months: int


def campaign_months(start: date, end: date) -> list[tuple[int, int]]:
    """The calendar months (year, month) touched by [start, end]."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_entropy(counts: Sequence[float] | np.ndarray) -> float:
    """Normalised entropy ``−Σ p_m ln p_m / ln M`` of counts over M months (0 if none or M = 1)."""
    c = _array(counts)
    m = c.size
    total = c.sum()
    if m <= 1 or total <= 0:
        return 0.0
    p = c[c > 0] / total
    return float(-(p * np.log(p)).sum() / math.log(m))


def bunching(
    dates: Sequence[date] | pd.Series,
    start: date,
    deadline: date,
    window: int = _SCORING.deadline_window_days,
    shrinkage: float = _SCORING.bunching_shrinkage,
) -> Bunching:
    """Deadline bunching measures of one unit's events (see `Bunching`).

    Events outside [start, deadline] are ignored.
    """
    d = pd.to_datetime(pd.Series(list(dates)), errors="coerce").dropna()
    s_ts, d_ts = pd.Timestamp(start), pd.Timestamp(deadline)
    d = d[(d >= s_ts) & (d <= d_ts)]
    t = (d_ts - s_ts).days + 1
    e = min(1.0, window / t)
    n = int(d.size)
    n_w = int(((d_ts - d).dt.days < window).sum())
    months = campaign_months(start, deadline)
    counts = np.zeros(len(months))
    index = {ym: i for i, ym in enumerate(months)}
    for ts in d:
        counts[index[(ts.year, ts.month)]] += 1
    ds = n_w / n if n else float("nan")
    hr = ds / e if n and e > 0 else float("nan")
    bi = (ds - e) / (1 - e) if n and e < 1 else float("nan")
    p = float(stats.binom.sf(n_w - 1, n, e)) if n else float("nan")
    ds_s = (n_w + shrinkage * e) / (n + shrinkage) if (n + shrinkage) > 0 else float("nan")
    bi_s = (ds_s - e) / (1 - e) if e < 1 else float("nan")
    return Bunching(
        n=n,
        n_w=n_w,
        ds=ds,
        e=e,
        hr=hr,
        bi=bi,
        p=p,
        ds_shrunk=ds_s,
        bi_shrunk=bi_s,
        entropy=monthly_entropy(counts),
        coverage=float((counts > 0).mean()) if len(months) else 0.0,
        months=len(months),
    )


# ------------------------------------------------------- composite helpers


@dataclass(frozen=True)
class OutlierScreen:
    """COINr's default screen: treat when |skew| > 2 and kurtosis > 3.5."""

    skew: float
    kurtosis: float
    needs_treatment: bool


def outlier_screen(
    x: Sequence[float] | np.ndarray | pd.Series,
    skew_max: float = _SCORING.uncertainty.outlier_skew,
    kurt_max: float = _SCORING.uncertainty.outlier_kurtosis,
) -> OutlierScreen:
    """Sample skewness and excess kurtosis (pandas `.skew()`, `.kurt()`) and the screen."""
    s = pd.Series(_array(x)).dropna()
    # pandas-stubs types skew()/kurt() as any scalar (str, date, ...); on floats they are floats
    sk = float(s.skew()) if s.size > 2 else float("nan")  # type: ignore[arg-type]
    ku = float(s.kurt()) if s.size > 3 else float("nan")  # type: ignore[arg-type]
    flag = (
        bool(abs(sk) > skew_max and ku > kurt_max)
        if not (math.isnan(sk) or math.isnan(ku))
        else False
    )
    return OutlierScreen(sk, ku, flag)


def winsorise(
    x: Sequence[float] | np.ndarray | pd.Series,
    max_points: int = _SCORING.uncertainty.winsorise_max_points,
    skew_max: float = _SCORING.uncertainty.outlier_skew,
    kurt_max: float = _SCORING.uncertainty.outlier_kurtosis,
) -> np.ndarray:
    """Winsorise the most extreme point, one at a time, until the screen passes.

    The extreme point on the side of the skew is set to the next value inward;
    at most `max_points` points are changed (COINr's default procedure).
    """
    v = _array(x).copy()
    for _ in range(max_points):
        sc = outlier_screen(v, skew_max, kurt_max)
        if not sc.needs_treatment:
            break
        ok = ~np.isnan(v)
        vals = np.sort(v[ok])
        if sc.skew > 0:
            v[ok & (v == vals[-1])] = (
                vals[vals < vals[-1]].max() if (vals < vals[-1]).any() else vals[-1]
            )
        else:
            v[ok & (v == vals[0])] = (
                vals[vals > vals[0]].min() if (vals > vals[0]).any() else vals[0]
            )
    return v


def minmax(
    x: Sequence[float] | np.ndarray | pd.Series,
    low: float = 1.0,
    high: float = 100.0,
    bounds: tuple[float, float] | None = None,
) -> np.ndarray:
    """Min-max onto [low, high] (default [1, 100], so a geometric mean stays defined).

    `bounds` fixes (min, max) — use the same bounds across rounds to compare
    them. A constant input maps to the middle of the range.
    """
    v = _array(x)
    lo, hi = bounds if bounds is not None else (np.nanmin(v), np.nanmax(v))
    if not hi > lo:
        return np.full(v.shape, (low + high) / 2)
    return low + (np.clip(v, lo, hi) - lo) * (high - low) / (hi - lo)


def weighted_mean(
    values: np.ndarray | Sequence, weights: np.ndarray | Sequence
) -> np.ndarray | float:
    """Weighted arithmetic mean ``Σ w_k x_k / Σ w_k`` along the last axis."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    out = (v * w).sum(axis=-1) / w.sum()
    return float(out) if np.ndim(out) == 0 else out


def geometric_mean(
    values: np.ndarray | Sequence, weights: np.ndarray | Sequence | None = None
) -> np.ndarray | float:
    """Weighted geometric mean ``exp(Σ w_k ln x_k / Σ w_k)`` along the last axis (x > 0)."""
    v = np.asarray(values, dtype=float)
    w = np.ones(v.shape[-1]) if weights is None else np.asarray(weights, dtype=float)
    out = np.exp((np.log(v) * w).sum(axis=-1) / w.sum())
    return float(out) if np.ndim(out) == 0 else out


def arithmetic_mean(
    values: np.ndarray | Sequence, weights: np.ndarray | Sequence | None = None
) -> np.ndarray | float:
    """Weighted arithmetic mean along the last axis (equal weights by default)."""
    v = np.asarray(values, dtype=float)
    w = np.ones(v.shape[-1]) if weights is None else weights
    return weighted_mean(v, w)


__all__ = [
    "Bunching",
    "OutlierScreen",
    "TheilSplit",
    "arithmetic_mean",
    "bunching",
    "campaign_months",
    "geometric_mean",
    "gini",
    "minmax",
    "modified_z",
    "monthly_entropy",
    "outlier_screen",
    "theil",
    "theil_decomposition",
    "weighted_mean",
    "winsorise",
]
