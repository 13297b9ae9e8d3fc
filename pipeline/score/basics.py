"""Weak basics (基础较薄弱): materials in quantity but not in quality, one format, no publicity.

Per unit, over the required material categories (the form's 资料类别 choices
except 其他):

- coverage = required categories present / required categories;
- quality = mean, over the rows of present required categories, of the share
  of the four standards met: 规范 (standard), 归档 (filed), current (最近更新日期
  within `material_current_days` of the as-of date), 结合当前工作 (tied to work).
  Copies do not enter: many copies of poor material is still poor;
- format variety = min(1, (distinct 活动载体 − 1) / (formats_full − 1));
- publicity = min(1, share of activities with a publicity report / publicity_full).

    weak_basics = 100 × (w_coverage (1 − coverage)
                         + w_quality clip((1 − quality) / quality_full, 0, 1)
                         + w_variety (1 − variety) + w_publicity (1 − publicity))

The weights and scales are `config.scoring.basics` (`[scoring.basics]`,
defaults 0.2, 0.4, 0.2, 0.2; quality_full 0.5, formats_full 4, publicity_full 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from pipeline.config import Scoring, ScoringBasics

_SCORING = Scoring()  # the config model holds every default; signatures read it

NO_PUBLICITY = "无"
OTHER = "其他"


def _bool(s: pd.Series) -> np.ndarray:
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def basics_measures(
    units: pd.DataFrame,
    materials: pd.DataFrame,
    activities: pd.DataFrame,
    required: Sequence[str],
    as_of: date,
    current_days: int = _SCORING.material_current_days,
    params: ScoringBasics | None = None,
) -> pd.DataFrame:
    """Basics sub-indicators and the weak_basics index, one row per unit (same order).

    `params`: `config.scoring.basics` (its defaults when None).
    """
    params = params or ScoringBasics()
    w = params.weights.normalised()
    ids = units["unit_id"].astype(str)
    req = list(required)
    m = materials[materials["category"].isin(req)].copy()
    copies = pd.to_numeric(m["copies"], errors="coerce")
    m = m[~(copies == 0).to_numpy()]  # a category with 0 copies is not present
    upd = pd.to_datetime(m["updated"], errors="coerce")
    age = (pd.Timestamp(as_of) - upd).dt.days
    current = (age.notna() & (age <= current_days) & (age >= -1)).to_numpy(dtype=bool)
    q = pd.DataFrame(
        {
            "unit_id": m["unit_id"].astype(str).to_numpy(),
            "category": m["category"].astype(str).to_numpy(),
            "standard": _bool(m["standard"]),
            "filed": _bool(m["filed"]),
            "current": current,
            "tied": _bool(m["tied_to_work"]),
            "copies": pd.to_numeric(m["copies"], errors="coerce").fillna(1).to_numpy(),
        }
    )
    q["quality"] = q[["standard", "filed", "current", "tied"]].mean(axis=1)
    g = q.groupby("unit_id")
    present = ids.map(g["category"].nunique()).fillna(0).to_numpy(dtype=int)
    shares = {
        k: ids.map(g[k].mean()).to_numpy(dtype=float)
        for k in ("standard", "filed", "current", "tied", "quality")
    }
    total_copies = ids.map(g["copies"].sum()).fillna(0).to_numpy(dtype=float)
    have = (
        q.groupby(["unit_id", "category"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=ids, columns=req, fill_value=0)
        .to_numpy()
        > 0
    )
    names = np.array(req, dtype=object)
    missing = ["、".join(names[~row]) for row in have]

    a = activities
    fmt = a["format"].astype("string")
    fa = pd.DataFrame({"unit_id": a["unit_id"].astype(str).to_numpy(), "format": fmt.to_numpy()})
    named = fa[fa["format"].notna() & (fa["format"] != OTHER)]
    n_formats = ids.map(named.groupby("unit_id")["format"].nunique()).fillna(0).to_numpy(dtype=int)
    anyfmt = ids.map(fa[fa["format"].notna()].groupby("unit_id").size()).fillna(0).to_numpy() > 0
    n_formats = np.where((n_formats == 0) & anyfmt, 1, n_formats)  # only 其他: one format
    pub = a["publicity"].astype("string")
    pa = pd.DataFrame(
        {
            "unit_id": fa["unit_id"],
            "pub": (pub.notna() & (pub != NO_PUBLICITY)).to_numpy(dtype=bool),
            "public": _bool(a["public_participation"]),
        }
    )
    pg = pa.groupby("unit_id")
    n_act = ids.map(pg.size()).fillna(0).to_numpy(dtype=int)
    pub_share = ids.map(pg["pub"].mean()).fillna(0).to_numpy(dtype=float)
    public_share = ids.map(pg["public"].mean()).fillna(0).to_numpy(dtype=float)

    coverage = present / len(req) if req else np.ones(len(ids))
    quality = np.nan_to_num(shares["quality"], nan=0.0)
    variety = np.clip((n_formats - 1) / (params.formats_full - 1), 0, 1)
    publicity = np.clip(pub_share / params.publicity_full, 0, 1)
    index = 100 * (
        w["coverage"] * (1 - coverage)
        + w["quality"] * np.clip((1 - quality) / params.quality_full, 0, 1)
        + w["variety"] * (1 - variety)
        + w["publicity"] * (1 - publicity)
    )
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "materials_required": len(req),
            "materials_present": present,
            "materials_missing": missing,
            "materials_copies": total_copies,
            "materials_coverage": coverage,
            "materials_standard_share": shares["standard"],
            "materials_filed_share": shares["filed"],
            "materials_current_share": shares["current"],
            "materials_tied_share": shares["tied"],
            "materials_quality": quality,
            "activities_n": n_act,
            "formats_n": n_formats,
            "format_variety": variety,
            "publicity_share": pub_share,
            "public_participation_share": public_share,
            "weak_basics": np.clip(index, 0, 100),
        }
    )
