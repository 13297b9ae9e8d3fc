"""The four weaknesses: heat map of units × weaknesses, and one unit's profile.

- `weakness_heatmap(scores, thresholds=None, max_units=60)`: rows = units
  (worst overall first), columns = the four weaknesses, cells = index 0–100
  (darker = more severe); cells at or over the threshold are outlined.
- `unit_profile_chart(scores, unit_id, thresholds=None)`: horizontal bars of one
  unit's four indices beside the median of its unit type, threshold marked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from pipeline.charts._style import (
    BLUE,
    GREY,
    LIGHT,
    RED,
    empty_figure,
    figure_title,
    new_figure,
    set_title,
    short,
    style_axes,
    weakness_label,
)
from pipeline.charts.svg import SvgTemplate, figure_svg, num, with_attrs, with_text
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
            for i in np.flatnonzero(data[:, j] >= t).tolist():
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


def _peers(scores: pd.DataFrame, unit_type: object) -> pd.DataFrame:
    return scores[(scores["unit_type"] == unit_type) & scores["scored"].fillna(False).astype(bool)]


def _unit_values(row: pd.Series) -> np.ndarray:
    return np.array([float(row[w]) if pd.notna(row[w]) else np.nan for w in WEAKNESSES])


BAR_HEIGHT = 0.38


@dataclass
class _ProfileDrawing:
    """The profile chart's figure and the artists that change: the type's median bars
    and legend label (`set_type`), the unit's bars and value labels (`unit_marks`)."""

    fig: Figure
    unit_marks: list[Artist]
    median_bars: list[Rectangle]
    median_label: Text

    def set_type(self, unit_type: object, med: pd.Series, n_peers: int) -> None:
        for bar, m in zip(self.median_bars, med.to_numpy(), strict=True):
            bar.set_width(m)
        self.median_label.set_text(f"{unit_type}类单位中位数（{n_peers}个）")


def _profile_figure(thresholds: Mapping[str, float] | None) -> _ProfileDrawing:
    """The profile chart with neither a type's medians nor a unit's values (`set_type`,
    `_set_unit_values` put them in)."""
    y = np.arange(len(WEAKNESSES))
    fig = new_figure(6.5, 3.0, layout=None)
    fig.subplots_adjust(left=0.15, right=0.97, top=0.88, bottom=0.3)
    ax = fig.add_subplot()
    h = BAR_HEIGHT
    bars = ax.barh(y - h / 2, np.full(len(y), 50.0), height=h, color=BLUE, label="本单位")
    medians = ax.barh(
        y + h / 2,
        np.full(len(y), 50.0),
        height=h,
        color=LIGHT,
        edgecolor=GREY,
        linewidth=0.6,
        label="类单位中位数",
    )
    values = [ax.text(0, yi - h / 2, "0", va="center", fontsize=8) for yi in y]
    if thresholds:
        for yi, w in zip(y, WEAKNESSES, strict=True):
            t = thresholds.get(w)
            if t is not None:
                ax.plot([t, t], [yi - 0.45, yi + 0.45], color=RED, linewidth=1.2, linestyle="--")
        ax.plot([], [], color=RED, linestyle="--", label="预警线")
    ax.set_yticks(y, [weakness_label(w) for w in WEAKNESSES], fontsize=10)
    # fixed limits (the autoscaled ones of four bar pairs): the unit's values never move the axes
    margin = 0.05 * (len(y) - 1 + 2 * h)
    ax.set_ylim(len(y) - 1 + h + margin, -h - margin)
    ax.set_xlim(0, 105)
    ax.set_xlabel("指数（0–100，越高越严重）", fontsize=9)
    style_axes(ax, "x")
    legend = ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=8, frameon=False, ncols=3
    )
    label = next(t for t in legend.get_texts() if t.get_text() == "类单位中位数")
    set_title(ax, "四项不足：本单位与同类单位比较", 11)
    return _ProfileDrawing(fig, [*bars.patches, *values], list(medians.patches), label)


def _type_medians(scores: pd.DataFrame, unit_type: object) -> tuple[pd.Series, int]:
    peers = _peers(scores, unit_type)
    return peers[list(WEAKNESSES)].astype(float).median(), len(peers)


def _set_unit_values(marks: list[Artist], vals: np.ndarray) -> None:
    """One unit's four bars and value labels (a missing value draws neither)."""
    n = len(vals)
    bars = cast(list[Rectangle], marks[:n])
    texts = cast(list[Text], marks[n:])
    for bar, text, v in zip(bars, texts, vals, strict=True):
        ok = bool(np.isfinite(v))
        bar.set_visible(ok)
        text.set_visible(ok)
        if ok:
            bar.set_width(v)
            text.set_x(v + 1)
            text.set_text(f"{v:.0f}")


