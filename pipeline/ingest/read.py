"""Reading a workbook into cell grids, or rejecting it with a reason.

`read_workbook(data, name, limits, wanted)` sniffs the bytes (encrypted,
truncated, not a workbook, too large when inflated), then reads the wanted
sheets with python-calamine (xlsx, xlsm, xlsb, xls, ods; macros are never
run, formulas never evaluated: a formula cell gives its cached value and a
text cell `=1+1` stays that text). Merged ranges are filled with their
top-left value. Every failure is a `ReadError(reason, message)`.
"""

from __future__ import annotations

import io
import re
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from python_calamine import CalamineWorkbook, PasswordError

from pipeline.config import Ingest
from pipeline.ingest.package import Package
from pipeline.names import is_clean

_INGEST = Ingest()  # the config model holds every default; signatures read it

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
# BIFF2-BIFF4 stand-alone worksheets (Excel 2.x-4.0): BOF record ids
OLD_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")

MAX_COLUMNS = (
    _INGEST.max_columns
)  # a sheet's cells are limited to max_rows x this before they become Python objects
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm", ".et")


@dataclass(frozen=True)
class Limits:
    """The reader's limits; the defaults are the config model's (`[ingest]`)."""

    max_file_mb: float = _INGEST.max_file_mb
    max_uncompressed_mb: float = _INGEST.max_uncompressed_mb
    max_rows: int = _INGEST.max_rows
    timeout_seconds: float = _INGEST.timeout_seconds
    max_columns: int = _INGEST.max_columns
    max_cell_chars: int = _INGEST.max_cell_chars  # a longer cell is cut when read (lengths.py)

    @classmethod
    def from_config(cls, config) -> Limits:
        i = config.ingest
        return cls(
            i.max_file_mb,
            i.max_uncompressed_mb,
            i.max_rows,
            i.timeout_seconds,
            i.max_columns,
            i.max_cell_chars,
        )


class ReadError(Exception):
    """A file that cannot be used as a workbook; `reason` is a stable code."""

    def __init__(self, reason: str, message: str, detail: str = ""):
        self.reason = reason
        self.message = message
        self.detail = detail
        super().__init__(f"{reason}: {message}" + (f" ({detail})" if detail else ""))


@dataclass
class Grid:
    """One sheet's cells from A1: rows[i][j] is Excel row i+1, column j+1."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    cut: dict[tuple[int, int], int] = field(
        default_factory=dict
    )  # (row, col) -> length before the cut


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def a1(row: int, col: int) -> str:
    """0-based row and column -> A1 reference."""
    return f"{column_letter(col)}{row + 1}"


# ---------------------------------------------------------------- time limit


class FileTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout after `seconds` (main thread only; elsewhere no limit).

    Restores any alarm already set (pytest-timeout uses one).
    """
    if (
        seconds <= 0
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
    ):
        yield
        return

    def _raise(signum, frame):
        raise FileTimeout()

    started = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, _raise)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:  # the outer alarm keeps its own deadline
            left = max(old_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


# ---------------------------------------------------------------- sniffing


def _zip_check(data: bytes, limits: Limits, package: Package | None = None) -> str:
    """The workbook kind inside a zip (.xlsx, .xlsb, .ods), or ReadError."""
    try:
        zf = package.zf if package is not None else zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError(
            "truncated", "文件不完整（压缩包结构缺失，可能传输中断），请重新报送", str(exc)
        ) from None
    except Exception as exc:  # struct errors in a mangled directory
        raise ReadError(
            "truncated", "文件不完整（压缩包结构损坏），请重新报送", repr(exc)
        ) from None
    with zf if package is None else nullcontext(zf):
        infos = zf.infolist()
        total = sum(max(0, i.file_size) for i in infos)
        if total > limits.max_uncompressed_mb * 1024 * 1024:
            raise ReadError(
                "too_large",
                f"文件解压后过大（{total / 1048576:.0f} MB，上限 "
                f"{limits.max_uncompressed_mb:g} MB），疑为异常文件",
            )
        names = {i.filename.replace("\\", "/") for i in infos}
    if "EncryptedPackage" in names:
        raise ReadError("encrypted", "文件设有密码保护，无法读取，请取消密码后重新报送")
    if "word/document.xml" in names or "ppt/presentation.xml" in names:
        raise ReadError(
            "not_a_workbook",
            "文件是 Word 或 PowerPoint 文档，不是 Excel 表格，请用报表模板填写后报送",
        )
    if "xl/workbook.bin" in names:
        return ".xlsb"
    if "mimetype" in names or "content.xml" in names:
        return ".ods"
    return ".xlsx"


def _ole_encrypted(data: bytes) -> bool:
    try:
        import msoffcrypto

        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        return bool(office.is_encrypted())
    except Exception:
        return False


def _ole_other_document(data: bytes) -> bool:
    """An OLE file that is readable and holds another program's document, not a workbook."""
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(p).lower() for p in ole.listdir()}
    except Exception:
        return False  # leave it to the workbook reader, which names the fault
    if streams & {"workbook", "book"}:
        return False
    return bool(streams & {"worddocument", "powerpoint document"})


