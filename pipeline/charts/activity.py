"""Activity timing relative to the deadline: is the work bunched before the check?

`activity_timeline(activities, deadline, window_days=30, unit_id=None)`: a
histogram of activity dates as days before (negative) or after the deadline,
weekly bins, with the pre-deadline window shaded. With `unit_id` the unit's own
activities are drawn as a rug (one tick each) under the district's distribution.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from pipeline.charts._style import (
    BLUE,
    LIGHT,
    ORANGE,
    RED,
    empty_figure,
    figure_title,
    new_figure,
    set_title,
    style_axes,
)
from pipeline.charts.svg import SvgTemplate, figure_svg, num, with_text
from pipeline.config import Scoring


def days_to_deadline(dates: pd.Series, deadline: date) -> pd.Series:
    """Days from `deadline` (negative = before)."""
    d = pd.to_datetime(dates, errors="coerce")
    return (d - pd.Timestamp(deadline)).dt.days


def _window(days: pd.Series, history_days: int) -> pd.Series:
    days = days.dropna()
    return days[(days >= -history_days) & (days <= 14)]


RUG_LABEL = "本单位活动（{n}次，每条竖线一次）"


def _timeline_figure(
    days: pd.Series, window_days: int, history_days: int, per_unit: bool
) -> tuple[Figure, Axes]:
    """The district's weekly activity (`days`: in the window, not empty), no unit marks.

    The axes limits are fixed before any unit's rug is added, so a unit's marks
    never move them."""
    fig = new_figure(7.0, 3.2, layout=None)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.88, bottom=0.16)
    ax = fig.add_subplot()
    bins = np.arange(-history_days - (history_days % 7), 15, 7)
    ax.axvspan(-window_days, 0, color=ORANGE, alpha=0.12, linewidth=0)
    ax.hist(
        days,
        bins=bins,  # type: ignore[arg-type]  # the stub omits array-like bins
        color=LIGHT if per_unit else BLUE,
        edgecolor="white",
        label="全区活动" if per_unit else "活动次数",
    )
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())
    return fig, ax


def _add_rug(ax: Axes, own_days: np.ndarray) -> tuple[Line2D, Legend]:
    """The unit's own activities as a rug under the district's weekly bars: one tick
    per activity, so bunching before the deadline shows as a dense band."""
    (rug,) = ax.plot(
        own_days,
        np.zeros(len(own_days)),
        linestyle="none",
        marker="|",
        markersize=18,
        markeredgewidth=1.6,
        color=BLUE,
        alpha=0.8,
        clip_on=False,
        label=RUG_LABEL.format(n=len(own_days)),
    )
    return rug, ax.legend(loc="upper left", fontsize=8, frameon=False)


def _finish_timeline(
    ax: Axes, days: pd.Series, window_days: int, per_unit: bool, unit_id: str | None
) -> None:
    ax.axvline(0, color=RED, linewidth=1.5)
    ymax = ax.get_ylim()[1]
    ax.text(0, ymax * 0.97, " 截止日", color=RED, fontsize=9, va="top")
    ax.text(
        -window_days, ymax * 0.97, f" 截止前{window_days}天", color=ORANGE, fontsize=9, va="top"
    )
    ax.set_xlabel("距报送截止日的天数（负数 = 截止前）", fontsize=9)
    ax.set_ylabel("全区活动次数（每周）" if per_unit else "活动次数（每周）", fontsize=9)
    style_axes(ax, "y")
    share = float(((days >= -window_days) & (days <= 0)).mean())
    who = "全区" if unit_id is not None else ""
    set_title(ax, f"活动时间分布：{who}截止前{window_days}天内的活动占{share:.0%}", 11)


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
    days = _window(
        district_days
        if district_days is not None
        else days_to_deadline(activities["date"], deadline),
        history_days,
    )
    if days.empty:
        return empty_figure("截止日期前后没有活动记录")
    fig, ax = _timeline_figure(days, window_days, history_days, per_unit=bool(unit_id))
    if unit_id is not None and activities is not None and not activities.empty:
        own = activities.loc[activities["unit_id"] == unit_id, "date"]
        own_days = _window(days_to_deadline(own, deadline), history_days)
        if not own_days.empty:
            _add_rug(ax, own_days.to_numpy())
    _finish_timeline(ax, days, window_days, per_unit=bool(unit_id), unit_id=unit_id)
    return fig


TIMELINE_ALT = "活动时间分布"


class _TimelineTemplate:
    """The district's activity chart with the place of a unit's rug and legend left open."""

    def __init__(self, days: pd.Series, window_days: int, history_days: int) -> None:
        fig, ax = _timeline_figure(days, window_days, history_days, per_unit=True)
        rug, legend = _add_rug(ax, np.array([0.0]))
        _finish_timeline(ax, days, window_days, per_unit=True, unit_id="")
        self.svg = SvgTemplate(fig, [rug, legend], figure_title(fig), salt="timeline")
        self.ax = ax
        rug_mark, legend_mark = self.svg.placeholders
        use = re.search(r"<use [^>]*/>", rug_mark)
        assert use is not None  # the one tick of the placeholder rug
        x_at = re.search(r' x="[^"]*"', use.group(0))
        assert x_at is not None
        self.rug = (rug_mark[: use.start()], rug_mark[use.end() :])
        self.tick = (use.group(0)[: x_at.start()] + ' x="', '"' + use.group(0)[x_at.end() :])
        label = re.search(r"<text[^>]*>本单位活动[^<]*</text>", legend_mark)
        assert label is not None
        self.legend = (legend_mark[: label.start()], label.group(0), legend_mark[label.end() :])
        fig.clear()

    def render(self, own_days: np.ndarray) -> str:
        if not len(own_days):
            return self.svg.render(["", ""])
        xs, _ = self.svg.to_svg(self.ax, own_days, 0.0)  # y: the placeholder's (y = 0)
        head, tail = self.rug
        before, after = self.tick
        rug = head + "".join(f"{before}{num(x)}{after}" for x in xs) + tail
        head, text, tail = self.legend
        legend = head + with_text(text, RUG_LABEL.format(n=len(own_days))) + tail
        return self.svg.render([rug, legend])


def activity_timeline_svg(
    activities: pd.DataFrame,
    deadline: date,
    window_days: int,
    unit_id: str,
    history_days: int = 120,
    district_days: pd.Series | None = None,
    reuse: dict[object, Any] | None = None,
) -> str:
    """`activity_timeline(..., unit_id=...)` as inline SVG, drawn from a template.

    The district's weekly bars, the window, the labels and the title are drawn once
    and kept in `reuse` (a dict the caller keeps for a batch of cards, e.g.
    ``ctx.cache``), with every unit's activity days grouped once; each call then
    writes only the unit's ticks and its legend line.
    """
    reuse = {} if reuse is None else reuse
    key = ("activity_timeline_svg", id(activities), id(district_days), deadline, window_days)
    entry = reuse.get(key)
    if entry is None:
        if district_days is None and (activities is None or activities.empty):
            days = pd.Series(dtype=float)
        else:
            days = _window(
                district_days
                if district_days is not None
                else days_to_deadline(activities["date"], deadline),
                history_days,
            )
        if days.empty:
            fig = activity_timeline(
                activities, deadline, window_days, unit_id, history_days, district_days
            )
            entry = figure_svg(fig, figure_title(fig), salt="timeline")
        else:
            entry = (
                _TimelineTemplate(days, window_days, history_days),
                _unit_days(activities, deadline, history_days),
            )
        reuse[key] = entry
    if isinstance(entry, str):
        return entry
    template, by_unit = entry
    return template.render(by_unit.get(unit_id, np.empty(0)))


def _unit_days(
    activities: pd.DataFrame | None, deadline: date, history_days: int
) -> dict[str, np.ndarray]:
    """Each unit's activity days in the chart's window, in the table's order."""
    if activities is None or activities.empty:
        return {}
    days = days_to_deadline(activities["date"], deadline)
    keep = days.notna() & (days >= -history_days) & (days <= 14)
    kept = pd.DataFrame({"unit_id": activities["unit_id"][keep], "d": days[keep].astype(float)})
    return {str(u): g.to_numpy() for u, g in kept.groupby("unit_id", sort=False)["d"]}
