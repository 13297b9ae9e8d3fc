"""Provisional results (临时结果): before the deadline or while too few units have reported.

`assess(config, round, completeness, scores, today)` says whether a round's
results are provisional and why; `mask_ranks` blanks the ranks (district rank,
rank within type, rank interval, rank change) of every group whose reporting
share is below `report.provisional_share` or that has fewer than
`report.min_ranked_units` scored units — "全区第1名（共1个）" is never shown.
`open_round` applies both, so every page, card and workbook built from a
round context carries the banner and no rank among too few units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.config import Config, Round
from pipeline.report.labels import LOCAL_TZ, pct

BANNER = "临时结果"
RANK_COLUMNS: tuple[str, ...] = ("rank", "rank_median", "rank_p05", "rank_p95")


@dataclass(frozen=True)
class Provisional:
    active: bool
    reasons: tuple[str, ...] = ()
    district_ranked: bool = True
    unranked_types: frozenset[str] = field(default_factory=frozenset)

    @property
    def banner(self) -> str:
        """ "临时结果：…" or "" when the results are final."""
        if not self.active:
            return ""
        return (
            f"{BANNER}："
            + "；".join(self.reasons)
            + "。结果会随报表陆续报送而变化，请勿作为正式通报依据"
        )


def today_local() -> date:
    return datetime.now(ZoneInfo(LOCAL_TZ)).date()


def _share(row: pd.Series) -> float:
    rate = row.get("reporting_rate")
    return float(rate) / 100 if rate is not None and pd.notna(rate) else 0.0


def _scored(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[scores["scored"].fillna(False).astype(bool)] if not scores.empty else scores


def assess(
    config: Config,
    rnd: Round,
    completeness: pd.DataFrame,
    scores: pd.DataFrame,
    today: date | None = None,
) -> Provisional:
    """Is this round's result provisional (and which rank groups are too thin to rank)?"""
    today = today or today_local()
    share_needed = config.report.provisional_share
    min_units = config.report.min_ranked_units
    reasons: list[str] = []
    if today <= rnd.deadline:
        reasons.append(f"报送截止日期（{rnd.deadline:%Y-%m-%d}）未过")
    district_share = 1.0
    if completeness is not None and not completeness.empty:
        d = completeness[completeness["level"] == "district"]
        if not d.empty:
            district_share = _share(d.iloc[0])
    if district_share < share_needed:
        reasons.append(f"报送率{pct(district_share)}，低于{pct(share_needed)}")
    s = _scored(scores)
    district_ranked = district_share >= share_needed and len(s) >= min_units
    unranked: set[str] = set()
    types: Iterable[Any] = scores["unit_type"].dropna().unique() if not scores.empty else []
    by_type = {}
    if completeness is not None and not completeness.empty:
        t = completeness[completeness["level"] == "unit_type"]
        by_type = {str(r["group"]): _share(r) for _, r in t.iterrows()}
    for ut in types:
        n = int((s["unit_type"] == ut).sum()) if not s.empty else 0
        if n < min_units or by_type.get(str(ut), district_share) < share_needed:
            unranked.add(str(ut))
    return Provisional(
        active=bool(reasons),
        reasons=tuple(reasons),
        district_ranked=district_ranked,
        unranked_types=frozenset(unranked),
    )


def mask_ranks(
    scores: pd.DataFrame, changes: pd.DataFrame | None, prov: Provisional
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Scores and changes with the ranks of too-thin groups blanked (pure)."""
    if scores.empty or (prov.district_ranked and not prov.unranked_types):
        return scores, changes
    s = scores.copy()
    if not prov.district_ranked:
        for c in RANK_COLUMNS:
            if c in s:
                s[c] = pd.Series(pd.NA, index=s.index, dtype=s[c].dtype)
        if "rank_unstable" in s:
            s["rank_unstable"] = False
    if "rank_in_type" in s and prov.unranked_types:
        s.loc[s["unit_type"].astype(str).isin(prov.unranked_types), "rank_in_type"] = pd.NA
    if (
        changes is not None
        and not changes.empty
        and "rank_change" in changes
        and not prov.district_ranked
    ):
        changes = changes.assign(rank_change=pd.Series(pd.NA, index=changes.index, dtype="Int64"))
    return s, changes
