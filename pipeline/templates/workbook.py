"""One return template as an openpyxl Workbook, built entirely from the form specification."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.config import Campaign, Round
from pipeline.form import Column, FormSpec, Sheet
from pipeline.report.printsetup import PrintSetup, apply_openpyxl
from pipeline.templates.carry import Carry, yes_no
from pipeline.templates.instructions import (
    DATE_EXAMPLE,
    Line,
    TemplateUnit,
    column_hint,
    instruction_lines,
)

LIST_SHEET = "_选项"
"""Hidden sheet holding choice lists too long (or too odd) for an inline list formula."""

DATA_ROWS = 1000
"""Rows below the header of a table sheet that carry validation."""

INLINE_LIST_LIMIT = 255
"""Excel's limit for an inline list formula (counted in UTF-8 bytes, to be safe)."""

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
INTEGER_FORMAT = "0"
NUMBER_FORMAT = "0.##"
DATE_RANGE = (date(2000, 1, 1), date(2099, 12, 31))

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
_KEY_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
CARRY_FILL = PatternFill("solid", start_color="E2EFDA", end_color="E2EFDA")
"""Cells carried over from the unit's last accepted return (沿用上轮)."""
_HEADER_FONT = Font(bold=True, color="000000")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)

_LINE_FONTS = {
    "title": Font(bold=True, size=16),
    "heading": Font(bold=True, size=12),
    "subheading": Font(bold=True, size=11, color="1F4E79"),
    "field": Font(size=11),
    "text": Font(size=11),
}


def display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def column_width(col: Column) -> float:
    base = {"text": 18, "date": 12, "integer": 10, "number": 10, "yesno": 8, "choice": 10}[col.type]
    widest = max([display_width(col.header), *(display_width(c) for c in col.choices)], default=0)
    return float(min(max(base, widest + 2), 40))


def number_format(col: Column) -> str:
    return {
        "text": TEXT_FORMAT,
        "date": DATE_FORMAT,
        "integer": INTEGER_FORMAT,
        "number": NUMBER_FORMAT,
    }.get(col.type, "General")


def put(cell: Cell | MergedCell, value: Any, col: Column | None = None) -> None:
    """Write a value as the column's type; text stays text (never a formula).

    `value`: any cell value read or built here (openpyxl checks its type)."""
    if isinstance(cell, MergedCell):
        raise ValueError(f"{cell.coordinate} is part of a merged range and takes no value")
    cell.value = value
    if col is not None:
        cell.number_format = number_format(col)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take "=..." for a formula


def _serial(d: date) -> str:
    return str(int(to_excel(d)))


class _Lists:
    """Choice lists: inline when short and plain, else a range of the hidden list sheet.

    The list sheet is written last (`finish`), so it sits after the form's sheets.
    """

    def __init__(self) -> None:
        self.refs: dict[tuple[str, ...], str] = {}

    def formula(self, choices: tuple[str, ...]) -> str:
        inline = ",".join(choices)
        plain = not any(ch in c for c in choices for ch in ',"')
        if plain and len(inline.encode("utf-8")) + 2 <= INLINE_LIST_LIMIT:
            return f'"{inline}"'
        if choices not in self.refs:
            col = get_column_letter(len(self.refs) + 1)
            self.refs[choices] = f"{quote_sheetname(LIST_SHEET)}!${col}$1:${col}${len(choices)}"
        return self.refs[choices]

    def finish(self, wb: Workbook) -> None:
        if not self.refs:
            return
        ws = wb.create_sheet(LIST_SHEET)
        ws.sheet_state = "hidden"
        for j, choices in enumerate(self.refs, start=1):
            for i, choice in enumerate(choices, start=1):
                put(ws.cell(row=i, column=j), choice)