def unit_profile_chart(
    scores: pd.DataFrame, unit_id: str, thresholds: Mapping[str, float] | None = None
) -> Figure:
    """One unit's four indices against the median of its unit type."""
    rows = scores[scores["unit_id"] == unit_id]
    if rows.empty:
        return empty_figure(f"名册中没有单位 {unit_id}")
    row = rows.iloc[0]
    if not bool(row.get("scored", False)):
        return empty_figure("该单位本轮未评分")
    drawing = _profile_figure(thresholds)
    drawing.set_type(row["unit_type"], *_type_medians(scores, row["unit_type"]))
    _set_unit_values(drawing.unit_marks, _unit_values(row))
    return drawing.fig


PROFILE_ALT = "四项不足：本单位与同类单位比较"


class _ProfileRows:
    """Each unit's type, scored flag and four indices, looked up by id (built once)."""

    def __init__(self, scores: pd.DataFrame) -> None:
        self.pos = {u: i for i, u in enumerate(scores["unit_id"])}
        self.types = scores["unit_type"].to_numpy()
        self.scored = scores["scored"].fillna(False).astype(bool).to_numpy()
        self.values = scores[list(WEAKNESSES)].astype(float).to_numpy()


class _ProfileTemplate:
    """The chart of one unit type without the unit's values, and how to write them."""

    def __init__(self, drawing: _ProfileDrawing, scores: pd.DataFrame, unit_type: object) -> None:
        drawing.set_type(unit_type, *_type_medians(scores, unit_type))
        self.svg = SvgTemplate(drawing.fig, drawing.unit_marks, PROFILE_ALT, salt="profile")
        self.ax = drawing.fig.axes[0]
        n = len(WEAKNESSES)
        y = np.arange(n) - BAR_HEIGHT / 2
        self.bar_y = (y - BAR_HEIGHT / 2, y + BAR_HEIGHT / 2)
        self.bars = self.svg.placeholders[:n]
        self.texts = [
            cast(re.Match[str], re.search(r"<text[^>]*>[^<]*</text>", t))[0]
            for t in self.svg.placeholders[n:]
        ]
        self.x0 = self.svg.to_svg(self.ax, 0, 0)[0][0]

    def render(self, vals: np.ndarray) -> str:
        ok = np.isfinite(vals)
        v = np.where(ok, vals, 0.0)
        x1, y0 = self.svg.to_svg(self.ax, v, self.bar_y[0])
        _, y1 = self.svg.to_svg(self.ax, v, self.bar_y[1])
        xt, _ = self.svg.to_svg(self.ax, v + 1, self.bar_y[0])
        x0 = num(self.x0)
        bars, texts = [], []
        for i in np.flatnonzero(ok):
            a, b, c = num(x1[i]), num(y0[i]), num(y1[i])
            d = f"M {x0} {b} L {a} {b} L {a} {c} L {x0} {c} z"
            bars.append(with_attrs(self.bars[i], d=d))
            texts.append(with_attrs(with_text(self.texts[i], f"{vals[i]:.0f}"), x=num(xt[i])))
        marks = [""] * (2 * len(vals))
        for j, i in enumerate(np.flatnonzero(ok)):
            marks[i], marks[len(vals) + i] = bars[j], texts[j]
        return self.svg.render(marks)


def unit_profile_svg(
    scores: pd.DataFrame,
    unit_id: str,
    thresholds: Mapping[str, float] | None = None,
    reuse: dict[object, Any] | None = None,
) -> str:
    """`unit_profile_chart` as inline SVG, drawn from a per-type template.

    The axes, the type's median bars, thresholds and legend are drawn once per unit
    type and kept in `reuse` (a dict the caller keeps for a batch of cards, e.g.
    ``ctx.cache``); each call then writes only the unit's four bars and values.
    """
    reuse = {} if reuse is None else reuse
    rows_key = ("unit_profile_svg", id(scores))
    rows = reuse.get(rows_key)
    if rows is None:
        rows = reuse[rows_key] = _ProfileRows(scores)
    i = rows.pos.get(unit_id)
    if i is None or not rows.scored[i]:  # a note instead of a chart (kept for unscored units)
        note_key = (*rows_key, "unscored")
        note = reuse.get(note_key) if i is not None else None
        if note is None:
            fig = unit_profile_chart(scores, unit_id, thresholds)
            note = figure_svg(fig, figure_title(fig), salt="profile")
            if i is not None:
                reuse[note_key] = note
        return str(note)
    th_key = tuple(sorted((thresholds or {}).items()))
    key = (*rows_key, rows.types[i], th_key)
    template = reuse.get(key)
    if template is None:  # one figure for every type: its medians and legend label change
        drawing_key = (*rows_key, "drawing", th_key)
        drawing = reuse.get(drawing_key) or reuse.setdefault(
            drawing_key, _profile_figure(thresholds)
        )
        template = reuse[key] = _ProfileTemplate(drawing, scores, rows.types[i])
    return template.render(rows.values[i])
