"""A file's values and its cells: what a unit's workbook holds and how it is laid out.

`file_values` derives the typed values one file holds from the unit's clean
tables (a draft holds fewer rows; planted errors, formula-like and HTML text,
a left-out optional column); `render` lays them out as cell grids with the
file's habits: title rows, merged headers, blank and 合计 rows, odd sheet names
and headers, reordered columns, and its date, number and yes/no styles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.demo.messiness import (
    DATE_STYLES,
    FULLWIDTH,
    UNIT_SUFFIX,
    YESNO_STYLES,
    FilePlan,
    excel_serial,
)
from pipeline.demo.model import status_choices
from pipeline.demo.plants import ROW_PLANTS, apply_plant
from pipeline.form import FormSpec, Sheet

# ---------------------------------------------------------------- values of one file


def dropped_columns(plan: FilePlan, form: FormSpec) -> dict[str, set[str]]:
    """Optional columns this file leaves out (their values are then missing)."""
    if "missing_optional_column" not in plan.tags:
        return {}
    rng = np.random.default_rng(plan.style.get("seed", 0) + 2)
    out: dict[str, set[str]] = {"info": {"theme_note"}}
    for sheet in form.data_sheets:
        if sheet.kind != "table":
            continue
        # a remark column, never the evidence of a completed action (that would be a finding)
        optional = [
            c
            for c in sheet.columns
            if not c.required
            and c.required_when is None
            and c.type == "text"
            and c.key != "evidence"
        ]
        if optional:
            out[sheet.table] = {optional[int(rng.integers(0, len(optional)))].key}
    return out


def file_values(
    plan: FilePlan, unit_tables: dict[str, pd.DataFrame], form: FormSpec, rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], dict[tuple[str, int, str], object], list[dict]]:
    """(typed values per table, raw overrides for planted errors, planted error records)."""
    values = {k: v.reset_index(drop=True).copy() for k, v in unit_tables.items()}
    done_word = status_choices(form)[0]
    overrides: dict[tuple[str, int, str], object] = {}
    planted: list[dict] = []
    info = values["info"]
    if plan.kind == "draft":
        # an earlier version: dated a day earlier, without the last activities
        report = info["report_date"].loc[0] - pd.Timedelta(days=1)
        info.loc[0, "report_date"] = report
        acts = values["activities"]
        acts = acts[acts["date"] <= report]
        values["activities"] = acts.iloc[: max(1, len(acts) - 2)].reset_index(drop=True)
        a = values["actions"]
        late = a["done_date"] > report
        a.loc[late, "status"] = status_choices(form)[1]
        a.loc[late, "done_date"] = pd.NaT
        a.loc[late, "evidence"] = "正在推进"
        values["actions"] = a
        m = values["materials"]  # nothing in a draft can have been updated after it was written
        if "updated" in m:
            m.loc[m["updated"] > report, "updated"] = report
    if plan.written_name is not None:
        info.loc[0, "unit_name"] = plan.written_name
    if plan.style.get("force_phone"):
        digits = "".join(ch for ch in str(info["phone"].loc[0]) if ch.isdigit())[-7:]
        info.loc[0, "phone"] = f"0812{digits}"  # a number with a leading zero, typed as text
    cos = set(plan.tags)
    if "formula_text" in cos:
        # text that a spreadsheet would take for a formula: every leading character once
        acts = values["activities"]
        rows_ = rng.permutation(len(acts))[:4]
        for prefix, j in zip(("=", "+", "-", "@"), rows_, strict=False):
            acts.loc[int(j), "name"] = f"{prefix}{acts['name'].loc[int(j)]}"
        done = np.flatnonzero(
            (values["actions"]["status"] == done_word).fillna(False).to_numpy(bool)
        )
        if len(done):
            values["actions"].loc[int(done[0]), "evidence"] = (
                '=HYPERLINK("http://example.com/照片","照片")'
            )
    if "html_text" in cos:
        note = info["theme_note"].loc[0]
        info.loc[0, "theme_note"] = "<b>重点：</b>" + str(note if pd.notna(note) else "")
        values["actions"].loc[0, "note"] = "<script>alert('创先争优')</script>"
        if len(values["activities"]):
            j = int(rng.integers(0, len(values["activities"])))
            acts = values["activities"]
            acts.loc[j, "name"] = f"<b>{acts['name'].loc[j]}</b>"
    if "percent" in cos and len(values["evaluation"]):
        ev = values["evaluation"]
        pct = round(100 * int(ev["satisfied"].loc[0]) / max(int(ev["surveyed"].loc[0]), 1))
        overrides[("evaluation", 0, "satisfied")] = f"{pct}%"
        ev.loc[0, "satisfied"] = pd.NA
        planted.append(
            {"table": "evaluation", "data_row": 0, "column": "satisfied", "code": "bad_number"}
        )
    values["info"] = info
    report = info["report_date"].loc[0]
    for code in plan.errors:
        if code == "bad_choice":
            a = values["actions"]
            j = int(rng.integers(0, len(a)))
            overrides[("actions", j, "status")] = (
                "待定"  # no word of the form, nor one of its variants
            )
            if a.loc[j, "status"] == done_word:
                a.loc[j, "done_date"] = pd.NaT  # keep the row free of a second problem
                overrides[("actions", j, "done_date")] = None
            a.loc[j, "status"] = pd.NA
            planted.append({"table": "actions", "data_row": j, "column": "status", "code": code})
        elif code in ROW_PLANTS:
            where = apply_plant(code, values, overrides, form, plan, rng)
            if where is not None:
                planted.append({**where, "code": code})
        elif code == "done_without_date":
            a = values["actions"]
            done = np.flatnonzero((a["status"] == done_word).fillna(False).to_numpy())
            if not len(done):
                continue
            j = int(done[int(rng.integers(0, len(done)))])
            if any(k[0] == "actions" and k[1] == j for k in overrides):
                continue
            a.loc[j, "done_date"] = pd.NaT
            planted.append({"table": "actions", "data_row": j, "column": "done_date", "code": code})
        elif code == "date_after_report":
            acts = values["activities"]
            if not len(acts):
                continue
            j = len(acts) - 1
            acts.loc[j, "date"] = report + pd.Timedelta(days=int(rng.integers(3, 20)))
            planted.append({"table": "activities", "data_row": j, "column": "date", "code": code})
    for table, keys in dropped_columns(plan, form).items():
        for key in keys:  # a column the file leaves out holds nothing
            values[table][key] = values[table][key].where(
                pd.Series(False, index=values[table].index)
            )
    return values, overrides, planted


# ---------------------------------------------------------------- rendering


@dataclass
class Grid:
    """A sheet as cells: rows of values (str/int/float/date/None) and merged ranges."""

    name: str
    rows: list[list[object]]
    merges: list[tuple[int, int, int, int, object]] = field(
        default_factory=list
    )  # r1, c1, r2, c2, value
    date_cells: set[tuple[int, int]] = field(default_factory=set)


def _fmt_date(value: Any, style: str, rng: np.random.Generator, mixed: bool, year: int) -> object:
    """A date cell as the style writes it (`value`: any cell of a date column, or missing)."""
    if value is None or pd.isna(value):
        return None
    d = pd.Timestamp(value).date()
    if mixed:
        style = DATE_STYLES[int(rng.integers(0, len(DATE_STYLES)))]
    if style == "date_month_day" and d.year != year:
        style = "date_cn"  # 7月15日 means this year; an older date keeps its year
    if style == "date_real":
        return d
    if style == "date_serial":
        return excel_serial(d)
    if style == "date_cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "date_dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "date_slash":
        return f"{d.year}/{d.month}/{d.day}"
    return f"{d.month}月{d.day}日"


def _fmt_number(value: Any, key: str, style: str) -> object:
    """An integer cell as the style writes it (`value`: any cell of an integer column)."""
    if value is None or pd.isna(value):
        return None
    v = int(value)
    if style == "number_as_text":
        return str(v)
    if style == "fullwidth_digits":
        return str(v).translate(FULLWIDTH)
    if style == "number_with_unit" and key in UNIT_SUFFIX:
        return f"{v}{UNIT_SUFFIX[key]}"
    return v


def _cell(value: object, col, style: dict, rng: np.random.Generator) -> object:
    if col.type == "date":
        return _fmt_date(value, style["date"], rng, style["date_mixed"], style["year"])
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if col.type == "integer":
        return _fmt_number(value, col.key, style["number"])
    if col.type == "yesno":
        yes, no = YESNO_STYLES[style["yesno"]]
        return yes if bool(value) else no
    return str(value)


def _header(col, tags: set[str], rng: np.random.Generator) -> str:
    h = col.header
    if "header_unit" in tags and col.key in UNIT_SUFFIX:
        h = f"{h}（{UNIT_SUFFIX[col.key]}）"
    if "header_spaces" in tags and rng.random() < 0.5:
        h = f" {h[0]} {h[1:]} " if len(h) > 1 else f" {h} "
    if "header_fullwidth" in tags and rng.random() < 0.5:
        h = h[0] + "\u3000" + h[1:] if len(h) > 1 else h + "\u3000"
    return h


def sheet_name(sheet: Sheet, tags: set[str]) -> str:
    name = sheet.name
    if "sheet_name_spaces" in tags:
        name = f" {name} "
    if "sheet_name_fullwidth" in tags:
        name = f"{name}\u3000"
    return name


def _title(unit_name: str, sheet: Sheet, form: FormSpec, report: Any) -> list[str]:
    d = pd.Timestamp(report).date() if report is not None and not pd.isna(report) else None
    second = (
        f"填报单位（盖章）：{unit_name}    填报日期：{d.year}年{d.month}月{d.day}日"
        if d
        else f"填报单位：{unit_name}"
    )
    return [f"{unit_name}{form.title.replace('报表', '')}{sheet.name}统计表", second]


def render(
    plan: FilePlan,
    values: dict[str, pd.DataFrame],
    overrides: dict[tuple[str, int, str], object],
    form: FormSpec,
    notes_text: list[str],
) -> list[Grid]:
    """The sheets of one workbook as cell grids (same seed → same cells)."""
    rng = np.random.default_rng(plan.style.get("seed", 0))
    tags = set(plan.tags)
    style = plan.style
    info = values["info"].iloc[0]
    unit_name = str(info["unit_name"])
    dropped = dropped_columns(plan, form)
    grids: list[Grid] = []
    for sheet in form.sheets:
        if sheet.kind == "notes":
            grids.append(Grid(sheet.name, [[line] for line in notes_text]))
            continue
        frame = values[sheet.table]
        if sheet.kind == "keyvalue" and not len(frame):
            continue  # an optional sheet the unit left out
        name = sheet_name(sheet, tags)
        rows: list[list[object]] = []
        merges: list[tuple[int, int, int, int, object]] = []
        width = 2 if sheet.kind == "keyvalue" else len(sheet.columns)
        if "title_rows" in tags:
            titles = _title(unit_name, sheet, form, info["report_date"])[
                : 1 + int(rng.integers(0, 2))
            ]
            for t in titles:
                merges.append((len(rows), 0, len(rows), width - 1, t))
                rows.append([t] + [None] * (width - 1))
        if sheet.kind == "keyvalue":
            rows.append([sheet.key_header, sheet.value_header])
            cols = [c for c in sheet.columns if c.key not in dropped.get(sheet.table, ())]
            rec = frame.iloc[0]
            for c in cols:
                raw = (
                    overrides.get((sheet.table, 0, c.key), _cell(rec[c.key], c, style, rng))
                    if (sheet.table, 0, c.key) in overrides
                    else _cell(rec[c.key], c, style, rng)
                )
                label = _header(c, tags, rng)
                rows.append([label, raw])
            grids.append(Grid(name, rows, merges))
            continue
        cols = [c for c in sheet.columns if c.key not in dropped.get(sheet.table, ())]
        if "reordered_columns" in tags:
            perm = rng.permutation(len(cols))
            cols = [cols[int(k)] for k in perm]
        headers: list[object] = [_header(c, tags, rng) for c in cols]
        if "merged_header" in tags and len(cols) >= 4:
            top = len(rows)
            group = 3
            first = len(cols) - group
            row1: list[object] = [h if k < first else None for k, h in enumerate(headers)]
            row1[first] = "其他情况"
            row2: list[object] = [None if k < first else h for k, h in enumerate(headers)]
            for k in range(first):
                merges.append((top, k, top + 1, k, headers[k]))
            merges.append((top, first, top, len(cols) - 1, "其他情况"))
            rows.extend([row1, row2])
        else:
            rows.append(headers)
        n = len(frame)
        blanks = set()
        if "blank_rows" in tags and n:
            blanks = {int(x) for x in rng.integers(0, n + 1, size=2)}
        records = frame.to_dict("records")
        for j, record in enumerate(records):
            if j in blanks:
                rows.append([None] * len(cols))
            row = []
            for c in cols:
                key = (sheet.table, j, c.key)
                if key in overrides:
                    row.append(overrides[key])
                else:
                    row.append(_cell(record[c.key], c, style, rng))
            rows.append(row)
        if n in blanks:
            rows.append([None] * len(cols))
        if "total_row" in tags and n:
            total: list[object] = [form.total_row_markers[0]] + [None] * (len(cols) - 1)
            for k, c in enumerate(cols):
                if k and c.key in ("participants", "copies"):
                    total[k] = int(frame[c.key].astype("Int64").sum())
            rows.append(total)
        grids.append(Grid(name, rows, merges))
    return grids
