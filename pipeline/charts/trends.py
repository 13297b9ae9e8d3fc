"""Trends over every round so far.

- `weakness_trend_chart(counts)`: units at or over each weakness's threshold,
  round by round (one line per weakness) — the district page and the briefing.
- `weakness_counts_chart(now, previous)`: this round's flagged units per
  weakness beside the previous round's — the briefing.
- `unit_trend_svg(history, unit_id)`: one unit's composite and four indices
  across rounds as a small inline SVG (no matplotlib: a unit card stays cheap).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import (
    GREY,
    LIGHT,
    WEAKNESS_COLOURS,
    empty_figure,
    new_figure,
    set_title,
    style_axes,
    weakness_label,
)
from pipeline.config import WEAKNESSES

OVERALL_COLOUR = "#1a1a1a"


def flagged_counts(history: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """Per round (in order): scored units and units at or over each threshold."""
    if history is None or history.empty:
        return pd.DataFrame(columns=["round_id", "round_name", "scored", *WEAKNESSES])
    rows = []
    for (rid, rname), g in history.groupby(["round_id", "round_name"], sort=False):
        s = g[g["scored"].fillna(False).astype(bool)]
        row = {"round_id": rid, "round_name": rname, "scored": len(s)}
        for w in WEAKNESSES:
            row[w] = int((s[w].astype(float) >= thresholds[w]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def weakness_trend_chart(counts: pd.DataFrame) -> Figure:
    """Units at or over each threshold, round by round."""
    if counts is None or len(counts) < 2:
        return empty_figure("只有一轮数据，暂无趋势")
    fig = new_figure(6.5, 3.0)
    ax = fig.add_subplot()
    x = np.arange(len(counts))
    for w in WEAKNESSES:
        y = counts[w].astype(float).to_numpy()
        ax.plot(x, y, marker="o", color=WEAKNESS_COLOURS[w], label=weakness_label(w), linewidth=2)
        ax.annotate(
            f"{int(y[-1])}",
            (x[-1], y[-1]),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            va="center",
            color=WEAKNESS_COLOURS[w],
        )
    ax.set_xticks(x, counts["round_name"].astype(str).tolist(), fontsize=9)
    ax.set_ylabel("达到预警线的单位数", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # default locator is a MaxNLocator
    style_axes(ax, "y")
    fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncols=4)
    set_title(ax, "四项不足逐轮变化：达到预警线的单位数", 11)
    return fig


def weakness_counts_chart(
    now: Mapping[str, int],
    previous: Mapping[str, int] | None = None,
    now_label: str = "本轮",
    previous_label: str = "上一轮",
) -> Figure:
    """Flagged units per weakness, this round beside the previous one."""
    fig = new_figure(4.6, 2.8)
    ax = fig.add_subplot()
    y = np.arange(len(WEAKNESSES))
    h = 0.38 if previous else 0.6
    vals = [now.get(w, 0) for w in WEAKNESSES]
    ax.barh(
        y - (h / 2 if previous else 0),
        vals,
        height=h,
        color=[WEAKNESS_COLOURS[w] for w in WEAKNESSES],
        label=now_label,
    )
    for yi, v in zip(y, vals, strict=True):
        ax.text(v, yi - (h / 2 if previous else 0), f" {v}", va="center", fontsize=8)
    if previous:
        pv = [previous.get(w, 0) for w in WEAKNESSES]
        ax.barh(
            y + h / 2,
            pv,
            height=h,
            color=LIGHT,
            edgecolor=GREY,
            linewidth=0.6,
            label=previous_label,
        )
        for yi, v in zip(y, pv, strict=True):
            ax.text(v, yi + h / 2, f" {v}", va="center", fontsize=7, color=GREY)
        fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncols=2)
    ax.set_yticks(y, [weakness_label(w) for w in WEAKNESSES], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*vals, *(previous or {}).values(), 1]) * 1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # default locator is a MaxNLocator
    style_axes(ax, "x")
    set_title(ax, "达到预警线的单位数", 11)
    return fig


def unit_trend_svg(history: pd.DataFrame, unit_id: str, width: int = 560, height: int = 190) -> str:
    """One unit's overall score and four indices across rounds as inline SVG ("" if < 2 rounds)."""
    h = (
        history[(history["unit_id"] == unit_id) & history["scored"].fillna(False).astype(bool)]
        if history is not None and not history.empty
        else pd.DataFrame()
    )
    if len(h) < 2:
        return ""
    series = {c: h[c].astype(float).to_numpy() for c in ("overall", *WEAKNESSES)}
    return trend_svg(h["round_name"].astype(str).tolist(), series, width, height)


def trend_svg(
    round_names: list[str], series: Mapping[str, np.ndarray], width: int = 560, height: int = 190
) -> str:
    """`unit_trend_svg` from one unit's scored rounds: their names and, per column
    (overall and the four weaknesses), the values round by round ("" if < 2 rounds)."""
    n = len(round_names)
    if n < 2:
        return ""
    left, right, top, bottom = 36, 120, 12, 28
    pw, ph = width - left - right, height - top - bottom
    xs = [left + (pw * i / (n - 1)) for i in range(n)]

    def yv(v: float) -> float:
        return top + ph * (1 - max(0.0, min(100.0, v)) / 100)

    parts = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="各轮综合得分与四项不足指数">'
    ]
    for g in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{yv(g):.1f}" y2="{yv(g):.1f}" '
            f'stroke="{LIGHT}"/>'
            f'<text x="{left - 4}" y="{yv(g) + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{GREY}">{g}</text>'
        )
    for x, name in zip(xs, round_names, strict=True):
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
            f"{html.escape(name)}</text>"
        )
    styles = [("overall", "综合得分", OVERALL_COLOUR, 2.5)] + [
        (w, weakness_label(w), WEAKNESS_COLOURS[w], 1.5) for w in WEAKNESSES
    ]
    for i, (col, label, colour, lw) in enumerate(styles):
        vals = series[col]
        pts = " ".join(
            f"{x:.1f},{yv(v):.1f}" for x, v in zip(xs, vals, strict=True) if np.isfinite(v)
        )
        dash = "" if col == "overall" else ' stroke-dasharray="4 2"'
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{lw}"{dash} points="{pts}"/>'
        )
        ly = top + 12 + i * 16
        parts.append(
            f'<line x1="{left + pw + 10}" x2="{left + pw + 26}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="{lw}"{dash}/>'
            f'<text x="{left + pw + 30}" y="{ly}" font-size="10">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
