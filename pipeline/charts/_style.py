"""Shared look of every chart: CJK font, print-friendly sizes and colours.

The only module-level state is whether the CJK font has been configured.
"""

from __future__ import annotations

import io
from typing import Literal

import matplotlib
from matplotlib.figure import Figure

from pipeline.charts.fonts import configure_cjk_font, has_bold
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.form import load_form

_font: str | None = None

# Colour-blind-safe (Okabe-Ito) with enough contrast to survive grey-scale printing.
BLUE = "#0072B2"
ORANGE = "#E69F00"
RED = "#D55E00"
GREEN = "#009E73"
GREY = "#7f7f7f"
LIGHT = "#d9d9d9"
WEAKNESS_COLOURS = dict(zip(WEAKNESSES, (BLUE, ORANGE, GREEN, RED), strict=True))


def ensure_fonts() -> str:
    """Configure the CJK font once per process (NoCJKFontError if none is installed)."""
    global _font
    if _font is None or matplotlib.rcParams["axes.unicode_minus"]:
        _font = configure_cjk_font()
    return _font


def emphasis_weight() -> str:
    """ "bold" where the chart font has a bold face, else "normal" (no fake-bold warnings)."""
    return "bold" if has_bold(ensure_fonts()) else "normal"


def new_figure(
    width: float,
    height: float,
    layout: Literal["constrained", "compressed", "tight"] | None = "constrained",
) -> Figure:
    """A pyplot-free figure (nothing registered globally), styled for print.

    Charts drawn hundreds of times (unit cards) pass ``layout=None`` and set fixed
    margins: constrained layout costs an extra text-measuring pass per draw.
    """
    ensure_fonts()
    return Figure(figsize=(width, height), dpi=100, layout=layout)


def style_axes(ax, grid_axis: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid_axis, color=LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def weakness_label(key: str) -> str:
    return WEAKNESS_LABELS.get(key, key)


def short(text: object, limit: int = 14) -> str:
    """A label short enough for an axis (full text stays in the tables)."""
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _width(text: str) -> float:
    """Width of a text in em (CJK and full-width characters 1, others about half)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text)


def wrap_title(text: str, width_in: float, fontsize: float, share: float = 0.72) -> str:
    """Break a title into lines that fit `share` of a figure `width_in` inches wide.

    Lines break before "（" or after "，；：、" where possible, else anywhere.
    `share` leaves room for tick labels left of a left-aligned axes title.
    """
    limit = max(8.0, width_in * 72 * share / fontsize)
    out: list[str] = []
    for line in text.split("\n"):
        while _width(line) > limit:
            cut, w = 0, 0.0
            for i, ch in enumerate(line):
                w += _width(ch)
                if w > limit:
                    break
                if ch in "，；：、 " and i > 0:
                    cut = i + 1
                elif ch == "（" and i > 0:
                    cut = i
            cut = cut or max(1, i)
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        out.append(line)
    return "\n".join(out)


def set_title(ax, text: str, fontsize: float = 11, loc: str = "left") -> None:
    """An axes title wrapped to fit its figure (a long title is never clipped)."""
    ax.set_title(wrap_title(text, ax.figure.get_figwidth(), fontsize), fontsize=fontsize, loc=loc)


def sort_types(types) -> list[str]:
    order = load_form().unit_types  # the form's 单位类型 choices: the one list
    known = [t for t in order if t in set(types)]
    return known + sorted(t for t in set(types) if t not in order)


def empty_figure(message: str, width: float = 6, height: float = 1.6) -> Figure:
    """A small figure that says there is nothing to draw (instead of failing)."""
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color=GREY)
    return fig


def figure_png(fig: Figure, dpi: int = 150) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def figure_title(fig: Figure) -> str:
    """The chart's title (for alt text), or 图表."""
    for ax in fig.axes:
        for loc in ("left", "center"):
            title = ax.get_title(loc=loc)
            if title:
                return title.replace("\n", " ")
    for ax in fig.axes:  # charts that only say there is nothing to draw
        for text in ax.texts:
            if text.get_text():
                return text.get_text()
    return "图表"