def sniff(data: bytes, limits: Limits, package: Package | None = None) -> str:
    """The workbook kind as a suffix (.xlsx, .xlsb, .ods, .xls); ReadError for non-workbooks."""
    if len(data) > limits.max_file_mb * 1024 * 1024:
        raise ReadError(
            "too_large", f"文件过大（{len(data) / 1048576:.1f} MB，上限 {limits.max_file_mb:g} MB）"
        )
    if not data:
        raise ReadError("not_a_workbook", "文件是空的（0 字节），请重新报送")
    head = data[:8]
    if head.startswith(ZIP_MAGIC) or head.startswith(ZIP_EMPTY):
        return _zip_check(data, limits, package)
    if head == OLE_MAGIC:
        if _ole_encrypted(data):
            raise ReadError("encrypted", "文件设有密码保护，无法读取，请取消密码后重新报送")
        if _ole_other_document(data):
            raise ReadError(
                "not_a_workbook",
                "文件是 Word 或 PowerPoint 等其他文档，不是 Excel 表格，请用报表模板填写后报送",
            )
        return ".xls"
    if OLE_MAGIC.startswith(head) or ZIP_MAGIC.startswith(head[:4]):
        raise ReadError("truncated", "文件不完整（可能传输中断），请重新报送")
    if head[:2] in OLD_BIFF:
        raise ReadError(
            "unreadable", "文件是 Excel 4.0 及更早的旧格式，无法读取，请另存为 .xlsx 后重新报送"
        )
    text = data[:512].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t").lower().replace(b"\x00", b"")
    if text.startswith((b"<?xml", b"<html", b"<!doctype", b"<table", b"<workbook")):
        raise ReadError(
            "not_a_workbook",
            "文件是网页或 XML 格式（不是真正的 Excel 工作簿），请用报表模板填写后另存为 .xlsx 报送",
        )
    if head.startswith(b"%PDF"):
        raise ReadError("not_a_workbook", "文件是 PDF，不是 Excel 表格，请用报表模板填写后报送")
    raise ReadError("not_a_workbook", "不是 Excel 表格文件，请用报表模板填写后报送")


# ---------------------------------------------------------------- reading

_PASSWORD = re.compile(r"password|encrypt", re.I)


_SAME_KIND = {
    ".xlsx": (".xlsx", ".xlsm", ".xltx", ".xltm"),
    ".xlsb": (".xlsb",),
    ".ods": (".ods",),
    ".xls": (".xls", ".et"),
}


