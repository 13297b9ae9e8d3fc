"""Per-unit satisfaction with its uncertainty.

- rate = satisfied / answered (不了解 answers are not counted), with a Wilson
  score interval (Wilson 1927; Brown, Cai & DasGupta 2001);
- rate_shrunk = (satisfied + k·p) / (answered + k): a Beta(k·p, k·(1−p)) prior
  centred on the district's pooled rate p, k = `prior_strength` pseudo-
  respondents (empirical Bayes, Efron & Morris 1975): few answers are pulled
  towards the district, so a small unit is not ranked last on noise;
- mean score (0–100) with a normal-approximation interval;
- below `min_respondents` answers: status 样本不足, no rank.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from pipeline.config import Survey

_SURVEY = Survey()  # the config model holds every default; signatures read it

INSUFFICIENT = "样本不足"

SATISFACTION_COLUMNS = (
    "unit_id",
    "unit_name",
    "unit_type",
    "parent_id",
    "respondents",
    "answered",
    "satisfied",
    "rate",
    "rate_low",
    "rate_high",
    "rate_shrunk",
    "mean_score",
    "mean_low",
    "mean_high",
    "n_comments",
    "enough",
    "status",
    "rank",
    "district_rate",
)


def wilson(
    x: np.ndarray, n: np.ndarray, confidence: float = _SURVEY.confidence
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of x successes in n trials (NaN where n = 0)."""
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def satisfaction_table(
    responses: pd.DataFrame,
    roster: pd.DataFrame,
    min_respondents: int = _SURVEY.min_respondents,
    confidence: float = _SURVEY.confidence,
    prior_strength: float = _SURVEY.prior_strength,
    n_comments: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per roster unit with at least one kept response (see docs/data-dictionary.md)."""
    r = responses.assign(unit_id=responses["unit_id"].astype(str))
    ans = r[r["answered"].fillna(False).astype(bool)]
    g = r.groupby("unit_id")
    out = pd.DataFrame({"respondents": g.size()})
    out["answered"] = ans.groupby("unit_id").size().reindex(out.index).fillna(0).astype(int)
    out["satisfied"] = (
        ans.groupby("unit_id")["satisfied"].sum().reindex(out.index).fillna(0).astype(int)
    )
    n = out["answered"].to_numpy(float)
    x = out["satisfied"].to_numpy(float)
    pooled = float(x.sum() / n.sum()) if n.sum() else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = np.where(n > 0, x / n, np.nan)
    out["rate_low"], out["rate_high"] = wilson(x, n, confidence)
    k = float(prior_strength)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate_shrunk"] = np.where(n + k > 0, (x + k * pooled) / (n + k), np.nan)
    sc = r.dropna(subset=["score"]).groupby("unit_id")["score"]
    mean, sd, cnt = sc.mean(), sc.std(ddof=1), sc.size()
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half: pd.Series = z * sd / np.sqrt(cnt)  # NaN for a single answer: no interval
    out["mean_score"] = mean.reindex(out.index).astype(float)
    out["mean_low"] = (mean - half).clip(0, 100).reindex(out.index).astype(float)
    out["mean_high"] = (mean + half).clip(0, 100).reindex(out.index).astype(float)
    nc = n_comments if n_comments is not None else r[r["has_comment"]].groupby("unit_id").size()
    out["n_comments"] = nc.reindex(out.index).fillna(0).astype(int)
    out["enough"] = out["answered"] >= min_respondents
    out["status"] = np.where(out["enough"], "", INSUFFICIENT)
    ranked = out.loc[out["enough"], "rate_shrunk"]
    out["rank"] = ranked.rank(ascending=False, method="min").reindex(out.index)
    out["district_rate"] = pooled
    out = out.reset_index()
    meta = roster.assign(unit_id=roster["unit_id"].astype(str))[
        ["unit_id", "unit_name", "unit_type", "parent_id"]
    ]
    out = meta.merge(out, on="unit_id", how="inner")
    out = out[list(SATISFACTION_COLUMNS)].sort_values("unit_id").reset_index(drop=True)
    types: dict[str, str | type[bool]] = {
        "unit_id": "string",
        "unit_name": "string",
        "unit_type": "string",
        "parent_id": "string",
        "respondents": "Int64",
        "answered": "Int64",
        "satisfied": "Int64",
        "n_comments": "Int64",
        "enough": bool,
        "status": "string",
        "rank": "Int64",
    }
    for c in (
        "rate",
        "rate_low",
        "rate_high",
        "rate_shrunk",
        "mean_score",
        "mean_low",
        "mean_high",
        "district_rate",
    ):
        types[c] = "Float64"
    return out.astype(types)
