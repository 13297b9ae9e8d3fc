"""Every round so far, for trends: one unit's indices, the district's four weaknesses.

`round_history(ctx)` is the scores of every round up to the context's round
(read once and cached in `ctx.cache`), with round_id / round_name / as_of.
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.context import RoundContext
from pipeline.report.labels import num
from pipeline.tables import read_table, table_path

HISTORY_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "unit_name",
    "unit_type",
    "scored",
    "overall",
    *WEAKNESSES,
)


def round_history(ctx: RoundContext) -> pd.DataFrame:
    """Scores of every round up to this one (this round's from the context), in time order."""
    cached = ctx.cache.get("history")
    if isinstance(cached, pd.DataFrame):
        return cached
    parts = []
    for r in ctx.config.rounds_in_order():
        if r.as_of > ctx.round.as_of:
            continue
        if r.id == ctx.round.id:
            s = ctx.table("scores")
        else:
            folder = ctx.config.paths.processed_round(r.id)
            if not table_path(folder, "scores").is_file():
                continue
            s = read_table(folder, "scores")
        cols = [c for c in HISTORY_COLUMNS if c in s]
        parts.append(s[cols].assign(round_id=r.id, round_name=r.name))
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*HISTORY_COLUMNS, "round_id", "round_name"])
    )
    ctx.cache["history"] = out
    return out


def unit_trend_frame(history: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    """Rows = rounds; columns = overall and the four indices of one unit."""
    return trend_rows(history[history["unit_id"] == unit_id]).reset_index(drop=True)


def trend_rows(h: pd.DataFrame) -> pd.DataFrame:
    """`unit_trend_frame` of these history rows, in their order (index kept)."""
    out = pd.DataFrame(
        {
            "轮次": h["round_name"].astype(str),
            "综合得分": [
                num(v) if s else "未评分"
                for v, s in zip(h["overall"], h["scored"].fillna(False).astype(bool), strict=True)
            ],
        }
    )
    for w in WEAKNESSES:
        out[WEAKNESS_LABELS[w]] = [num(v) if pd.notna(v) else "—" for v in h[w]]
    return out


def weakness_trend_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """The flagged counts per round with Chinese headers (table beside the chart)."""
    out = pd.DataFrame(
        {"轮次": counts["round_name"].astype(str), "已评分单位": counts["scored"].astype(int)}
    )
    for w in WEAKNESSES:
        out[f"{WEAKNESS_LABELS[w]}预警"] = counts[w].astype(int)
    return out
