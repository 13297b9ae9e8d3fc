"""What the unit cards of a batch need, computed once for the whole batch.

`card_parts(ctx, unit_ids)` looks every per-unit table up once for the batch:
rows as dicts by unit, counts by unit, and the cards' tables rendered together
(`display.html_tables_by`: one ``to_html`` per table, split by unit). A card then
looks its pieces up and formats a few sentences with the same builders the
per-unit functions of the notebooks use (`commentary.unit_lines`,
`act_frames.items_lines`, `cards.change_lines`, …), so a card says exactly what
those functions say, at a fraction of the cost of filtering the district's tables
once per card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES
from pipeline.report import commentary as cm
from pipeline.report.act_frames import items_frame
from pipeline.report.context import RoundContext
from pipeline.report.display import html_tables_by
from pipeline.report.frames import explanation_rows, findings_frame


@dataclass
class CardParts:
    """Per unit of a batch (keys: unit ids); a unit missing from a dict has no rows there."""

    units: set[str]
    stats: cm.ScoreStats
    scores: dict[str, dict[str, Any]]
    unit_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    explanations: dict[object, str] = field(default_factory=dict)
    findings: dict[object, str] = field(default_factory=dict)
    finding_counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    items: dict[object, str] = field(default_factory=dict)
    item_counts: dict[str, tuple[int, dict[str, int], Any]] = field(default_factory=dict)
    has_activities: set[str] = field(default_factory=set)
    activity_days: dict[str, np.ndarray] = field(default_factory=dict)
    changes: dict[str, dict[str, Any]] | None = None  # None: no previous round's data
    trend_tables: dict[object, str] = field(default_factory=dict)
    trend_series: dict[str, tuple[list[str], dict[str, np.ndarray]]] = field(default_factory=dict)


def _rows(df: pd.DataFrame, wanted: set[str]) -> pd.DataFrame:
    """This batch's rows of a per-unit table (index reset), or an empty frame."""
    if df is None or df.empty or "unit_id" not in df:
        return pd.DataFrame()
    return df[df["unit_id"].isin(wanted)].reset_index(drop=True)


def _first_rows(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each unit's first row as a dict (as ``df[df.unit_id == u].iloc[0]`` would give)."""
    if df.empty:
        return {}
    first = df.drop_duplicates("unit_id", keep="first")
    return {str(r["unit_id"]): cast(dict[str, Any], r) for r in first.to_dict("records")}


def card_parts(
    ctx: RoundContext, unit_ids: list[str], history: pd.DataFrame | None = None
) -> CardParts:
    """The pieces of these units' cards (`history`: every round's scores, `round_history`;
    without it, no trends)."""
    wanted = set(map(str, unit_ids))
    scores = ctx.table("scores")
    parts = CardParts(
        units=wanted, stats=cm.score_stats(scores), scores=_first_rows(_rows(scores, wanted))
    )
    parts.unit_rows = _first_rows(_rows(ctx.table("units"), wanted))

    e = _rows(ctx.table("explanations"), wanted)
    if not e.empty:
        frame = explanation_rows(e)
        parts.explanations = html_tables_by(frame, e["unit_id"].loc[frame.index].tolist())

    f = _rows(ctx.table("findings"), wanted)
    if not f.empty:
        frame = findings_frame(f)
        keys = frame["单位编码"].tolist()
        parts.findings = html_tables_by(frame.drop(columns=["单位编码", "单位名称"]), keys)
        sev = f["severity"]
        counts = pd.DataFrame(
            {"u": f["unit_id"], "e": sev == "error", "w": sev == "warning"}
        ).groupby("u", sort=False)
        n, err, warn = counts.size(), counts["e"].sum(), counts["w"].sum()
        parts.finding_counts = {str(u): (int(n[u]), int(err[u]), int(warn[u])) for u in n.index}

    r = _rows(ctx.table("rectification"), wanted)
    if not r.empty:
        frame = items_frame(r)
        parts.items = html_tables_by(frame, r["unit_id"].loc[frame.index].tolist())
        status = pd.crosstab(r["unit_id"], r["status"].astype(str))
        due = pd.to_datetime(r["due_date"]).groupby(r["unit_id"]).min()
        for u, row in status.iterrows():
            uid = str(u)
            st = {str(k): int(v) for k, v in row.items() if v}
            parts.item_counts[uid] = (int(row.sum()), st, due[uid])

    a = _rows(ctx.table("activities"), wanted)
    if not a.empty:
        deadline = pd.Timestamp(ctx.round.deadline)
        days = (pd.to_datetime(a["date"], errors="coerce") - deadline).dt.days
        parts.has_activities = set(a["unit_id"].astype(str))
        ok = days.notna()
        parts.activity_days = {
            str(u): g.to_numpy() for u, g in days[ok].groupby(a["unit_id"][ok], sort=False)
        }

    changes = ctx.table("changes")
    if not (changes is None or changes.empty or "overall_change" not in changes):
        parts.changes = _first_rows(_rows(changes, wanted))

    h = _rows(history, wanted) if history is not None else pd.DataFrame()
    if not h.empty:
        from pipeline.report.trends import trend_rows

        parts.trend_tables = html_tables_by(trend_rows(h), h["unit_id"].tolist())
        s = h[h["scored"].fillna(False).astype(bool)]
        names = s["round_name"].astype(str).to_numpy()
        cols = {c: s[c].astype(float).to_numpy() for c in ("overall", *WEAKNESSES)}
        for u, pos in s.groupby("unit_id", sort=False).indices.items():
            parts.trend_series[str(u)] = (
                names[pos].tolist(),
                {c: v[pos] for c, v in cols.items()},
            )
    return parts