def _validation(col: Column, form: FormSpec, lists: _Lists) -> DataValidation:
    """The data validation of one column, with Chinese input and error messages."""
    need = "（必填）" if col.required else ""
    hint = column_hint(col, form.yes[0], form.no[0])
    kwargs: dict = {}
    if col.type == "choice":
        kwargs = {"type": "list", "formula1": lists.formula(col.choices)}
        error = "请从下拉列表中选择，不要输入列表以外的内容。"
    elif col.type == "yesno":
        kwargs = {"type": "list", "formula1": lists.formula((form.yes[0], form.no[0]))}
        error = f"只能填“{form.yes[0]}”或“{form.no[0]}”。"
    elif col.type == "date":
        lo, hi = DATE_RANGE
        kwargs = {
            "type": "date",
            "operator": "between",
            "formula1": _serial(lo),
            "formula2": _serial(hi),
        }
        error = f"请输入日期，如 {DATE_EXAMPLE}。"
    elif col.type in ("integer", "number"):
        kind = "whole" if col.type == "integer" else "decimal"
        if col.min is not None and col.max is not None:
            bounds = {"operator": "between", "formula1": f"{col.min:g}", "formula2": f"{col.max:g}"}
        elif col.min is not None:
            bounds = {"operator": "greaterThanOrEqual", "formula1": f"{col.min:g}"}
        elif col.max is not None:
            bounds = {"operator": "lessThanOrEqual", "formula1": f"{col.max:g}"}
        else:
            bounds = {"operator": "between", "formula1": "-2147483648", "formula2": "2147483647"}
        kwargs = {"type": kind, **bounds}
        error = f"请输入{hint[1:]}。"
    else:
        error = ""
    return DataValidation(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=bool(error),
        promptTitle=col.header[:32],
        prompt=f"{hint}{need}"[:255],
        errorTitle="输入有误" if error else None,
        error=error[:255] if error else None,
        **kwargs,
    )


def _style_header(cell: Cell | MergedCell, required: bool) -> None:
    cell.font = _REQUIRED_FONT if required else _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.border = _BORDER
    cell.alignment = _CENTER


def _print_setup(ws: Worksheet, landscape: bool) -> None:
    """Printed on A4, one page wide, the header row and first column repeated, title and page
    numbers."""
    book = ws.parent.properties.title if ws.parent is not None else None
    title = f"{book or ''} {ws.title}".strip()
    apply_openpyxl(
        ws, PrintSetup(title=title, header_rows=(0, 0), name_columns=(0, 0), landscape=landscape)
    )


def _notes_sheet(ws: Worksheet, lines: list[Line]) -> None:
    ws.column_dimensions["A"].width = 110
    ws.sheet_view.showGridLines = False
    _print_setup(ws, landscape=False)
    for i, line in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1)
        put(cell, line.text)
        cell.font = _LINE_FONTS[line.style]
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if line.style == "title":
            ws.row_dimensions[i].height = 30


def _keyvalue_sheet(
    ws: Worksheet,
    sheet: Sheet,
    form: FormSpec,
    lists: _Lists,
    values: dict[str, object],
    carried: frozenset[str] = frozenset(),
) -> None:
    for j, text in enumerate((sheet.key_header, sheet.value_header), start=1):
        put(ws.cell(row=1, column=j), text)
        _style_header(ws.cell(row=1, column=j), False)
    for i, col in enumerate(sheet.columns, start=2):
        key = ws.cell(row=i, column=1)
        put(key, col.header)
        key.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        key.fill = _KEY_FILL
        key.border = _BORDER
        key.alignment = _LEFT
        cell = ws.cell(row=i, column=2)
        put(cell, values.get(col.key), col)
        cell.border = _BORDER
        cell.alignment = _LEFT
        if col.key in carried:
            cell.fill = CARRY_FILL
        dv = _validation(col, form, lists)
        dv.add(cell.coordinate)
        ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = max(display_width(c.header) for c in sheet.columns) + 6
    ws.column_dimensions["B"].width = 60
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=False)


def _table_sheet(
    ws: Worksheet,
    sheet: Sheet,
    form: FormSpec,
    lists: _Lists,
    rows: list[dict[str, object]],
    carried: frozenset[tuple[int, str]] = frozenset(),
) -> None:
    for j, col in enumerate(sheet.columns, start=1):
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j)
        put(head, col.header)
        _style_header(head, col.required)
        dim = ws.column_dimensions[letter]
        dim.width = column_width(col)
        dim.number_format = number_format(col)  # cells typed later take the column's format
        dv = _validation(col, form, lists)
        dv.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
        ws.add_data_validation(dv)
        for i, record in enumerate(rows, start=2):
            put(ws.cell(row=i, column=j), record.get(col.key), col)
            if (i - 2, col.key) in carried:
                ws.cell(row=i, column=j).fill = CARRY_FILL
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=len(sheet.columns) > 5)


def _is_actions_sheet(sheet: Sheet, form: FormSpec) -> bool:
    names = tuple(a.name for a in form.actions)
    return sheet.kind == "table" and bool(names) and any(c.choices == names for c in sheet.columns)


