"""One return workbook → a small picklable `ParsedReturn` (runs in a worker).

The worker hashes the file, reads only the form's sheets, cleans and
validates them and sends back typed tables and findings; unit matching,
supersession and statuses are decided afterwards over the whole round
(`run.py`). Nothing here raises for a bad file: the problem is the result.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.config import Campaign
from pipeline.form import FormSpec, load_form
from pipeline.hashing import file_sha256
from pipeline.ingest.formulas import apply_formulas, uncached_formulas
from pipeline.ingest.guard import hard_stop
from pipeline.ingest.lengths import cut_layout
from pipeline.ingest.package import Package
from pipeline.ingest.read import FileTimeout, Limits, ReadError, a1, read_workbook, time_limit
from pipeline.ingest.sheets import find_keyvalue, find_table, match_sheets
from pipeline.ingest.validate import (
    FINDING_COLUMNS,
    Context,
    cross_checks,
    drop_duplicate_rows,
    finding,
    first_record,
    validate_keyvalue,
    validate_table,
)

STRAY_PREFIXES = ("~$", ".~lock", "._", ".")
STRAY_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_DTYPES = {
    "text": "string",
    "choice": "string",
    "integer": "Int64",
    "number": "Float64",
    "date": "datetime64[ms]",
    "yesno": "boolean",
}


@dataclass
class ParsedReturn:
    file: str
    size: int
    sha256: str
    mtime: float  # POSIX seconds
    status: str = "read"  # read | rejected | ignored
    reason: str | None = None
    message: str | None = None
    written_name: str | None = None
    report_date: date | None = None
    records: dict[str, list[dict]] = field(
        default_factory=dict
    )  # table -> typed rows (plain Python)
    finding_rows: list[dict] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)  # table -> sheet name as spelt
    info_cells: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # 基本情况 key -> 0-based (row, col)
    columns: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # table sheet -> key -> 0-based column
    form_version: int = Campaign.model_fields["form_version"].default  # the config model holds it
    # the outcome may differ on another try (timeout, memory, a reader that died):
    # such a result is never kept for reuse (`reuse.py`)
    transient: bool = False

    # Frames are built on access, not in the worker: plain lists pickle and
    # travel far cheaper than DataFrames (see docs/benchmarks.md).
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Clean rows per sheet table: file, sheet, row + the spec keys, typed."""
        form = load_form(self.form_version)
        return {
            s.table: table_frame(
                self.records.get(s.table, []), s, self.file, self.sheets.get(s.table)
            )
            for s in form.data_sheets
        }

    @property
    def findings(self) -> pd.DataFrame:
        return findings_frame(self.finding_rows)


def empty_findings() -> pd.DataFrame:
    return findings_frame([])


def findings_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    for c in FINDING_COLUMNS:
        if c == "row":
            df[c] = df[c].astype("Int64")
        elif c == "row_rejected":
            df[c] = df[c].fillna(False).astype(bool)
        else:
            df[c] = df[c].astype("string")
    return df


def table_frame(
    records: list[dict], sheet_spec, file: str | None = None, sheet_name: str | None = None
) -> pd.DataFrame:
    """Typed frame: file, sheet, row + the spec keys (file/sheet from each record unless given)."""
    cols = {"file": "string", "sheet": "string", "row": "Int64"}
    cols.update({c.key: _DTYPES[c.type] for c in sheet_spec.columns})
    data = {k: [rec.get(k) for rec in records] for k in cols}
    if file is not None:
        data["file"] = [file] * len(records)
    if sheet_name is not None:
        data["sheet"] = [sheet_name] * len(records)
    out: dict[str, pd.Series] = {}
    for k, dtype in cols.items():
        values = data[k]
        if dtype == "datetime64[ms]":
            out[k] = pd.Series(
                pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ms]"
            )
        elif dtype == "string":
            out[k] = pd.Series(values, dtype=object).astype("string")
        else:
            out[k] = pd.Series(values, dtype=object).astype(dtype)  # type: ignore[call-overload]
    return pd.DataFrame(out)


def is_stray(name: str) -> bool:
    """Lock files, hidden files and system clutter: not returns at all."""
    base = os.path.basename(name)
    return base.lower() in STRAY_NAMES or base.startswith(STRAY_PREFIXES)


def parse_return(
    path: Path,
    config,
    round_id: str,
    limits: Limits | None = None,
    file_label: str | None = None,
    form: FormSpec | None = None,
) -> ParsedReturn:
    """Read, clean and validate one file. Picklable, top-level, never raises for a bad file."""
    path = Path(path)
    label = file_label or path.name
    form = form or load_form(config.campaign.form_version)
    limits = limits or Limits.from_config(config)
    stat = path.stat()
    result = ParsedReturn(label, stat.st_size, "", stat.st_mtime, form_version=form.version)
    if is_stray(label):
        result.status, result.reason, result.message = (
            "ignored",
            "not_a_return",
            "临时文件或系统文件，不是报表，已忽略",
        )
        result.sha256 = file_sha256(path)
        return result
    if stat.st_size > limits.max_file_mb * 1024 * 1024:
        result.sha256 = file_sha256(path)
        result.status, result.reason = "rejected", "too_large"
        result.message = (
            f"文件过大（{stat.st_size / 1048576:.1f} MB，上限 {limits.max_file_mb:g} MB）"
        )
        return result
    data = path.read_bytes()
    result.sha256 = hashlib.sha256(data).hexdigest()
    year = config.round(round_id).as_of.year
    try:
        with time_limit(limits.timeout_seconds), hard_stop(limits.timeout_seconds * 2 + 10):
            _parse(
                result,
                data,
                form,
                limits,
                year,
                config.campaign.start,
                path,
                config.round(round_id).as_of,
            )
    except ReadError as exc:
        _reject(result, exc.reason, exc.message)
    except FileTimeout:
        _reject(result, "timeout", f"读取超时（超过 {limits.timeout_seconds:g} 秒），疑为异常文件")
        result.transient = True
    except MemoryError:
        _reject(result, "too_large", "文件内容过大，读取时内存不足，疑为异常文件")
        result.transient = True
    return result


