"""A sheet's extent, checked before the reader materialises it.

calamine turns a sheet into a dense grid spanning its outermost cell: one cell
at XFD1048576 asks for 16,384 x 1,048,576 cells (about 550 GB) and the
allocator aborts the process (no Python exception, no way to catch it). For
zip-based workbooks (.xlsx, .xlsm) the sheet's XML is therefore scanned first,
streaming, for its declared `<dimension ref>`, every `<row r>` and every
`<c r>`; a sheet longer than `max_rows` or spanning more than
`max_rows` x `max_columns` cells is rejected with a reason naming the cell,
before calamine sees it. Other formats (xls is capped at 65,536 x 256 by the
format itself; xlsb, ods) rely on the reader running in a process of its own
(`guard.py`, `ingest.run`).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from functools import lru_cache
from typing import IO

from pipeline.ingest.package import Package
from pipeline.ingest.read import Limits, ReadError

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?>")
_DIM = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Za-z]+)(\d+)"')
_REF = re.compile(r"\$?([A-Za-z]+)\$?(\d+)")
# every `r="A12"` or `r="12"` (a superset of _CELL's and _ROW's references; no tag to match: fast)
_ANY_REF = re.compile(rb'r="([A-Za-z]*)(\d+)"')
CHUNK = 1 << 20
OVERLAP = 512  # longer than any tag start we look for


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _attrs(tag: bytes) -> dict[str, str]:
    return {
        k.decode().split(":")[-1] if not k.startswith(b"r:") else "r:" + k.decode()[2:]: v.decode(
            "utf-8", "replace"
        )
        for k, v in _ATTR.findall(tag)
    }


def sheet_parts(zf: zipfile.ZipFile | Package) -> dict[str, str]:
    """Sheet name -> its XML part inside the zip (xlsx workbooks)."""
    try:
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    return dict(_sheet_parts(book, rels))


@lru_cache(maxsize=64)
def _sheet_parts(book: bytes, rels: bytes) -> dict[str, str]:
    """`sheet_parts` of these two parts (a round's returns mostly share them: kept; read only)."""
    targets = {}
    for tag in _REL.findall(rels):
        a = _attrs(tag)
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = (
                t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
            )
    out = {}
    for tag in _SHEET.findall(book):
        a = _attrs(tag)
        rid = next((v for k, v in a.items() if k.startswith("r:") and k.endswith("id")), None)
        if "name" in a and rid in targets:
            out[_unescape(a["name"])] = targets[rid]
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _too_far(row: int, col: int, limits: Limits) -> bool:
    """Beyond the limits the reader enforces itself: max_rows rows, max_rows x max_columns cells."""
    return row + 1 > limits.max_rows or (row + 1) * (col + 1) > limits.max_rows * limits.max_columns


def _reason(row: int, limits: Limits, wide: str) -> str:
    """Too many rows keeps the reader's own reason; a grid too large otherwise gets `wide`."""
    return "too_many_rows" if row + 1 > limits.max_rows else wide


def _declared(ref: str) -> tuple[int, int]:
    """The 0-based last row and column of a `<dimension ref>` (0, 0 when it is no A1 range)."""
    r = _REF.fullmatch(ref.split(":")[-1])
    return (int(r.group(2)) - 1, column_index(r.group(1))) if r else (0, 0)


def within_limits(stream: IO[bytes], limits: Limits) -> bool:
    """True when `check_part` would pass this sheet XML; False when it may raise.

    The quick pass `check_extent` makes first. Every `r="…"` reference (of a
    cell, `A12`, or of a row, `12`; and any other attribute spelt so) is taken
    in bulk, per chunk; the largest row and column among them bound those of
    the sheet's cells and rows. The limits only grow stricter with the row and
    the column, so when these bounds are within them no cell or row is beyond
    them; otherwise `check_part` looks, and names the first offending cell.
    """
    tail = b""
    first = True
    top_row = top_col = 0
    letters_seen: set[bytes] = set()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return True
        buf = tail + chunk
        if first:
            m = _DIM.search(buf)
            if m and _too_far(*_declared(m.group(1).decode("ascii", "replace")), limits):
                return False
            first = False
        refs = _ANY_REF.findall(buf)
        if refs:
            letters, digits = zip(*refs, strict=True)
            if max(map(len, digits)) > 15:
                return False  # `check_part` turns such a number into a row (or fails as it does)
            top_row = max(top_row, max(map(int, digits)) - 1)
            for ref in set(letters) - letters_seen:
                if ref:
                    top_col = max(top_col, column_index(ref.decode("ascii")))
            letters_seen.update(letters)
            if _too_far(top_row, top_col, limits):
                return False
        tail = buf[-OVERLAP:]


def check_part(stream: IO[bytes], sheet: str, limits: Limits) -> None:
    """ReadError when the sheet XML declares or holds cells beyond the limits."""
    tail = b""
    first = True
    top_row = top_col = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        buf = tail + chunk
        if first:
            m = _DIM.search(buf)
            if m:
                declared = m.group(1).decode("ascii", "replace")
                row, col = _declared(declared)
                if _too_far(row, col, limits):
                    raise ReadError(
                        _reason(row, limits, "dimension_too_large"),
                        f"工作表“{sheet}”声明的区域为 {declared}，超出上限"
                        f"（{limits.max_rows} 行，{limits.max_rows * limits.max_columns} 个单元格）"
                        "，疑为异常文件，"
                        "请把内容复制到报表模板后重新报送",
                    )
            first = False
        for m in _CELL.finditer(buf):
            row, col = int(m.group(2)) - 1, column_index(m.group(1).decode("ascii"))
            top_row, top_col = max(top_row, row), max(top_col, col)
            if _too_far(top_row, top_col, limits):
                where = m.group(1).decode().upper() + m.group(2).decode()
                raise ReadError(
                    _reason(top_row, limits, "cell_out_of_range"),
                    _far_message(sheet, where, limits),
                )
        for m in _ROW.finditer(buf):
            row = int(m.group(1)) - 1
            if row + 1 > limits.max_rows:
                raise ReadError("too_many_rows", _far_message(sheet, f"第 {row + 1} 行", limits))
        tail = buf[-OVERLAP:]


def _far_message(sheet: str, where: str, limits: Limits) -> str:
    return (
        f"工作表“{sheet}”在 {where} 有内容，使表格区域超出上限（{limits.max_rows} 行，"
        f"{limits.max_rows * limits.max_columns} 个单元格），疑为异常文件；"
        "请删除表格远处的多余内容（或把内容复制到报表模板）后重新报送"
    )


def check_extent(
    data: bytes, sheets: Iterable[str], limits: Limits, package: Package | None = None
) -> None:
    """Check the named sheets of a zip-based workbook (no-op for other formats)."""
    if not data.startswith(b"PK"):
        return
    own = package is None
    pkg = Package(data) if package is None else package
    try:
        try:
            zf = pkg.zf
        except zipfile.BadZipFile:
            return  # the reader names the fault
        parts = sheet_parts(pkg)
        for name in sheets:
            part = parts.get(name)
            if part is None:
                continue
            try:
                stream = pkg.open(part)
            except KeyError:
                continue
            with stream:
                if within_limits(stream, limits):
                    continue
            with zf.open(part) as stream:  # the exact scan names the dimension or the cell
                check_part(stream, name, limits)
    finally:
        if own:
            pkg.close()