def action_rows(sheet: Sheet, form: FormSpec, campaign_start: date) -> list[dict[str, object]]:
    """The manual's actions as pre-filled rows of the actions sheet (keys of the spec)."""
    names = tuple(a.name for a in form.actions)
    action_key = next(c.key for c in sheet.columns if c.choices == names)
    keys = {c.key for c in sheet.columns}
    rows = []
    for i, a in enumerate(form.actions, start=1):
        row: dict[str, object] = {action_key: a.name}
        if "seq" in keys:
            row["seq"] = i
        if "stage" in keys:
            row["stage"] = a.stage
        if "planned_date" in keys:
            row["planned_date"] = a.due_date(campaign_start)
        rows.append(row)
    return rows


_UNIT_FIELDS = ("unit_name", "unit_type")
"""Keys of a key-value sheet that are pre-filled from the roster."""


def _carried_rows(
    sheet: Sheet, form: FormSpec, rows: list[dict[str, object]], carry: Carry | None, actions: bool
) -> tuple[list[dict[str, object]], frozenset[tuple[int, str]]]:
    """Table rows with the unit's last accepted return filled in, and the cells that came from
    it."""
    if carry is None:
        return rows, frozenset()
    keys = {c.key for c in sheet.columns}
    marked: set[tuple[int, str]] = set()
    if actions:
        names = tuple(a.name for a in form.actions)
        action_key = next(c.key for c in sheet.columns if c.choices == names)
        for i, row in enumerate(rows):
            done = carry.actions.get(str(row.get(action_key)))
            for k, v in (done or {}).items():
                if k in keys and v not in (None, ""):
                    row[k] = v
                    marked.add((i, k))
        return rows, frozenset(marked)
    if keys >= {"category", "copies"} and carry.materials:  # the materials sheet
        yes, no = form.yes[0], form.no[0]
        rows = [{k: yes_no(v, yes, no) for k, v in m.items() if k in keys} for m in carry.materials]
        marked = {(i, k) for i, r in enumerate(rows) for k, v in r.items() if v not in (None, "")}
    return rows, frozenset(marked)


def build_workbook(
    form: FormSpec,
    campaign: Campaign,
    round_: Round,
    unit: TemplateUnit,
    filename: str,
    carry: Carry | None = None,
) -> Workbook:
    """The template of one unit for one round (`carry`: pre-filled from its last accepted
    return)."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the empty sheet a new workbook starts with
    wb.properties.title = f"{form.title}（{round_.name}）"
    wb.properties.creator = campaign.office
    lists = _Lists()
    unit_values = {"unit_name": unit.unit_name, "unit_type": unit.unit_type}
    prefilled: dict[str, tuple[str, ...]] = {}
    actions_sheet: str | None = None
    notes: Worksheet | None = None
    for sheet in form.sheets:
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "notes":
            notes = notes or ws
        elif sheet.kind == "keyvalue":
            values = {k: v for k, v in unit_values.items() if k in {c.key for c in sheet.columns}}
            if values:
                prefilled[sheet.name] = tuple(sheet.column(k).header for k in values)
            carried = {
                k: v
                for k, v in (carry.values if carry else {}).items()
                if k in {c.key for c in sheet.columns}
            }
            _keyvalue_sheet(ws, sheet, form, lists, {**values, **carried}, frozenset(carried))
        else:
            rows: list[dict[str, object]] = []
            is_actions = _is_actions_sheet(sheet, form)
            if is_actions:
                actions_sheet = sheet.name
                rows = action_rows(sheet, form, campaign.start)
            rows, marked = _carried_rows(sheet, form, rows, carry, is_actions)
            _table_sheet(ws, sheet, form, lists, rows, marked)
    lists.finish(wb)
    if notes is not None:
        lines = instruction_lines(
            form, campaign, round_, unit, filename, prefilled=prefilled, actions_sheet=actions_sheet
        )
        if carry is not None:
            at = next((i for i, x in enumerate(lines) if x.style == "heading"), len(lines))
            lines.insert(
                at,
                Line(
                    f"浅绿色单元格沿用了本单位{carry.round_name}已采用报表的内容（活动主题、已完成的规定动作、"
                    "基础资料），请逐项核对：有变化的直接修改，已不属实的删除。",
                    "field",
                ),
            )
        _notes_sheet(notes, lines)
        wb.active = wb.sheetnames.index(notes.title)
    return wb
