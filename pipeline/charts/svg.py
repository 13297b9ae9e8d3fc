"""Charts as inline SVG: text kept as text, and charts drawn once and reused.

- `figure_svg(fig, alt)`: a figure as an ``<svg class="chart">`` fragment for an
  HTML page. Text stays text (``svg.fonttype = "none"``): the file is a few
  kilobytes, prints sharp at any size, and the reader's own Chinese font draws it
  (the stack in `fonts.web_font_stack`, the font the chart was laid out with
  first). Matplotlib escapes every text, so a unit name such as ``<b>&`` stays
  inert.
- `SvgTemplate(fig, slots)`: a figure drawn once, with the places of a few
  artists ("slots", e.g. one unit's bars and values) left open; `render(marks)`
  fills them with SVG text the caller writes (copying the placeholders' style,
  `to_svg` for coordinates). The axes, ticks, legend and everything else the same
  for a whole unit type are drawn once per batch of cards; a card pays for a few
  string operations. Tests check the result against `figure_svg` of the full
  figure.

Ids are stable (`svg.hashsalt` per chart kind), so the same input gives the same
bytes and two charts on one page do not share clip-path ids.
"""

from __future__ import annotations

import html
import io
import itertools
import re
from collections.abc import Sequence
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.transforms import Transform
from matplotlib.typing import RcKeyType

from pipeline.charts._style import ensure_fonts
from pipeline.charts.fonts import web_font_stack

SVG_DPI = 72  # the SVG backend's user unit is one point

_TAG = re.compile(r"<[^>]*>")
_AUTO_ID = re.compile(r' id="[A-Za-z][\w.]*_\d+"')  # matplotlib's figure_1, text_12, … (unused)
_SLOT_ID = re.compile(r' id="slot-[\w.-]+"')
_FAMILY = re.compile(r"font-family: [^;\"]*(; )?")
_LONG_FLOAT = re.compile(r"(\d\.\d\d)\d+")
_SPACE = re.compile(r"\s+")
_GROUP = re.compile(r"<g[ >]|</g>")
_NO_ROTATION = re.compile(r' transform="rotate\(-?0 [^"]*\)"')
_ANY_GROUP = re.compile(r"<g>|<g [^>]*>|</g>")


def _rc(salt: str) -> dict[RcKeyType, Any]:
    return {"svg.fonttype": "none", "svg.hashsalt": salt, "svg.image_inline": True}


def _tidy_tag(m: re.Match[str]) -> str:
    tag = _AUTO_ID.sub("", _SPACE.sub(" ", m.group(0)))
    tag = _NO_ROTATION.sub("", _FAMILY.sub("", tag)).replace(' z "', ' z"')
    return _LONG_FLOAT.sub(r"\1", tag).replace(" />", "/>").replace('; "', '"')


def tidy(svg: str, keep_slots: bool = False) -> str:
    """Smaller SVG text with the same drawing: tags only (never the text between them)
    lose matplotlib's unused group ids (slot ids too unless `keep_slots`), the
    per-text font list (one rule instead), line breaks, digits past 1/100 pt and
    groups without attributes; the metadata goes."""
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = _TAG.sub(_tidy_tag, svg)
    if not keep_slots:
        svg = _SLOT_ID.sub("", svg)
    return _flatten(re.sub(r">\s+<", "><", svg).strip())


def _flatten(svg: str) -> str:
    """Drop groups without attributes (``<g>…</g>`` draws as its content); an
    unmatched ``</g>`` (a fragment ending an outer group) is kept."""
    out: list[str] = []
    bare: list[bool] = []
    pos = 0
    for m in _ANY_GROUP.finditer(svg):
        out.append(svg[pos : m.start()])
        pos = m.end()
        tag = m.group(0)
        if tag == "</g>":
            if not (bare and bare.pop()):
                out.append(tag)
        else:
            bare.append(tag == "<g>")
            if tag != "<g>":
                out.append(tag)
    out.append(svg[pos:])
    return "".join(out)


def _root(svg: str, alt: str) -> str:
    """The <svg> element alone (no prolog), with class, role, label and the font rule;
    matplotlib's default style is scoped to the chart (inline SVG shares the page's CSS)."""
    svg = svg[svg.index("<svg") :].replace('<style type="text/css">*{', "<style>svg.chart *{", 1)
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    head = re.sub(r' xmlns:xlink="[^"]*"', "", head)
    label = html.escape(alt)
    xlink = "http://www.w3.org/1999/xlink"
    head = head.replace(
        "<svg ", f'<svg class="chart" role="img" aria-label="{label}" xmlns:xlink="{xlink}" ', 1
    )
    stack = web_font_stack(ensure_fonts())
    style = f"<style>svg.chart text{{font-family:{stack};white-space:pre}}</style>"
    return head + style + svg[head_end:]


