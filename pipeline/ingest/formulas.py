"""Formula cells that carry no cached value, found in the workbook's XML.

A workbook written by a program (openpyxl, a web export) can hold a formula
such as `=HYPERLINK("http://…","学习")` with no cached result. calamine then
reads the cell as empty, and a typed activity name would be rejected as
"not filled in". `uncached_formulas` finds such cells (xlsx/xlsm only: the
other formats always store a result) so that the formula's text is kept as
inert text (never evaluated, never written back as a formula: output writers
escape text that starts with "=") with a warning finding naming the cell.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from contextlib import closing, nullcontext
from functools import lru_cache
from xml.etree import ElementTree as ET

from pipeline.ingest.package import Package

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _sheet_paths(z: zipfile.ZipFile | Package) -> dict[str, str]:
    """Sheet name -> part name inside the package."""
    return dict(_parse_sheet_paths(z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")))


@lru_cache(maxsize=64)
def _parse_sheet_paths(book: bytes, rels_xml: bytes) -> dict[str, str]:
    """`_sheet_paths` of these two parts (a round's returns mostly share them: kept; read only)."""
    wb = ET.fromstring(book)
    rels = ET.fromstring(rels_xml)
    targets = {}
    for r in rels:
        target = r.get("Target", "")
        targets[r.get("Id")] = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
    out = {}
    sheets = wb.find(f"{_NS}sheets")
    for s in sheets if sheets is not None else ():
        rid = s.get(_REL)
        if rid in targets:
            out[s.get("name", "")] = targets[rid]
    return out


# the start of any element named `f` (`<f>`, `<f t="shared" …/>`, `<x:f>`): a formula
_F_START = re.compile(rb"[<:]f[\s/>]")


def _may_hold_formulas(z: Package, part: str | None) -> bool:
    """False only when the sheet XML surely holds no formula element (then parsing it finds none).

    A quick scan of the bytes, streamed: parsing the XML costs far more. What the
    scan cannot judge (UTF-16 text, a DOCTYPE that may define entities) counts as
    holding formulas, so the parser decides."""
    if part is None or part not in z.zf.namelist():
        return False
    tail = b""
    first = True
    with z.open(part) as fh:
        while chunk := fh.read(1 << 20):
            if first and (b"\x00" in chunk[:4] or chunk[:2] in (b"\xff\xfe", b"\xfe\xff")):
                return True
            first = False
            buf = tail + chunk
            if _F_START.search(buf) or b"<!DOCTYPE" in buf:
                return True
            tail = buf[-16:]
    return False


def uncached_formulas(
    data: bytes, sheets: Iterable[str], package: Package | None = None
) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet -> {(row, col) 0-based: "=formula text"} for formula cells whose cached value is empty.

    Best effort and silent: a package it cannot read gives {} (the reader
    reports broken files). Shared-formula followers (no text) are left out.
    `package`: the file's zip, opened once for every look into it (`package.py`).
    """
    if not data.startswith(b"PK"):
        return {}
    out: dict[str, dict[tuple[int, int], str]] = {}
    sheets = list(sheets)
    pkg = Package(data) if package is None else package
    try:
        with nullcontext() if package is not None else closing(pkg):
            names = pkg.zf.namelist()
            paths = _sheet_paths(pkg)
            if not any(_may_hold_formulas(pkg, paths.get(name)) for name in sheets):
                return {}
            for name in sheets:
                part = paths.get(name)
                if part is None or part not in names:
                    continue
                found: dict[tuple[int, int], str] = {}
                with pkg.open(part) as fh:
                    for _, el in ET.iterparse(fh, events=("end",)):
                        if el.tag != f"{_NS}c":
                            continue
                        f = el.find(f"{_NS}f")
                        if f is not None and (f.text or "").strip():
                            v = el.find(f"{_NS}v")
                            is_ = el.find(f"{_NS}is")
                            cached = (v is not None and (v.text or "") != "") or is_ is not None
                            m = _REF.match(el.get("r", ""))
                            if not cached and m:
                                found[(int(m.group(2)) - 1, _col_index(m.group(1)))] = (
                                    "=" + f.text.strip()
                                )
                        el.clear()
                if found:
                    out[name] = found
    except (zipfile.BadZipFile, ET.ParseError, KeyError, OSError, ValueError, RuntimeError):
        return {}
    return out


def apply_formulas(
    rows: list[list[object]], cells: dict[tuple[int, int], str]
) -> list[tuple[int, int, str]]:
    """Put each formula's text into its empty grid cell (in place); the cells changed."""
    changed = []
    for (r, c), text in sorted(cells.items()):
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        while len(row) <= c:
            row.append("")
        if row[c] in ("", None):
            row[c] = text
            changed.append((r, c, text))
    return changed
