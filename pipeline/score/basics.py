"""Weak basics (基础较薄弱): materials in quantity but not in quality, one format, no publicity.

Per unit, over the required material categories (the form's 资料类别 choices
except 其他):

- coverage = required categories present / required categories;
- quality = mean, over the rows of present required categories, of the share
  of the four standards met: 规范 (standard), 归档 (filed), current (最近更新日期
  within `material_current_days` of the as-of date), 结合当前工作 (tied to work).
  Copies do not enter: many copies of poor material is still poor;
- format variety = min(1, (distinct 活动载体 − 1) / (FORMAT_FULL − 1));
- publicity = min(1, share of activities with a publicity report / PUBLICITY_FULL).

    weak_basics = 100 × (W_COVERAGE (1 − coverage) + W_QUALITY clip((1 − quality) / QUALITY_FULL, 0, 1)
                         + W_VARIETY (1 − variety) + W_PUBLICITY (1 − publicity))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

W_COVERAGE = 0.2
W_QUALITY = 0.4
W_VARIETY = 0.2
W_PUBLICITY = 0.2
QUALITY_FULL = 0.5
"""Half of the standards unmet (or more) scores the full quality part."""
FORMAT_FULL = 4
"""Distinct activity formats (载体) that count as full variety."""
PUBLICITY_FULL = 0.5
"""Share of activities with a publicity report that counts as full reach."""
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
    current_days: int = 60,
) -> pd.DataFrame:
    """Basics sub-indicators and the weak_basics index, one row per unit (same order)."""
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
    shares = {k: ids.map(g[k].mean()).to_numpy(dtype=float) for k in ("standard", "filed", "current", "tied",
                                                                         "quality")}
    total_copies = ids.map(g["copies"].sum()).fillna(0).to_numpy(dtype=float)
    have = (q.groupby(["unit_id", "category"]).size().unstack(fill_value=0)
            .reindex(index=ids, columns=req, fill_value=0).to_numpy() > 0)
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
    pa = pd.DataFrame({"unit_id": fa["unit_id"], "pub": (pub.notna() & (pub != NO_PUBLICITY)).to_numpy(dtype=bool),
                       "public": _bool(a["public_participation"])})
    pg = pa.groupby("unit_id")
    n_act = ids.map(pg.size()).fillna(0).to_numpy(dtype=int)
    pub_share = ids.map(pg["pub"].mean()).fillna(0).to_numpy(dtype=float)
    public_share = ids.map(pg["public"].mean()).fillna(0).to_numpy(dtype=float)

    coverage = present / len(req) if req else np.ones(len(ids))
    quality = np.nan_to_num(shares["quality"], nan=0.0)
    variety = np.clip((n_formats - 1) / (FORMAT_FULL - 1), 0, 1)
    publicity = np.clip(pub_share / PUBLICITY_FULL, 0, 1)
    index = 100 * (W_COVERAGE * (1 - coverage) + W_QUALITY * np.clip((1 - quality) / QUALITY_FULL, 0, 1)
                   + W_VARIETY * (1 - variety) + W_PUBLICITY * (1 - publicity))
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
