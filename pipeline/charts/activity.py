"""Activity timing relative to the deadline: is the work bunched before the check?

`activity_timeline(activities, deadline, window_days=30, unit_id=None)`: a
histogram of activity dates as days before (negative) or after the deadline,
weekly bins, with the pre-deadline window shaded. With `unit_id` the unit's own
activities are drawn as a rug (one tick each) under the district's distribution.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import (
    BLUE,
    LIGHT,
    ORANGE,
    RED,
    empty_figure,
    new_figure,
    set_title,
    style_axes,
)
from pipeline.config import Scoring


def days_to_deadline(dates: pd.Series, deadline: date) -> pd.Series:
    """Days from `deadline` (negative = before)."""
    d = pd.to_datetime(dates, errors="coerce")
    return (d - pd.Timestamp(deadline)).dt.days


def activity_timeline(
    activities: pd.DataFrame,
    deadline: date,
    window_days: int = Scoring().deadline_window_days,  # the config model holds the default
    unit_id: str | None = None,
    history_days: int = 120,
    district_days: pd.Series | None = None,
) -> Figure:
    """Activities per week relative to the deadline, the last `window_days` shaded.

    `district_days` (``days_to_deadline`` of every activity) may be passed when
    drawing many unit charts, so the district's distribution is computed once.
    """
    if district_days is None and (activities is None or activities.empty):
        return empty_figure("暂无活动记录")
    days = (
        district_days
        if district_days is not None
        else days_to_deadline(activities["date"], deadline)
    )
    days = days.dropna()
    days = days[(days >= -history_days) & (days <= 14)]
    if days.empty:
        return empty_figure("截止日期前后没有活动记录")
    fig = new_figure(7.0, 3.2, layout=None)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.88, bottom=0.16)
    ax = fig.add_subplot()
    bins = np.arange(-history_days - (history_days % 7), 15, 7)
    ax.axvspan(-window_days, 0, color=ORANGE, alpha=0.12, linewidth=0)
    ax.hist(
        days,
        bins=bins,
        color=LIGHT if unit_id else BLUE,
        edgecolor="white",
        label="全区活动" if unit_id else "活动次数",
    )
    own_days = pd.Series(dtype=float)
    if unit_id is not None and activities is not None and not activities.empty:
        own = activities.loc[activities["unit_id"] == unit_id, "date"]
        own_days = days_to_deadline(own, deadline).dropna()
        own_days = own_days[(own_days >= -history_days) & (own_days <= 14)]
    if not own_days.empty:
        # the unit's own activities as a rug under the district's weekly bars:
        # one tick per activity, so bunching before the deadline shows as a dense band
        ax.plot(
            own_days.to_numpy(),
            np.zeros(len(own_days)),
            linestyle="none",
            marker="|",
            markersize=18,
            markeredgewidth=1.6,
            color=BLUE,
            alpha=0.8,
            clip_on=False,
            label=f"本单位活动（{len(own_days)}次，每条竖线一次）",
        )
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.axvline(0, color=RED, linewidth=1.5)
    ymax = ax.get_ylim()[1]
    ax.text(0, ymax * 0.97, " 截止日", color=RED, fontsize=9, va="top")
    ax.text(
        -window_days, ymax * 0.97, f" 截止前{window_days}天", color=ORANGE, fontsize=9, va="top"
    )
    ax.set_xlabel("距报送截止日的天数（负数 = 截止前）", fontsize=9)
    ax.set_ylabel("全区活动次数（每周）" if unit_id else "活动次数（每周）", fontsize=9)
    style_axes(ax, "y")
    share = float(((days >= -window_days) & (days <= 0)).mean())
    who = "全区" if unit_id is not None else ""
    set_title(ax, f"活动时间分布：{who}截止前{window_days}天内的活动占{share:.0%}", 11)
    return fig