def open_workbook(
    data: bytes, limits: Limits, path: Path | None = None, package: Package | None = None
) -> CalamineWorkbook:
    """Open with calamine: from the path when its suffix fits the content (calamine then names
    the exact fault), else from the bytes (content sniffing)."""
    kind = sniff(data, limits, package)
    try:
        # calamine takes a path as UTF-8 text: a name with escaped bytes is opened from its bytes
        if path is not None and path.suffix.lower() in _SAME_KIND[kind] and is_clean(str(path)):
            return CalamineWorkbook.from_path(str(path))
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise ReadError("encrypted", "文件设有密码保护，无法读取，请取消密码后重新报送") from None
    except FileTimeout:
        raise
    except (
        BaseException
    ) as exc:  # calamine errors and Rust panics (PanicException is a BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _calamine_error(exc) from None


def _calamine_error(exc: BaseException) -> ReadError:
    detail = f"{type(exc).__name__}: {str(exc)[:200]}"
    text = str(exc)
    if _PASSWORD.search(text):
        return ReadError("encrypted", "文件设有密码保护，无法读取，请取消密码后重新报送", detail)
    if (
        "EOCD" in text
        or "past end of file" in text
        or "too small" in text
        or "unexpected end" in text.lower()
    ):
        return ReadError("truncated", "文件不完整（可能传输中断），请重新报送", detail)
    if "larger than its declared" in text:
        return ReadError("too_large", "压缩内容与声明的大小不符，疑为异常文件", detail)
    if "Cell limit exceeded" in text:
        return ReadError("too_large", "工作表声明的单元格数量过大，疑为异常文件", detail)
    if "detect file format" in text:
        return ReadError("not_a_workbook", "不是 Excel 表格文件，请用报表模板填写后报送", detail)
    return ReadError(
        "unreadable", "文件已损坏或格式异常，无法读取，请用 Excel 另存为 .xlsx 后重新报送", detail
    )


def fill_merged(
    rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """Give every cell of a merged range its top-left value (in place)."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        top = rows[r0]
        value = top[c0] if c0 < len(top) else ""
        if value == "" or value is None:
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def read_sheet(wb: CalamineWorkbook, name: str, limits: Limits) -> Grid:
    try:
        sheet = wb.get_sheet_by_name(name)
        end = sheet.end
        if end is not None and end[0] + 1 > limits.max_rows:
            raise ReadError(
                "too_many_rows",
                f"工作表“{name}”行数过多（{end[0] + 1} 行，上限 {limits.max_rows} 行），"
                "疑为异常文件",
            )
        if end is not None and (end[0] + 1) * (end[1] + 1) > limits.max_rows * limits.max_columns:
            raise ReadError(
                "too_large",
                f"工作表“{name}”的区域过大（{end[0] + 1} 行 × {end[1] + 1} 列），疑为异常文件",
            )
        rows = cast(list[list[object]], sheet.to_python(skip_empty_area=False))
        merged = list(sheet.merged_cell_ranges or [])
    except (ReadError, FileTimeout):
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _calamine_error(exc) from None
    from pipeline.ingest.lengths import cut_grid

    cut = cut_grid(rows, limits.max_cell_chars)
    fill_merged(rows, merged)
    return Grid(name, rows, merged, cut)


def read_workbook(
    data: bytes,
    limits: Limits,
    wanted: Callable[[list[str]], Iterable[str]] | None = None,
    path: Path | None = None,
    package: Package | None = None,
) -> tuple[list[str], dict[str, Grid]]:
    """All sheet names, and the grids of the sheets `wanted(names)` picks (default: all).

    `package`: the file's zip opened once for every look into it (`package.py`)."""
    wb = open_workbook(data, limits, path, package)
    try:
        names = list(wb.sheet_names)
        pick = names if wanted is None else list(wanted(names))
        from pipeline.ingest.extent import check_extent

        check_extent(
            data, pick, limits, package
        )  # before calamine materialises a sheet (extent.py)
        grids = {n: read_sheet(wb, n, limits) for n in pick}
    finally:
        try:
            wb.close()
        except Exception:
            pass
    return names, grids
