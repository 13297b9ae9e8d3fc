"""The four weaknesses: heat map of units × weaknesses, and one unit's profile.

- `weakness_heatmap(scores, thresholds=None, max_units=60)`: rows = units
  (worst overall first), columns = the four weaknesses, cells = index 0–100
  (darker = more severe); cells at or over the threshold are outlined.
- `unit_profile_chart(scores, unit_id, thresholds=None)`: horizontal bars of one
  unit's four indices beside the median of its unit type, threshold marked.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pipeline.charts._style import (
    BLUE,
    GREY,
    LIGHT,
    RED,
    empty_figure,
    new_figure,
    set_title,
    short,
    style_axes,
    weakness_label,
)
from pipeline.config import WEAKNESSES


def weakness_heatmap(
    scores: pd.DataFrame,
    thresholds: Mapping[str, float] | None = None,
    max_units: int = 60,
    title: str | None = None,
) -> Figure:
    """Units × four weaknesses, worst overall standing at the top."""
    s = scores[scores["scored"].fillna(False).astype(bool)]
    if s.empty:
        return empty_figure("暂无已评分单位")
    s = s.sort_values("overall", ascending=True, na_position="first")
    n_all = len(s)
    note = f"（共{n_all}个单位，显示综合得分最低的{max_units}个）" if n_all > max_units else ""
    s = s.head(max_units)
    data = s[list(WEAKNESSES)].astype(float).to_numpy()
    n = len(s)
    fig = new_figure(6.5, max(2.4, 0.22 * n + 1.4))
    ax = fig.add_subplot()
    im = ax.imshow(data, cmap="YlOrRd", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(WEAKNESSES)), [weakness_label(w) for w in WEAKNESSES], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n), [short(v) for v in s["unit_name"]], fontsize=8 if n > 30 else 9)
    if n <= 40:
        for i in range(n):
            for j in range(len(WEAKNESSES)):
                v = data[i, j]
                if np.isfinite(v):
                    ax.text(
                        j,
                        i,
                        f"{v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v >= 65 else "black",
                    )
    if thresholds:
        for j, w in enumerate(WEAKNESSES):
            t = thresholds.get(w)
            if t is None:
                continue
            for i in np.flatnonzero(data[:, j] >= t):
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.2
                    )
                )
    cb = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.02)
    cb.set_label("指数（0–100，越高越严重）", fontsize=8)
    cb.ax.tick_params(labelsize=8)
    set_title(ax, title or f"四项不足热力图{note}（黑框 = 达到预警线）", 11)
    return fig


def unit_profile_chart(
    scores: pd.DataFrame, unit_id: str, thresholds: Mapping[str, float] | None = None
) -> Figure:
    """One unit's four indices against the median of its unit type."""
    row = scores[scores["unit_id"] == unit_id]
    if row.empty:
        return empty_figure(f"名册中没有单位 {unit_id}")
    row = row.iloc[0]
    if not bool(row.get("scored", False)):
        return empty_figure("该单位本轮未评分")
    peers = scores[
        (scores["unit_type"] == row["unit_type"]) & scores["scored"].fillna(False).astype(bool)
    ]
    med = peers[list(WEAKNESSES)].astype(float).median()
    y = np.arange(len(WEAKNESSES))
    vals = np.array([float(row[w]) if pd.notna(row[w]) else np.nan for w in WEAKNESSES])
    fig = new_figure(6.5, 3.0, layout=None)
    fig.subplots_adjust(left=0.15, right=0.97, top=0.88, bottom=0.3)
    ax = fig.add_subplot()
    h = 0.38
    ax.barh(y - h / 2, vals, height=h, color=BLUE, label="本单位")
    ax.barh(
        y + h / 2,
        med.to_numpy(),
        height=h,
        color=LIGHT,
        edgecolor=GREY,
        linewidth=0.6,
        label=f"{row['unit_type']}类单位中位数（{len(peers)}个）",
    )
    for yi, v in zip(y, vals, strict=True):
        if np.isfinite(v):
            ax.text(v + 1, yi - h / 2, f"{v:.0f}", va="center", fontsize=8)
    if thresholds:
        for yi, w in zip(y, WEAKNESSES, strict=True):
            t = thresholds.get(w)
            if t is not None:
                ax.plot([t, t], [yi - 0.45, yi + 0.45], color=RED, linewidth=1.2, linestyle="--")
        ax.plot([], [], color=RED, linestyle="--", label="预警线")
    ax.set_yticks(y, [weakness_label(w) for w in WEAKNESSES], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("指数（0–100，越高越严重）", fontsize=9)
    style_axes(ax, "x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=8, frameon=False, ncols=3)
    set_title(ax, "四项不足：本单位与同类单位比较", 11)
    return fig
