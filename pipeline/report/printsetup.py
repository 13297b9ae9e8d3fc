"""One page setup for every workbook the pipeline writes (summary, feedback, templates).

`PrintSetup` says what a printed sheet needs — A4, landscape when wide, fit to
one page wide, header rows and the name column repeated on every page, a title
in the page header and "第 N 页，共 M 页" in the footer — and `apply_xlsxwriter`
/ `apply_openpyxl` put it on a worksheet of either library. A sheet that prints
one page wide never splits a row's values from the unit name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

A4 = 9  # Excel paper size code
WIDE_COLUMNS = 95
"""Total column width (Excel character units) above which a sheet prints landscape."""
FOOTER = "第 &P 页，共 &N 页"


@dataclass(frozen=True)
class PrintSetup:
    title: str
    header_rows: tuple[int, int]  # first and last row (0-based) repeated on every page
    name_columns: tuple[int, int] | None = None  # first and last column (0-based) repeated
    landscape: bool = False
    banner: str = ""  # e.g. 临时结果, printed in the page header too


def is_wide(widths: Sequence[float]) -> bool:
    return sum(widths) > WIDE_COLUMNS


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # '&' starts a code in Excel header/footer strings


def header_string(setup: PrintSetup) -> str:
    title = _header_text(setup.title)[:200]
    banner = f'&R&"-,Bold"{_header_text(setup.banner)}' if setup.banner else ""
    return f"&C{title}{banner}"


def apply_xlsxwriter(ws, setup: PrintSetup) -> None:
    """Page setup of an xlsxwriter worksheet."""
    ws.set_paper(A4)
    if setup.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*setup.header_rows)
    if setup.name_columns is not None:
        ws.repeat_columns(*setup.name_columns)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(header_string(setup), {"margin": 0.3})
    ws.set_footer(f"&C{FOOTER}", {"margin": 0.3})


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def apply_openpyxl(ws, setup: PrintSetup) -> None:
    """Page setup of an openpyxl worksheet."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if setup.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    a, b = setup.header_rows
    ws.print_title_rows = f"{a + 1}:{b + 1}"
    if setup.name_columns is not None:
        c, d = setup.name_columns
        ws.print_title_cols = f"{_letter(c)}:{_letter(d)}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.7, 0.6
    ws.oddHeader.center.text = _header_text(setup.title)[:200]
    if setup.banner:
        ws.oddHeader.right.text = _header_text(setup.banner)
    ws.oddFooter.center.text = FOOTER