def _reject(result: ParsedReturn, reason: str, message: str) -> None:
    result.status, result.reason, result.message = "rejected", reason, message
    result.records, result.rows_read = {}, {}


def _parse(
    result: ParsedReturn,
    data: bytes,
    form: FormSpec,
    limits: Limits,
    year: int,
    start: date,
    path: Path | None = None,
    as_of: date | None = None,
) -> None:
    found: dict[str, str] = {}

    def wanted(names: list[str]) -> list[str]:
        found.update(match_sheets(names, form))
        return list(dict.fromkeys(found.values()))

    package = Package(data)  # the zip opened once for the reader's looks into it
    try:
        _, grids = read_workbook(data, limits, wanted, path, package)
        formulas = uncached_formulas(data, grids, package)
    finally:
        package.close()
    ctx = Context.build(result.file, year, start, form, as_of)
    findings: list[dict] = []
    for formula_sheet, formula_cells in formulas.items():
        for fr, fc, text in apply_formulas(grids[formula_sheet].rows, formula_cells):
            findings.append(
                finding(
                    ctx,
                    formula_sheet,
                    "formula_as_text",
                    "单元格为公式，已按文字处理（公式不计算，请直接填写文字或数值）",
                    row=fr,
                    col=fc,
                    value=text,
                    severity="warning",
                )
            )
    records: dict[str, list[dict]] = {}
    cells: dict[tuple[str, int, str], int] = {}
    missing_sheets = []
    for spec in form.data_sheets:
        sheet_name = found.get(spec.name)
        if sheet_name is None:
            if spec.required:
                missing_sheets.append(spec.name)
            records[spec.table] = []
            result.rows_read[spec.table] = 0
            continue
        result.sheets[spec.table] = sheet_name
        rows = grids[sheet_name].rows
        if spec.kind == "table":
            layout = find_table(rows, spec, form.total_row_markers)
            if layout is None:
                findings.append(
                    finding(
                        ctx,
                        sheet_name,
                        "header_not_found",
                        f"工作表“{sheet_name}”中找不到表头（应有“{'”“'.join(spec.headers[:4])}”等列）",
                    )
                )
                if spec.required:
                    missing_sheets.append(spec.name)
                records[spec.table], result.rows_read[spec.table] = [], 0
                continue
            findings.extend(cut_layout(ctx, sheet_name, spec, layout, grids[sheet_name].cut))
            recs, fnd, n = validate_table(ctx, sheet_name, spec, layout)
            table = spec.table
            for r in layout.rows:
                excel_row = r.row + 1
                for key, (_, ci) in r.cells.items():
                    cells[(table, excel_row, key)] = ci
        else:
            layout = find_keyvalue(rows, spec)
            if layout is None:
                if spec.required:
                    findings.append(
                        finding(
                            ctx,
                            sheet_name,
                            "header_not_found",
                            f"工作表“{sheet_name}”中找不到“{spec.columns[0].header}”等项目",
                        )
                    )
                    missing_sheets.append(spec.name)
                records[spec.table], result.rows_read[spec.table] = [], 0
                continue
            findings.extend(cut_layout(ctx, sheet_name, spec, layout, grids[sheet_name].cut))
            rec, fnd, n = validate_keyvalue(ctx, sheet_name, spec, layout)
            recs = [rec] if rec else []
            for r in layout.rows:
                for key, (_, ci) in r.cells.items():
                    cells[(spec.table, r.row + 1, key)] = ci
        records[spec.table] = recs
        findings.extend(fnd)
        result.rows_read[spec.table] = n
    _name_formula_columns(findings, cells, result.sheets, form)
    for (table, row, key), ci in cells.items():
        if ci is None:
            continue
        if table == "info":
            result.info_cells[key] = (row - 1, ci)
        else:
            result.columns.setdefault(table, {})[key] = ci
    info = first_record(records, "info")
    if info:
        result.written_name = info.get("unit_name")
        result.report_date = info.get("report_date")
    findings.extend(drop_duplicate_rows(ctx, records, result.sheets, cells))
    findings.extend(cross_checks(ctx, records, result.sheets, cells))
    result.finding_rows = findings
    result.records = {s.table: records.get(s.table, []) for s in form.data_sheets}
    if missing_sheets:
        result.status, result.reason = "rejected", "missing_sheet"
        result.message = f"缺少工作表或表头：{'、'.join(missing_sheets)}（请用报表模板填写）"


def _name_formula_columns(
    findings: list[dict], cells: dict, sheets: dict[str, str], form: FormSpec
) -> None:
    """Give each formula_as_text finding the header of the form column its cell is in (in place)."""
    table_of = {name: table for table, name in sheets.items()}
    where: dict[tuple[str | None, str], dict] = {
        (table_of.get(f["sheet"]), f["cell"]): f for f in findings if f["code"] == "formula_as_text"
    }
    if not where:
        return
    for (table, row, key), ci in cells.items():
        f = where.get((table, a1(row - 1, ci))) if ci is not None else None
        if f is not None:
            f["column"] = form.sheet(table).column(key).header


def parse_batch(
    items: list[tuple[Path, str]], config, round_id: str, limits: Limits, form: FormSpec
) -> list[ParsedReturn]:
    """A few files per worker task: fewer round trips (picklable, top level)."""
    return [parse_return(path, config, round_id, limits, label, form) for path, label in items]
