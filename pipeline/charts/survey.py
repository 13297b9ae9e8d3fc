"""组织部门说好 vs 老百姓说好: composite (what the returns show) against residents' satisfaction.

`paper_vs_residents_chart(comparison, unit_type=None, title=None)` takes the
`paper_vs_residents` table: x = composite, y = satisfaction rate with its
Wilson interval; the dashed lines are the district's median composite and the
district's pooled satisfaction rate; the four quadrants are named in Chinese;
units with a verdict (纸面强、群众不满意 / 纸面弱、群众满意) are drawn in colour,
and the `max_labels` of each verdict that disagree most are named (hundreds of
names at 2,000 units would be unreadable; the tables beside the chart list all).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import (
    BLUE,
    GREEN,
    GREY,
    RED,
    emphasis_weight,
    empty_figure,
    new_figure,
    short,
    style_axes,
)

_COLOURS = {"paper_strong_residents_unhappy": RED, "paper_weak_residents_happy": GREEN}


def paper_vs_residents_chart(
    comparison: pd.DataFrame,
    unit_type: str | None = None,
    title: str | None = None,
    median: float | None = None,
    max_labels: int = 8,
) -> Figure:
    """Scatter of composite vs satisfaction with named quadrants (see module docstring)."""
    c = comparison if comparison is not None else pd.DataFrame()
    if c.empty:
        return empty_figure("暂无同时有评分和足够调查样本的单位")
    if median is not None:
        med = float(median)
    elif "overall_median" in c:  # the split the verdicts used: the median of all scored units
        med = float(c["overall_median"].astype(float).iloc[0])
    else:
        med = float(c["overall"].astype(float).median())
    p = 100 * float(c["district_rate"].astype(float).iloc[0])
    if unit_type:
        c = c[c["unit_type"].astype(str) == unit_type]
        if c.empty:
            return empty_figure(f"{unit_type}：暂无同时有评分和足够调查样本的单位")
    fig = new_figure(7.5, 5.2)
    ax = fig.add_subplot()
    x = c["overall"].astype(float).to_numpy()
    y = 100 * c["rate"].astype(float).to_numpy()
    lo = 100 * c["rate_low"].astype(float).to_numpy()
    hi = 100 * c["rate_high"].astype(float).to_numpy()
    colours = np.array([_COLOURS.get(str(v), BLUE) for v in c["verdict"]], dtype=object)
    # one collection for the intervals and one marker line per colour (two artists per
    # unit made the chart cost seconds at 2,000 units); the verdict colours on top
    ax.vlines(x, lo, hi, colors=list(colours), alpha=0.35, linewidth=1.5)
    for col in sorted(set(colours), key=lambda k: k != BLUE):
        at = colours == col
        ax.plot(x[at], y[at], "o", linestyle="none", color=col, markersize=5 if col != BLUE else 4)
    ax.axvline(med, color=GREY, linestyle="--", linewidth=0.9)
    ax.axhline(p, color=GREY, linestyle="--", linewidth=0.9)
    xmin, xmax = min(float(np.nanmin(x)), med) - 5, max(float(np.nanmax(x)), med) + 5
    ax.set_xlim(xmin, xmax)
    ybottom = max(0.0, float(np.nanmin(lo)) - 8)
    ax.set_yticks(np.arange(10 * np.ceil(ybottom / 10), 101, 10))
    ax.set_ylim(ybottom, 110)
    corners = (
        ("报表好·群众满意", xmax, 109, "right", "top"),
        ("报表弱·群众满意", xmin, 109, "left", "top"),
        ("报表好·群众不满意", xmax, ax.get_ylim()[0], "right", "bottom"),
        ("报表弱·群众不满意", xmin, ax.get_ylim()[0], "left", "bottom"),
    )
    for text, cx, cy, ha, va in corners:
        ax.text(cx, cy, text, ha=ha, va=va, fontsize=10, color=GREY, fontweight=emphasis_weight())
    flagged = c[c["verdict"].astype(str) != ""]
    if "disagreement" in flagged:  # name the clearest cases; the tables list every one
        flagged = flagged.assign(_d=flagged["disagreement"].astype(float).abs()).sort_values(
            "_d", ascending=False, kind="stable"
        )
    flagged = flagged.groupby(flagged["verdict"].astype(str), sort=False).head(max_labels)
    for r in flagged.itertuples(index=False):
        ax.annotate(
            short(r.unit_name, 10),
            (float(cast(float, r.overall)), 100 * float(cast(float, r.rate))),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=8,
            color=_COLOURS.get(str(r.verdict), BLUE),
        )
    n_red = int((c["verdict"].astype(str) == "paper_strong_residents_unhappy").sum())
    n_green = int((c["verdict"].astype(str) == "paper_weak_residents_happy").sum())
    ax.set_xlabel(
        f"综合得分（报表反映，越高越好；虚线 = 中位数 {med:.1f}）\n"
        f"红 = 纸面强、群众不满意（{n_red}个）；"
        f"绿 = 纸面弱、群众满意（{n_green}个）；共{len(c)}个单位"
        + (f"；每类标注差距最大的{max_labels}个" if max(n_red, n_green) > max_labels else ""),
        fontsize=9,
    )
    ax.set_ylabel(f"群众满意率 %（竖线 = 95%区间；虚线 = 全区 {p:.0f}%）", fontsize=9)
    style_axes(ax, grid_axis="both")
    ax.set_title(title or "组织部门说好 vs 老百姓说好", fontsize=11)
    return fig
