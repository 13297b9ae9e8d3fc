"""HTML fragments for notebooks and pages; every piece of data is escaped here.

`html_table`, `html_paragraphs` and `html_heading` return strings of HTML in
which all data text is escaped (unit names such as ``<script>`` stay inert).
`show_*` display them in a notebook (IPython imported lazily), and
`show_figure` renders a chart to inline SVG (so the output does not depend on
the matplotlib backend; text stays text) and closes nothing global.
`figure_img` embeds a chart as a PNG data: URI (the briefing).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import figure_png, figure_title
from pipeline.charts.svg import figure_svg

FIGURE_DPI = 150
SCREEN_DPI = 96


def html_paragraphs(lines: Iterable[str] | str, css_class: str = "commentary") -> str:
    if isinstance(lines, str):
        lines = [lines]
    body = "".join(f"<p>{html.escape(str(line))}</p>" for line in lines)
    return f'<div class="{css_class}">{body}</div>'


def html_heading(text: str, level: int = 2) -> str:
    level = min(max(level, 1), 6)
    return f"<h{level}>{html.escape(str(text))}</h{level}>"


def _cell(v: object) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "是" if v else "否"
    if isinstance(v, float | np.floating):
        return "" if np.isnan(v) else f"{v:.1f}"
    return str(v)


def display_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as display text: blanks for missing, one decimal for floats, 是/否."""
    return pd.DataFrame({c: [_cell(v) for v in df[c]] for c in df.columns}, columns=df.columns)


# What pandas' `to_html(index=False, escape=True, border=0, classes="data")` writes, built
# directly: the tables are display text already (`display_cells`), and pandas' formatter
# cost seconds per 100,000 cells (the area pages, a batch of unit cards).
_TABLE_OPEN = '<table class="dataframe data">\n  <thead>\n    <tr style="text-align: right;">\n'
_CONTROL = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape(text: str) -> str:
    """A cell's text as pandas writes it: ends stripped, & < > escaped, double spaces kept."""
    text = text.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("  ", "&nbsp;&nbsp;")


def _table_head(columns: Iterable[object]) -> str:
    ths = "".join(f"      <th>{_escape(str(c))}</th>\n" for c in columns)
    return f"{_TABLE_OPEN}{ths}    </tr>\n  </thead>\n  <tbody>\n"


_TABLE_TAIL = "  </tbody>\n</table>"


def _table_rows(cells: pd.DataFrame) -> list[str]:
    """One `<tr>` per row of display text (control characters shown as \\n, as pandas)."""
    columns = [[_escape(v.translate(_CONTROL)) for v in cells[c]] for c in cells.columns]
    return [
        "    <tr>\n" + "".join(f"      <td>{v}</td>\n" for v in row) + "    </tr>\n"
        for row in zip(*columns, strict=True)
    ]


def html_table(df: pd.DataFrame | None, max_rows: int | None = None, empty: str = "（无）") -> str:
    """An escaped HTML table (as pandas `to_html(escape=True)` writes it), or a note when
    empty."""
    if df is None or df.empty:
        return f'<p class="empty">{html.escape(empty)}</p>'
    note = ""
    if max_rows is not None and len(df) > max_rows:
        note = (
            f'<p class="note">共{len(df)}行，仅显示前{max_rows}行，'
            "完整内容见汇总表 summary.xlsx。</p>"
        )
        df = df.head(max_rows)
    rows = "".join(_table_rows(display_cells(df)))
    return f'<div class="table-wrap">{_table_head(df.columns)}{rows}{_TABLE_TAIL}</div>{note}'


def html_tables_by(df: pd.DataFrame, keys: Sequence[object]) -> dict[object, str]:
    """`html_table` of each group of rows of `df` (rows with the same key, in their
    order), rendered at once: a batch of unit cards renders its tables together. Keys
    with no rows are absent (their page shows the `html_table` empty note)."""
    if df is None or df.empty:
        return {}
    rows = _table_rows(display_cells(df.reset_index(drop=True)))
    head = _table_head(df.columns)
    groups: dict[object, list[str]] = {}
    for key, row in zip(keys, rows, strict=True):
        groups.setdefault(key, []).append(row)
    return {
        k: f'<div class="table-wrap">{head}{"".join(r)}{_TABLE_TAIL}</div>'
        for k, r in groups.items()
    }


def figure_img(fig: Figure, alt: str | None = None, dpi: int = FIGURE_DPI) -> str:
    """An <img> with the figure as a data: URI, sized for screen at ~96 dpi."""
    alt = alt or figure_title(fig)
    png = figure_png(fig, dpi=dpi)
    width = int(fig.get_figwidth() * SCREEN_DPI)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="chart" src="data:image/png;base64,{data}" width="{width}" '
        f'alt="{html.escape(alt)}">'
    )


# --- notebook display -------------------------------------------------------


def _display_html(fragment: str) -> None:
    from IPython.display import HTML, display

    display(HTML(fragment))


def show_text(lines: Iterable[str] | str) -> None:
    _display_html(html_paragraphs(lines))


def show_heading(text: str, level: int = 2) -> None:
    _display_html(html_heading(text, level))


def show_table(df: pd.DataFrame, max_rows: int | None = None, empty: str = "（无）") -> None:
    _display_html(html_table(df, max_rows=max_rows, empty=empty))


def show_figure(fig: Figure, dpi: int = FIGURE_DPI, alt: str | None = None) -> None:
    """Display a chart as inline SVG with alt text (`figure_svg`: text as text, a few
    kilobytes, sharp on screen and in print); `dpi` is for raster parts (a heat map)."""
    _display_html(figure_svg(fig, alt or figure_title(fig), dpi=dpi))
