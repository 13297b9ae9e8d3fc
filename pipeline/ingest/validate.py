"""Form rules → typed rows and findings.

`validate_table` and `validate_keyvalue` turn the raw records of one sheet
into typed records plus findings (every problem, never stopping at the
first); `cross_checks` applies the rules across fields and sheets (dates
against 填报日期 and the campaign start, evaluation counts, done actions with
nothing behind them). A table row whose required value is unusable is
rejected (one finding with row_rejected=True); any other bad cell becomes
null with an error finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from pipeline.form import Column, FormSpec, Sheet
from pipeline.ingest.clean import (
    EMPTY,
    Cleaned,
    choice_lookup,
    clean_cell,
    clean_choice,
    clean_date,
    clean_integer,
    clean_number,
    clean_text,
    clean_yesno,
    variant_lookup,
    yesno_lookup,
)
from pipeline.ingest.read import a1
from pipeline.ingest.sheets import Layout

FINDING_COLUMNS = (
    "file",
    "sheet",
    "cell",
    "row",
    "column",
    "unit_id",
    "severity",
    "code",
    "message",
    "value",
    "row_rejected",
)

# columns whose dates record something that has happened:
# not after 填报日期, not before the campaign
HAPPENED_DATES = {"actions": ("done_date",), "activities": ("date",), "materials": ("updated",)}
CAMPAIGN_DATES = {"actions": ("done_date",), "activities": ("date",)}
# table sheets whose repeated identical rows are kept once
DUPLICATE_TABLES = ("actions", "activities")


@dataclass
class Context:
    file: str
    year: int
    campaign_start: date
    form: FormSpec
    yesno: dict[str, bool] = field(default_factory=dict)
    choices: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # the form's variants: per choice column, and one table for every yes/no column
    variants: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    yesno_variants: dict[str, bool] = field(default_factory=dict)
    as_of: date | None = None  # the round's as-of date: actions due by then must be listed
    rejected: dict[str, list[dict]] = field(
        default_factory=dict
    )  # table -> the typed values of rejected rows
    # (table, key, year) -> {(type, value): Cleaned}: `cleaner`'s results, shared by every
    # Context of one form (`build`), since they depend on nothing else
    kept: dict[tuple[str, str, int], dict] = field(default_factory=dict)

    @classmethod
    def build(
        cls, file: str, year: int, campaign_start: date, form: FormSpec, as_of: date | None = None
    ) -> Context:
        yesno, choices, variants, yn, kept = _lookups(form)
        return cls(file, year, campaign_start, form, yesno, choices, variants, yn, as_of, kept=kept)


def first_record(records: Mapping[str, list[dict]], table: str) -> dict | None:
    """The one record of a key-value sheet (info, evaluation), or None when it has none."""
    rows = records.get(table)
    return rows[0] if rows else None


_LookupSet = tuple[
    dict[str, bool],
    dict[tuple[str, str], dict[str, str]],
    dict[tuple[str, str], dict[str, Any]],
    dict[str, bool],
    dict[tuple[str, str, int], dict],
]
_LOOKUPS: dict[int, tuple[FormSpec, _LookupSet]] = {}


def _lookups(form: FormSpec) -> _LookupSet:
    """The form's word lookups, built once per form (every file's Context shares them)."""
    kept = _LOOKUPS.get(id(form))
    if kept is not None and kept[0] is form:
        return kept[1]
    choices = {
        (s.table, c.key): choice_lookup(c.choices)
        for s in form.sheets
        for c in s.columns
        if c.choices
    }
    variants = {
        (s.table, c.key): variant_lookup(c.variants)
        for s in form.sheets
        for c in s.columns
        if c.variants
    }
    yn = variant_lookup(
        [*((w, True) for w in form.yes_variants), *((w, False) for w in form.no_variants)]
    )
    value: _LookupSet = (yesno_lookup(form.yes, form.no), choices, variants, yn, {})
    if len(_LOOKUPS) > 8:
        _LOOKUPS.clear()
    _LOOKUPS[id(form)] = (form, value)
    return value


def zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def shown(value: object) -> str | None:
    if value is None:
        return None
    text = clean_text(value).value
    return None if text is None else str(text)


def _problem_text(code: str, col: Column, value: object) -> str:
    v = shown(value)
    h = col.header
    if code == "required_missing":
        return f"“{h}”未填写（必填项）"
    if code == "bad_date":
        return f"“{h}”填写的“{v}”不是可识别的日期，请按“2026年7月15日”或“2026-07-15”填写"
    if code == "bad_number" and col.type == "integer":
        if v and v.strip().endswith(("%", "％")):
            return f"“{h}”应填写人数或份数（整数），不能填写百分比，实际填写为“{v}”"
        return f"“{h}”应填写整数，实际填写为“{v}”"
    if code == "bad_number":
        return f"“{h}”应填写数字，实际填写为“{v}”"
    if code == "bad_choice":
        return f"“{h}”填写的“{v}”不在可选项中（可选：{'、'.join(col.choices)}）"
    if code == "bad_yesno":
        return f"“{h}”应填写“是”或“否”，实际填写为“{v}”"
    if code == "below_min":
        return f"“{h}”不能小于 {col.min:g}，实际填写为“{v}”"
    if code == "above_max":
        return f"“{h}”不能大于 {col.max:g}，实际填写为“{v}”"
    return f"“{h}”的值“{v}”有误"


def finding(
    ctx: Context,
    sheet: str | None,
    code: str,
    message: str,
    *,
    row: int | None = None,
    col: int | None = None,
    column: str | None = None,
    value: object = None,
    severity: str = "error",
    row_rejected: bool = False,
) -> dict[str, Any]:
    """One finding; row and col are 0-based grid positions."""
    return {
        "file": ctx.file,
        "sheet": sheet,
        "cell": a1(row, col) if row is not None and col is not None else None,
        "row": row + 1 if row is not None else None,
        "column": column,
        "unit_id": None,
        "severity": severity,
        "code": code,
        "message": message,
        "value": shown(value),
        "row_rejected": row_rejected,
    }


def _clean(ctx: Context, spec: Sheet, col: Column, value: object) -> Cleaned:
    variants = (
        ctx.yesno_variants if col.type == "yesno" else ctx.variants.get((spec.table, col.key), {})
    )
    c = clean_cell(
        value, col, ctx.year, ctx.yesno, ctx.choices.get((spec.table, col.key)), variants
    )
    if c.code is None and c.value is not None and col.type in ("integer", "number"):
        if col.min is not None and c.value < col.min:
            return Cleaned(None, "below_min")
        if col.max is not None and c.value > col.max:
            return Cleaned(None, "above_max")
    return c


KEPT_VALUES = 4096  # cleaned values kept per column (then the column starts afresh)


def cleaner(ctx: Context, spec: Sheet, col: Column) -> Callable[[object], Cleaned]:
    """`_clean(ctx, spec, col, ·)` with the column's type and lookups settled once.

    A table sheet cleans every cell of a column the same way: the dispatch on
    the type and the lookups are bound here, and the results of repeated
    values (the same 是, 已完成, count or date down a column and across the
    round's files) are kept per column in `ctx.kept`, up to `KEPT_VALUES` each.
    Values are keyed with their type (1, 1.0 and True stay apart)."""
    key = (spec.table, col.key)
    t = col.type
    base: Callable[[object], Cleaned]
    if t == "text":
        return clean_text  # already cheap: nothing to keep
    if t == "integer":
        base = clean_integer
    elif t == "number":
        base = clean_number
    elif t == "date":
        base = partial(clean_date, year=ctx.year)
    elif t == "yesno":
        base = partial(clean_yesno, lookup=ctx.yesno, variants=ctx.yesno_variants)
    elif t == "choice":
        lookup = ctx.choices.get(key)
        base = partial(
            clean_choice,
            lookup=lookup if lookup is not None else choice_lookup(col.choices),
            variants=ctx.variants.get(key, {}),
        )
    else:
        raise ValueError(f"unknown column type {t!r}")
    lo, hi = col.min, col.max
    if t in ("integer", "number") and (lo is not None or hi is not None):
        plain = base

        def base(value: object) -> Cleaned:
            c = plain(value)
            if c.code is None and c.value is not None:
                if lo is not None and c.value < lo:
                    return Cleaned(None, "below_min")
                if hi is not None and c.value > hi:
                    return Cleaned(None, "above_max")
            return c

    kept: dict[tuple[type, object], Cleaned] = ctx.kept.setdefault((*key, ctx.year), {})
    if len(kept) > KEPT_VALUES:
        kept.clear()

    def clean(value: object) -> Cleaned:
        if value is None or value == "":
            return EMPTY  # every cleaner's answer for an empty cell
        if value == 0 and type(value) is float:
            return base(value)  # 0.0 and -0.0 are one key but not one value
        k = (type(value), value)
        try:
            return kept[k]
        except KeyError:
            c = kept[k] = base(value)
            return c
        except TypeError:  # unhashable: not a value a reader gives, cleaned as it is
            return base(value)

    return clean


def _yes_no(v: object) -> str:
    return "是" if v is True else "否" if v is False else str(v)


def note_findings(
    ctx: Context, sheet_name: str, col: Column, value: object, c: Cleaned, row: int, ci: int | None
) -> list[dict]:
    """Warnings for a usable value that needed an assumption (a word variant, a lost leading 0)."""
    out = []
    if c.code is None and c.assumed is not None:
        out.append(
            finding(
                ctx,
                sheet_name,
                "word_variant",
                f"“{col.header}”填写的“{c.assumed}”已按“{_yes_no(c.value)}”处理，请核实；"
                f"今后请从可选项中选填",
                row=row,
                col=ci,
                column=col.header,
                value=value,
                severity="warning",
            )
        )
    lz = col.leading_zero
    if lz and c.code is None and isinstance(value, int | float) and not isinstance(value, bool):
        digits = clean_text(value).value or ""
        if (
            digits.isdigit()
            and len(digits) >= lz.min_digits
            and not (lz.unless and re.match(lz.unless, digits))
        ):
            # the number itself is personal data: neither the message nor `value` repeats it
            out.append(
                finding(
                    ctx,
                    sheet_name,
                    "leading_zero_lost",
                    f"“{col.header}”按数字填写，开头的 0（如区号）可能已丢失，"
                    "请将该单元格设为文本后重新填写",
                    row=row,
                    col=ci,
                    column=col.header,
                    severity="warning",
                )
            )
    return out


def missing_column_findings(
    ctx: Context, sheet_name: str, spec: Sheet, layout: Layout
) -> list[dict]:
    out = []
    for key in layout.missing:
        col = spec.column(key)
        needed = col.required or col.required_when
        out.append(
            finding(
                ctx,
                sheet_name,
                "missing_column",
                f"工作表缺少“{col.header}”列（{'必填' if needed else '选填，请按模板补齐'}）",
                column=col.header,
                row=layout.header_row,
                col=None,
                severity="error" if needed else "warning",
            )
        )
    return out


def validate_table(
    ctx: Context, sheet_name: str, spec: Sheet, layout: Layout
) -> tuple[list[dict], list[dict], int]:
    """Typed records (with `row`, Excel 1-based), findings, and data rows read."""
    records: list[dict] = []
    findings = missing_column_findings(ctx, sheet_name, spec, layout)
    cols = {c.key: c for c in spec.columns}
    # per column, once: its cleaner with the lookups bound, and whether it can need a note
    plan = [(key, col, cleaner(ctx, spec, col), col.leading_zero) for key, col in cols.items()]
    conditional = [
        (key, col, col.required_when) for key, col in cols.items() if col.required_when is not None
    ]
    nothing = (None, None)
    for raw in layout.rows:
        rec: dict[str, Any] = {"row": raw.row + 1}
        row_findings: list[dict] = []
        reject: dict | None = None
        cells = raw.cells
        for key, col, clean, lz in plan:
            value, ci = cells.get(key, nothing)
            c = clean(value)
            rec[key] = c.value
            code = c.code
            if lz or c.assumed is not None:  # note_findings has nothing to say otherwise
                row_findings.extend(note_findings(ctx, sheet_name, col, value, c, raw.row, ci))
            if code is None and c.value is None and col.required:
                code = "required_missing"
            if code is None:
                continue
            f = finding(
                ctx,
                sheet_name,
                code,
                _problem_text(code, col, value),
                row=raw.row,
                col=ci,
                column=col.header,
                value=value,
            )
            if col.required and reject is None:
                f["row_rejected"] = True
                f["message"] += "，此行未采用"
                reject = f
            row_findings.append(f)
        if reject is None:
            for key, col, rw in conditional:
                if (
                    rec.get(key) is None
                    and rec.get(rw.column) == rw.equals
                    and not any(f["column"] == col.header for f in row_findings)
                ):
                    _, ci = cells.get(key, nothing)
                    other = cols[rw.column].header
                    code = "done_without_date" if col.type == "date" else "required_missing"
                    row_findings.append(
                        finding(
                            ctx,
                            sheet_name,
                            code,
                            f"“{other}”为“{rw.equals}”时必须填写“{col.header}”",
                            row=raw.row,
                            col=ci,
                            column=col.header,
                        )
                    )
            records.append(rec)
        else:
            ctx.rejected.setdefault(spec.table, []).append(rec)
        findings.extend(row_findings)
    return records, findings, len(layout.rows)


def validate_keyvalue(
    ctx: Context, sheet_name: str, spec: Sheet, layout: Layout
) -> tuple[dict | None, list[dict], int]:
    """One typed record for the sheet (never rejected: a bad field becomes null with a finding)."""
    if not layout.rows:
        return None, [], 0
    cols = {c.key: c for c in spec.columns}
    rec: dict[str, Any] = {k: None for k in cols}
    rec["row"] = layout.rows[0].row + 1
    findings: list[dict] = []
    present = False
    for raw in layout.rows:
        for key, (value, ci) in raw.cells.items():
            col = cols[key]
            c = _clean(ctx, spec, col, value)
            rec[key] = c.value
            findings.extend(note_findings(ctx, sheet_name, col, value, c, raw.row, ci))
            present = present or c.value is not None or c.code is not None
            code = c.code or ("required_missing" if c.value is None and col.required else None)
            if code:
                findings.append(
                    finding(
                        ctx,
                        sheet_name,
                        code,
                        _problem_text(code, col, value),
                        row=raw.row,
                        col=ci,
                        column=col.header,
                        value=value,
                    )
                )
    for key in layout.missing:
        col = cols[key]
        if col.required:
            findings.append(
                finding(
                    ctx,
                    sheet_name,
                    "required_missing",
                    f"缺少“{col.header}”一项（必填项）",
                    column=col.header,
                )
            )
    if not present and not spec.required:
        return None, findings, 0
    lead = spec.columns[0].key
    first = next((r.row for r in layout.rows if lead in r.cells), layout.rows[0].row)
    rec["row"] = first + 1
    return rec, findings, 1


def cross_checks(
    ctx: Context,
    records: dict[str, list[dict]],
    sheet_names: dict[str, str],
    cells: dict[tuple[str, int, str], int],
) -> list[dict]:
    """Rules across fields and sheets; `cells[(table, excel_row, key)]` is a value's column."""
    out: list[dict] = []
    info = first_record(records, "info")
    report = info.get("report_date") if info else None
    form = ctx.form

    def where(table: str, rec: dict, key: str) -> dict:
        return {"row": rec["row"] - 1, "col": cells.get((table, rec["row"], key))}

    for table, keys in HAPPENED_DATES.items():
        spec = form.sheet(table)
        for rec in records.get(table, []):
            for key in keys:
                d = rec.get(key)
                if d is None:
                    continue
                header = spec.column(key).header
                if report is not None and d > report:
                    out.append(
                        finding(
                            ctx,
                            sheet_names.get(table),
                            "date_after_report",
                            f"“{header}”（{zh_date(d)}）晚于填报日期（{zh_date(report)}），请核实",
                            column=header,
                            value=d,
                            severity="warning",
                            **where(table, rec, key),
                        )
                    )
                if key in CAMPAIGN_DATES.get(table, ()) and d < ctx.campaign_start:
                    out.append(
                        finding(
                            ctx,
                            sheet_names.get(table),
                            "date_before_campaign",
                            f"“{header}”（{zh_date(d)}）早于活动开始日期（{zh_date(ctx.campaign_start)}），请核实",
                            column=header,
                            value=d,
                            severity="warning",
                            **where(table, rec, key),
                        )
                    )
    ev = first_record(records, "evaluation")
    if ev and ev.get("surveyed") is not None:
        parts = [ev.get(k) for k in ("satisfied", "basically_satisfied", "dissatisfied")]
        total = sum(p for p in parts if p is not None)
        if total > ev["surveyed"]:
            spec = form.sheet("evaluation")
            out.append(
                finding(
                    ctx,
                    sheet_names.get("evaluation"),
                    "evaluation_sum",
                    f"满意、基本满意、不满意人数之和（{total}）超过测评人数（{ev['surveyed']}）",
                    column=spec.column("surveyed").header,
                    value=ev["surveyed"],
                    **where("evaluation", ev, "surveyed"),
                )
            )
    actions = form.sheet("actions")
    for rec in records.get("actions", []):
        if ("actions", rec["row"], "evidence") not in cells:
            continue  # the sheet has no 佐证材料 column: reported once as missing_column
        if rec.get("status") == form.action_states.done and rec.get("evidence") is None:
            header = actions.column("evidence").header
            out.append(
                finding(
                    ctx,
                    sheet_names.get("actions"),
                    "done_without_evidence",
                    f"“{rec.get('action')}”标为{form.action_states.done}，但未填写“{header}”，请补充佐证",
                    column=header,
                    severity="warning",
                    **where("actions", rec, "evidence"),
                )
            )
    out += action_checks(ctx, records, sheet_names, cells)
    out += substance_checks(ctx, records, sheet_names, cells)
    return out


def _key(rec: dict, keys: tuple[str, ...]) -> tuple:
    return tuple(rec.get(k) for k in keys)


def drop_duplicate_rows(
    ctx: Context,
    records: dict[str, list[dict]],
    sheet_names: dict[str, str],
    cells: dict[tuple[str, int, str], int],
) -> list[dict]:
    """A data row repeated with every value the same is kept once (in place); repeats reported."""
    out: list[dict] = []
    for table in DUPLICATE_TABLES:
        recs = records.get(table) or []
        if len(recs) < 2:
            continue
        spec = ctx.form.sheet(table)
        keys = tuple(c.key for c in spec.columns if c.key != "seq")
        first: dict[tuple, int] = {}
        kept = []
        for rec in recs:
            k = _key(rec, keys)
            if all(v is None for v in k):
                kept.append(rec)
                continue
            if k in first:
                lead = spec.columns[0].key if spec.columns[0].key != "seq" else spec.columns[1].key
                out.append(
                    finding(
                        ctx,
                        sheet_names.get(table),
                        "duplicate_row",
                        f"第 {rec['row']} 行与第 {first[k]} 行内容完全相同（重复填写），只计一次",
                        row=rec["row"] - 1,
                        col=cells.get((table, rec["row"], lead)),
                        column=spec.column(lead).header,
                        severity="warning",
                        row_rejected=True,
                    )
                )
                continue
            first[k] = rec["row"]
            kept.append(rec)
        records[table] = kept
    return out


def action_checks(
    ctx: Context,
    records: dict[str, list[dict]],
    sheet_names: dict[str, str],
    cells: dict[tuple[str, int, str], int],
) -> list[dict]:
    """State against dates; each action due by the as-of date listed exactly once."""
    form = ctx.form
    spec = form.sheet("actions")
    sheet = sheet_names.get("actions")
    out: list[dict] = []
    recs = records.get("actions") or []
    not_started = spec.column("status").choices[-1]
    for rec in recs:
        if rec.get("status") == not_started and rec.get("done_date") is not None:
            h = spec.column("done_date").header
            out.append(
                finding(
                    ctx,
                    sheet,
                    "not_started_but_dated",
                    f"“{rec.get('action')}”标为“{not_started}”，却填有“{h}”（{zh_date(rec['done_date'])}），请核实完成情况",
                    row=rec["row"] - 1,
                    col=cells.get(("actions", rec["row"], "done_date")),
                    column=h,
                    value=rec["done_date"],
                    severity="warning",
                )
            )
    if sheet is None:
        return out
    seen: dict[str, int] = {}
    h = spec.column("action").header
    for rec in recs:
        name = rec.get("action")
        if name is None:
            continue
        if name in seen:
            out.append(
                finding(
                    ctx,
                    sheet,
                    "action_repeated",
                    f"规定动作“{name}”在第 {seen[name]} 行和第 {rec['row']} 行重复填写，"
                    "请合并为一行",
                    row=rec["row"] - 1,
                    col=cells.get(("actions", rec["row"], "action")),
                    column=h,
                    value=name,
                    severity="warning",
                )
            )
        else:
            seen[name] = rec["row"]
    listed = set(seen) | {
        r.get("action") for r in ctx.rejected.get("actions", [])
    }  # a rejected row still lists it
    if ctx.as_of is not None and recs:
        for a in form.actions_due(ctx.campaign_start, ctx.as_of):
            if a.name not in listed:
                out.append(
                    finding(
                        ctx,
                        sheet,
                        "action_missing",
                        f"缺少规定动作“{a.name}”（{a.stage}，应于{zh_date(a.due_date(ctx.campaign_start))}前完成），"
                        f"请在“{h}”中补列并填写完成情况",
                        column=h,
                        value=a.name,
                        severity="warning",
                    )
                )
    return out


def substance_checks(
    ctx: Context,
    records: dict[str, list[dict]],
    sheet_names: dict[str, str],
    cells: dict[tuple[str, int, str], int],
) -> list[dict]:
    """Counts that cannot be true and claims without substance."""
    form = ctx.form
    out: list[dict] = []
    info = first_record(records, "info")
    if info is not None and info.get("party_members") == 0:
        h = form.sheet("info").column("party_members").header
        at = next(
            ((r - 1, c) for (t, r, k), c in cells.items() if t == "info" and k == "party_members"),
            (None, None),
        )
        out.append(
            finding(
                ctx,
                sheet_names.get("info"),
                "no_members",
                f"“{h}”填写为 0：党组织不能没有党员，请核实",
                column=h,
                value=0,
                severity="warning",
                row=at[0],
                col=at[1],
            )
        )
    mats = records.get("materials") or []
    mspec = form.sheet("materials")
    for rec in mats:
        if rec.get("copies") == 0 and rec.get("standard") is True and rec.get("filed") is True:
            h = mspec.column("copies").header
            out.append(
                finding(
                    ctx,
                    sheet_names.get("materials"),
                    "empty_claim",
                    f"“{rec.get('category')}”份数为 0，却标为“{mspec.column('standard').header}”和"
                    f"“{mspec.column('filed').header}”，请核实",
                    row=rec["row"] - 1,
                    col=cells.get(("materials", rec["row"], "copies")),
                    column=h,
                    value=0,
                    severity="warning",
                )
            )
    # evidence that names a kind of material the return does not hold, or that says nothing
    held = {r.get("category") for r in mats if (r.get("copies") or 0) > 0}
    listed = bool(mats)
    kinds = [c for c in mspec.column("category").choices if c != "其他"]
    aspec = form.sheet("actions")
    done = ctx.form.action_states.done
    empty = set(form.empty_evidence)
    for rec in records.get("actions") or []:
        ev = rec.get("evidence")
        if rec.get("status") != done or not isinstance(ev, str):
            continue
        text = ev.strip()
        named = [k for k in kinds if k in text]
        missing = [k for k in named if k not in held] if listed else []
        if text in empty or missing:
            why = (
                f"“{aspec.column('evidence').header}”只写了“{text}”，没有说明是什么材料"
                if text in empty
                else f"佐证材料“{text}”所说的{'、'.join(missing)}，"
                f"在本表“{mspec.name}”中没有（或份数为 0）"
            )
            out.append(
                finding(
                    ctx,
                    sheet_names.get("actions"),
                    "evidence_not_found",
                    f"“{rec.get('action')}”标为{done}，但{why}，请补充或核实",
                    row=rec["row"] - 1,
                    col=cells.get(("actions", rec["row"], "evidence")),
                    column=aspec.column("evidence").header,
                    value=text,
                    severity="warning",
                )
            )
    return out