def _render(fig: Figure, salt: str, dpi: float | None = None) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(_rc(salt)):
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None}, dpi=dpi)
    return buf.getvalue()


def figure_svg(fig: Figure, alt: str, salt: str | None = None, dpi: float | None = None) -> str:
    """A figure as an inline ``<svg class="chart">`` (text as text, escaped by matplotlib).

    `salt` makes the ids stable (default: the alt text): equal ids then mean equal
    definitions. `dpi` is the resolution of raster parts (a heat map's cells)."""
    return _root(tidy(_render(fig, salt or alt, dpi)), alt)


def _group_span(svg: str, gid: str) -> tuple[int, int]:
    """Start and end of the element ``<g id="gid">…</g>`` (nested groups included)."""
    start = svg.index(f'<g id="{gid}">')
    depth = 0
    for m in _GROUP.finditer(svg, start):
        depth += -1 if m.group(0) == "</g>" else 1
        if depth == 0:
            return start, m.end()
    raise ValueError(f"unbalanced SVG group {gid}")


class SvgTemplate:
    """A figure rendered once to SVG, with the places of a few artists ("slots") left open.

    `slots` are artists of `fig` in their drawing order. `placeholders[i]` is what
    slot i drew in the template (its attributes and style, to copy); `render(marks)`
    puts the caller's SVG text in each slot's place. `to_svg(ax, x, y)` maps data
    coordinates of an axes to the SVG's (points, y down), as the figure was drawn.
    An empty mark draws nothing.
    """

    def __init__(self, fig: Figure, slots: Sequence[Artist], alt: str, salt: str) -> None:
        for i, a in enumerate(slots):
            a.set_gid(f"slot-{i}")
        svg = tidy(_render(fig, salt), keep_slots=True)
        cuts = [_group_span(svg, f"slot-{i}") for i in range(len(slots))]
        if any(b[0] < a[1] for a, b in itertools.pairwise(cuts)):
            raise ValueError("slots must be given in drawing order")
        bounds = [0, *(x for c in cuts for x in c), len(svg)]
        pieces = [svg[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
        self._static = [_root(pieces[0], alt), *pieces[1:]]
        self.placeholders = [_SLOT_ID.sub("", svg[a:b])[3:-4] for a, b in cuts]  # no <g>…</g>
        self.height = fig.get_figheight() * SVG_DPI
        dpi = fig.dpi
        fig.dpi = SVG_DPI
        try:
            # frozen() of a Transform is a Transform (the stub says TransformNode)
            self._transforms = {id(ax): cast(Transform, ax.transData.frozen()) for ax in fig.axes}
        finally:
            fig.dpi = dpi

    def to_svg(self, ax: Any, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """SVG coordinates of data points (arrays or numbers) of `ax`."""
        xy = np.column_stack(np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float)))
        out = self._transforms[id(ax)].transform(xy)
        return out[:, 0], self.height - out[:, 1]

    def render(self, marks: Sequence[str]) -> str:
        """The whole chart with `marks[i]` in slot i's place."""
        if len(marks) != len(self._static) - 1:
            raise ValueError(f"{len(self._static) - 1} slots, {len(marks)} marks")
        parts = [self._static[0]]
        for mark, static in zip(marks, self._static[1:], strict=True):
            parts += [mark, static]
        return "".join(parts)


def num(x: float) -> str:
    """A coordinate as `tidy` writes it (matplotlib's format, cut at 1/100 pt)."""
    s = f"{x:f}".rstrip("0").rstrip(".")
    dot = s.find(".")
    return s if dot < 0 or len(s) - dot <= 3 else s[: dot + 3]


def with_attrs(element: str, **attrs: str) -> str:
    """`element` (SVG text of one tag) with the given attributes' values replaced."""
    for name, value in attrs.items():
        element, n = re.subn(f' {name}="[^"]*"', f' {name}="{value}"', element, count=1)
        if not n:
            raise ValueError(f"no attribute {name} in {element[:60]}")
    return element


def with_text(element: str, text: str) -> str:
    """A ``<text …>…</text>`` element with its content replaced (escaped here)."""
    head = element[: element.index(">") + 1]
    return head + html.escape(text, quote=False) + "</text>"
