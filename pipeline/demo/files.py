"""Writing a return's cell grids as the file a unit sends.

xlsx and xlsm with xlsxwriter (fixed document dates and zip timestamps, so
the bytes depend only on the content), old .xls with xlwt, and the broken
kinds: password-protected (msoffcrypto-tool, with a seeded salt), truncated,
not a workbook, and the stray `~$` lock file Excel leaves behind.

The macro of an .xlsm is a placeholder: an OLE container (written with
xlwt's compound-document writer) holding an inert VBA-like text stream under
`xl/vbaProject.bin`. It gives the file the macro-enabled content type and a
VBA part, which is what a reader has to cope with; it is not a project Excel
could run, and nothing here ever runs it.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.demo.plants import Formula
from pipeline.demo.render import Grid

PASSWORD = "123456"
_VBA_SOURCE = (
    'Attribute VB_Name = "ThisWorkbook"\r\n'
    "Private Sub Workbook_Open()\r\n"
    '    MsgBox "本报表含宏，区活动办公室读取时不会运行。"\r\n'
    "End Sub\r\n"
)


def _vba_project() -> bytes:
    from xlwt.CompoundDoc import XlsDoc

    buf = io.BytesIO()
    XlsDoc().save(buf, _VBA_SOURCE.encode("utf-16-le"))
    return buf.getvalue()


def xlsx_bytes(grids: list[Grid], created: date, macros: bool = False) -> bytes:
    """The workbook as .xlsx (or .xlsm) bytes."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    stamp = datetime.combine(created, datetime.min.time())
    wb.set_properties({"created": stamp, "author": "", "title": ""})
    if macros:
        wb.add_vba_project(io.BytesIO(_vba_project()), is_stream=True)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    title_fmt = wb.add_format({"bold": True, "align": "center"})
    for g in grids:
        ws = wb.add_worksheet(g.name)
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                _write(ws, r, c, v, date_fmt)
        for r1, c1, r2, c2, value in g.merges:
            if (r1, c1) == (r2, c2):
                continue
            if isinstance(value, str):
                ws.merge_range(r1, c1, r2, c2, value, title_fmt if r1 == r2 else None)
            else:
                ws.merge_range(r1, c1, r2, c2, None)
        ws.set_column(0, max((len(x) for x in g.rows), default=1), 14)
    wb.close()
    return buf.getvalue()


def _write(ws, r: int, c: int, v: object, date_fmt) -> None:
    if v is None:
        return
    if isinstance(v, Formula):
        ws.write_formula(
            r, c, v, None, ""
        )  # a planted formula with no cached value (as openpyxl writes it)
    elif isinstance(v, str):
        ws.write_string(r, c, v)  # never a formula, never a number: text stays as typed
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif isinstance(v, (int, float, np.integer, np.floating)):
        ws.write_number(r, c, float(v))
    elif isinstance(v, date):
        ws.write_datetime(r, c, datetime.combine(v, datetime.min.time()), date_fmt)
    else:
        ws.write_string(r, c, str(v))


def xls_bytes(grids: list[Grid]) -> bytes:
    """The workbook as an old Excel 97-2003 .xls (BIFF8) with xlwt."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for g in grids:
        ws = wb.add_sheet(g.name, cell_overwrite_ok=True)
        merged = {(r1, c1): (r2, c2, v) for r1, c1, r2, c2, v in g.merges if (r1, c1) != (r2, c2)}
        covered = {
            (r, c)
            for r1, c1, r2, c2, _ in g.merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
        }
        for (r1, c1), (r2, c2, v) in merged.items():
            ws.write_merge(r1, r2, c1, c2, v if isinstance(v, str) else "")
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                if v is None or (r, c) in covered:
                    continue
                if isinstance(v, date):
                    ws.write(r, c, datetime.combine(v, datetime.min.time()), date_style)
                elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                    v, bool
                ):
                    ws.write(r, c, float(v))
                else:
                    ws.write(r, c, str(v))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _FixedClock(datetime):
    """Stands in for `datetime` in msoffcrypto's OLE writer, whose entries carry 'now'."""

    stamp = datetime(2026, 7, 1)

    @classmethod
    def now(cls, tz=None):
        return cls.stamp


def encrypted_bytes(plain: bytes, seed: int) -> bytes:
    """The workbook protected with a password (ECMA-376 agile encryption).

    msoffcrypto-tool draws its salt and key from `secrets` and stamps the OLE
    directory with the current time; both are pinned here (seeded salt, fixed
    clock) so that the same seed gives the same bytes.
    """
    import msoffcrypto.method.container.ecma376_encrypted as container
    import msoffcrypto.method.ecma376_agile as agile
    from msoffcrypto.format.ooxml import OOXMLFile

    rng = np.random.default_rng(seed)
    original_random, original_clock = agile._random_buffer, container.datetime
    agile._random_buffer = lambda size: rng.bytes(size)
    container.datetime = _FixedClock
    try:
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(plain)).encrypt(PASSWORD, out)
    finally:
        agile._random_buffer, container.datetime = original_random, original_clock
    return out.getvalue()


def truncated_bytes(plain: bytes) -> bytes:
    """A download or copy that stopped part-way: the zip directory at the end is gone."""
    return plain[: int(len(plain) * 0.55)]


def not_a_workbook_bytes(unit_name: str) -> bytes:
    """A PDF-looking file saved with an .xlsx name."""
    body = (
        f"%PDF-1.4\n% {unit_name} 创先争优活动情况汇报（扫描件）\n"
        "1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    )
    return body.encode("utf-8")


def stray_bytes(user: str = "Administrator") -> bytes:
    """The owner file Excel leaves beside an open workbook (`~$name.xlsx`)."""
    name = user.encode("latin-1")[:53]
    return bytes([len(name)]) + name.ljust(53, b" ") + b"\x00" * 110


def write_file(path: Path, data: bytes, received_at: pd.Timestamp) -> None:
    """Write bytes and set the file's mtime to the moment the office received it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    ts = received_at.timestamp()
    os.utime(path, (ts, ts))
