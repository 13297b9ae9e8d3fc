"""Turning a unit's clean return into the files it really sends.

`plan_round` decides, per unit, which files arrive (drafts, copies, broken
files, stray lock files), what each file is called, when it arrives, and
which of the `MESSINESS` habits it shows. `file_values` derives the values a
file holds (a draft holds fewer rows; planted row errors change a cell) and
`render` lays them out as cell grids, with title rows, merged headers, blank
and 合计 rows, odd headers, and every date, number and yes/no style.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline.config import Round
from pipeline.demo import pools
from pipeline.form import FormSpec, Sheet

MESSINESS: tuple[str, ...] = (
    "title_rows",
    "merged_header",
    "blank_rows",
    "total_row",
    "sheet_name_spaces",
    "sheet_name_fullwidth",
    "header_spaces",
    "header_fullwidth",
    "header_unit",
    "missing_optional_column",
    "reordered_columns",
    "date_real",
    "date_serial",
    "date_cn",
    "date_dot",
    "date_slash",
    "date_month_day",
    "number_as_text",
    "fullwidth_digits",
    "number_with_unit",
    "percent",
    "leading_zero_text",
    "yesno_shi_fou",
    "yesno_check",
    "yesno_yn",
    "yesno_you_wu",
    "name_typo",
    "name_old",
    "name_long",
    "name_short",
    "filename_mismatch",
    "sent_twice",
    "sent_identical",
    "not_sent",
    "not_a_workbook",
    "encrypted",
    "truncated",
    "old_xls",
    "macros_xlsm",
    "formula_text",
    "html_text",
)
"""One tag per item of "what real returns do" (shared/return-form.md)."""

DATE_STYLES = ("date_real", "date_serial", "date_cn", "date_dot", "date_slash", "date_month_day")
NUMBER_STYLES = ("number", "number_as_text", "fullwidth_digits", "number_with_unit")
YESNO_STYLES = {"yesno_shi_fou": ("是", "否"), "yesno_check": ("√", "×"), "yesno_yn": ("Y", "N"), "yesno_you_wu": ("有", "无")}
UNIT_SUFFIX = {"participants": "人", "party_members": "人", "copies": "份", "surveyed": "人"}
COSMETIC = (
    "title_rows", "merged_header", "blank_rows", "total_row", "sheet_name_spaces", "sheet_name_fullwidth",
    "header_spaces", "header_fullwidth", "header_unit", "missing_optional_column", "reordered_columns",
    "formula_text", "html_text", "percent",
)
COSMETIC_P = 0.12
ERROR_CODES = ("bad_choice", "done_without_date", "date_after_report")
ERROR_P = 0.03
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
LONG_FORM = {"街道": "街道办事处", "社区": "社区居民委员会", "村": "村民委员会", "镇": "镇人民政府", "区级部门": "党委", "企业": "党委"}
SHORT_FORM = {"街道": "街办", "村": "村委"}
KIND_SUFFIX = {"街道": "街道", "社区": "社区", "村": "村", "镇": "镇"}
FOLD_ALIASES = ("街办", "街道办", "村委")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass
class FilePlan:
    """One file that arrives in a round's raw folder."""

    file: str
    unit_id: str  # the sender
    kind: str  # final | draft | copy | broken | typo | stray
    fmt: str  # xlsx | xls | xlsm | encrypted | truncated | not_a_workbook | stray
    received_at: pd.Timestamp
    written_name: str | None
    expected_unit_id: str | None
    status: str
    reason: str
    tags: list[str] = field(default_factory=list)
    style: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # planted row error codes
    same_as: str | None = None  # identical bytes to this file
    superseded_by: str | None = None


def excel_serial(d: date) -> int:
    return (d - _EXCEL_EPOCH).days


def written_name(name: str, unit_type: str, form_: str, aliases: list[str]) -> str:
    """The unit's name in one of its forms (official, old, long, short)."""
    base = name[: -len(KIND_SUFFIX[unit_type])] if unit_type in KIND_SUFFIX and name.endswith(KIND_SUFFIX[unit_type]) else name
    if form_ == "name_old":
        old = [a for a in aliases if not a.endswith(FOLD_ALIASES)]
        return old[0] if old else name
    if form_ == "name_long":
        suffix = LONG_FORM[unit_type]
        return f"{name}{suffix}" if unit_type in ("区级部门", "企业", "镇") else f"{base}{suffix}"
    if form_ == "name_short" and unit_type in SHORT_FORM:
        return f"{base}{SHORT_FORM[unit_type]}"
    return name


def typo_name(name: str, taken: set[str], rng: np.random.Generator) -> str:
    spots = [i for i, ch in enumerate(name) if ch in pools.TYPO_SWAPS]
    for i in rng.permutation(len(spots)) if spots else []:
        j = spots[int(i)]
        cand = name[:j] + pools.TYPO_SWAPS[name[j]] + name[j + 1 :]
        if cand not in taken:
            return cand
    return name + "囗"


def _eligible_forms(unit_type: str, aliases: list[str]) -> list[str]:
    forms = ["name_long"]
    if unit_type in SHORT_FORM:
        forms.append("name_short")
    if any(not a.endswith(FOLD_ALIASES) for a in aliases):
        forms.append("name_old")
    return forms


def plan_round(
    roster: pd.DataFrame,
    delivery: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    rnd: Round,
    rng: np.random.Generator,
) -> list[FilePlan]:
    """Every file that arrives this round, with its fate and its habits."""
    plans: list[FilePlan] = []
    used: set[str] = set()
    taken = set(roster["unit_name"]) | {a for al in roster["aliases"] for a in al}
    ids = roster["unit_id"].to_numpy()
    names = roster["unit_name"].to_numpy()
    types = roster["unit_type"].to_numpy()
    aliases = roster["aliases"].to_numpy()
    parents = roster["parent_id"].to_numpy()
    by_parent: dict[object, list[int]] = {}
    for i, p in enumerate(parents):
        by_parent.setdefault(None if pd.isna(p) else p, []).append(i)
    phones = dict(zip(tables["info"]["unit_id"], tables["info"]["phone"], strict=True))
    has_eval = set(tables["evaluation"]["unit_id"])

    def unique(fname: str) -> str:
        stem, dot, ext = fname.rpartition(".")
        out, k = fname, 2
        while out in used:
            out = f"{stem}({k}){dot}{ext}"
            k += 1
        used.add(out)
        return out

    fate = delivery["fate"].to_numpy()
    resend = delivery["resend"].to_numpy()
    recv = delivery["received_at"]
    n = len(roster)
    u = rng.random((n, 8))
    # extras on units whose return is fine: twice, identical copy, format, name form, file name
    ok = fate == "ok"
    twice = ok & (u[:, 0] < 0.05)
    identical = ok & ~twice & (u[:, 1] < 0.03)
    fmt = np.where(u[:, 2] < 0.04, "xls", np.where(u[:, 2] < 0.06, "xlsm", "xlsx")).astype(object)
    name_form = np.full(n, "official", dtype=object)
    mismatch = ok & (u[:, 4] < 0.03)
    for i in np.flatnonzero(ok & (u[:, 3] < 0.12)):
        forms = _eligible_forms(types[i], list(aliases[i]))
        name_form[i] = forms[int(rng.integers(0, len(forms)))]
    # make sure each habit shows at least once this round
    pool = list(rng.permutation(np.flatnonzero(ok & ~twice & ~identical & ~mismatch & (name_form == "official") & (fmt == "xlsx"))))

    def take(pred=None) -> int | None:
        for j, i in enumerate(pool):
            if pred is None or pred(i):
                return pool.pop(j)
        return None

    if not twice.any() and (i := take()) is not None:
        twice[i] = True
    if not identical.any() and (i := take()) is not None:
        identical[i] = True
    for f in ("xls", "xlsm"):
        if not (fmt == f).any() and (i := take()) is not None:
            fmt[i] = f
    if not mismatch.any() and (i := take()) is not None:
        mismatch[i] = True
    for form_ in ("name_old", "name_long", "name_short"):
        if not (name_form == form_).any():
            i = take(lambda k, f=form_: f in _eligible_forms(types[k], list(aliases[k])))
            if i is not None:
                name_form[i] = form_
    # per-file cosmetic habits and planted errors, forced to show once on plain xlsx finals
    cosmetic = rng.random((n, len(COSMETIC))) < COSMETIC_P
    errors = rng.random((n, len(ERROR_CODES))) < ERROR_P
    finals_xlsx = [i for i in np.flatnonzero(ok & (fmt == "xlsx"))]
    if finals_xlsx:
        for j in range(len(COSMETIC)):
            cand = [i for i in finals_xlsx if COSMETIC[j] != "percent" or ids[i] in has_eval]
            if cand and not cosmetic[cand, j].any():
                cosmetic[cand[int(rng.integers(0, len(cand)))], j] = True
        for j in range(len(ERROR_CODES)):
            if not errors[finals_xlsx, j].any():
                errors[finals_xlsx[int(rng.integers(0, len(finals_xlsx)))], j] = True
    stray_unit = int(finals_xlsx[int(rng.integers(0, len(finals_xlsx)))]) if finals_xlsx else None
    # every date, number and yes/no style shows at least once (on distinct finals where possible)
    order = [int(x) for x in rng.permutation(finals_xlsx)]
    forced: dict[int, dict[str, str]] = {}
    k = 0
    for kind, styles in (("date", DATE_STYLES), ("number", NUMBER_STYLES[1:]), ("yesno", tuple(YESNO_STYLES))):
        for s_ in styles:
            if order:
                forced.setdefault(order[k % len(order)], {})[kind] = s_
                k += 1
    if order and not any(isinstance(phones.get(str(ids[i])), str) and str(phones.get(str(ids[i]))).isdigit() and str(phones.get(str(ids[i]))).startswith("0") for i in finals_xlsx):
        forced.setdefault(order[-1], {})["phone"] = "leading_zero"
    for i in range(n):
        if fate[i] in ("not_expected", "missing"):
            continue
        uid, name = str(ids[i]), str(names[i])
        t_final = recv.iloc[i]
        style = _style(rng, forced.get(i, {}), phones.get(uid), rnd.as_of.year)
        tags = _style_tags(style)
        base_fname = f"{name}_{rnd.id}.xlsx"
        if fate[i] in ("encrypted", "truncated", "not_a_workbook"):
            t_bad = t_final - pd.Timedelta(seconds=int(rng.integers(2 * 3600, 36 * 3600))) if resend[i] else t_final
            reason = fate[i]
            plans.append(
                FilePlan(unique(base_fname), uid, "broken", fate[i], t_bad, None, None, "rejected", reason, [fate[i]], style)
            )
            if not resend[i]:
                continue
            base_fname = f"{name}_{rnd.id}（重新报送）.xlsx"
        if fate[i] == "typo":
            wn = typo_name(name, taken, rng)
            plans.append(
                FilePlan(unique(f"{wn}_{rnd.id}.xlsx"), uid, "typo", "xlsx", t_final, wn, None, "rejected", "unknown_unit", ["name_typo", *tags], style)
            )
            continue
        wn = written_name(name, str(types[i]), str(name_form[i]), list(aliases[i]))
        ftags = list(tags)
        if name_form[i] != "official":
            ftags.append(str(name_form[i]))
        fname = base_fname
        if mismatch[i]:
            sib = [k for k in by_parent.get(None if pd.isna(parents[i]) else parents[i], []) if k != i] or [k for k in range(n) if k != i]
            other = names[sib[int(rng.integers(0, len(sib)))]]
            fname = f"{other}{rnd.name}报表.xlsx"
            ftags.append("filename_mismatch")
        ext = {"xlsx": ".xlsx", "xls": ".xls", "xlsm": ".xlsm"}[fmt[i]]
        fname = fname[: -len(".xlsx")] + ext
        if fmt[i] == "xls":
            ftags.append("old_xls")
        elif fmt[i] == "xlsm":
            ftags.append("macros_xlsm")
        cos = [COSMETIC[j] for j in np.flatnonzero(cosmetic[i])] if fmt[i] == "xlsx" else []
        if "percent" in cos and uid not in has_eval:
            cos.remove("percent")
        errs = [ERROR_CODES[j] for j in np.flatnonzero(errors[i])] if fmt[i] == "xlsx" else []
        if twice[i]:
            t_draft = t_final - pd.Timedelta(seconds=int(rng.integers(3600, 48 * 3600)))
            draft = FilePlan(unique(fname), uid, "draft", str(fmt[i]), t_draft, wn, uid, "superseded", "superseded_later", [*ftags, "sent_twice"], style)
            plans.append(draft)
            stem, _, ext2 = fname.rpartition(".")
            fname = f"{stem}（修改）.{ext2}"
        final = FilePlan(unique(fname), uid, "final", str(fmt[i]), t_final, wn, uid, "accepted", "ok", ftags + cos, style, errs)
        if twice[i]:
            final.tags.append("sent_twice")
            plans[-1].superseded_by = final.file
        plans.append(final)
        if identical[i]:
            stem, _, ext2 = final.file.rpartition(".")
            t_copy = t_final + pd.Timedelta(seconds=int(rng.integers(600, 20 * 3600)))
            copy = FilePlan(unique(f"{stem} - 副本.{ext2}"), uid, "copy", final.fmt, t_copy, wn, uid, "ignored", "duplicate_content", [*final.tags, "sent_identical"], style, list(errs), same_as=final.file)
            final.tags.append("sent_identical")
            plans.append(copy)
        if stray_unit == i:
            plans.append(FilePlan(unique(f"~${final.file}"), uid, "stray", "stray", t_final, None, None, "ignored", "not_a_return", ["stray_file"]))
    return plans


def _style(rng: np.random.Generator, forced: dict[str, str], phone: object, year: int) -> dict:
    dstyle = DATE_STYLES[int(rng.integers(0, len(DATE_STYLES)))]
    mixed = rng.random() < 0.15  # dates of one file in several styles
    nstyle = NUMBER_STYLES[int(rng.choice(4, p=[0.7, 0.1, 0.1, 0.1]))]
    ystyle = list(YESNO_STYLES)[int(rng.choice(4, p=[0.55, 0.15, 0.15, 0.15]))]
    dstyle = forced.get("date", dstyle)
    nstyle = forced.get("number", nstyle)
    ystyle = forced.get("yesno", ystyle)
    return {
        "date": dstyle,
        "date_mixed": mixed,
        "number": nstyle,
        "yesno": ystyle,
        "leading_zero": forced.get("phone") == "leading_zero" or (isinstance(phone, str) and phone.startswith("0") and phone.isdigit()),
        "force_phone": forced.get("phone") == "leading_zero",
        "seed": int(rng.integers(0, 2**31 - 1)),
        "year": year,
    }


def _style_tags(style: dict) -> list[str]:
    tags = [style["date"], style["yesno"]]
    if style["date_mixed"]:
        tags.extend(s for s in DATE_STYLES if s != style["date"])
    if style["number"] != "number":
        tags.append(style["number"])
    if style["leading_zero"]:
        tags.append("leading_zero_text")
    return sorted(set(tags))


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
        optional = [c for c in sheet.columns if not c.required and c.required_when is None and c.type == "text" and c.key != "evidence"]
        if optional:
            out[sheet.table] = {optional[int(rng.integers(0, len(optional)))].key}
    return out


def file_values(
    plan: FilePlan, unit_tables: dict[str, pd.DataFrame], form: FormSpec, rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], dict[tuple[str, int, str], object], list[dict]]:
    """(typed values per table, raw overrides for planted errors, planted error records)."""
    values = {k: v.reset_index(drop=True).copy() for k, v in unit_tables.items()}
    overrides: dict[tuple[str, int, str], object] = {}
    planted: list[dict] = []
    info = values["info"]
    if plan.kind == "draft":
        # an earlier version: dated a day earlier, without the last activities
        report = info.loc[0, "report_date"] - pd.Timedelta(days=1)
        info.loc[0, "report_date"] = report
        acts = values["activities"]
        acts = acts[acts["date"] <= report]
        values["activities"] = acts.iloc[: max(1, len(acts) - 2)].reset_index(drop=True)
        a = values["actions"]
        late = a["done_date"] > report
        a.loc[late, "status"] = "进行中"
        a.loc[late, "done_date"] = pd.NaT
        a.loc[late, "evidence"] = "正在推进"
        values["actions"] = a
    if plan.written_name is not None:
        info.loc[0, "unit_name"] = plan.written_name
    if plan.style.get("force_phone"):
        digits = "".join(ch for ch in str(info.loc[0, "phone"]) if ch.isdigit())[-7:]
        info.loc[0, "phone"] = f"0812{digits}"  # a number with a leading zero, typed as text
    cos = set(plan.tags)
    if "formula_text" in cos:
        # text that a spreadsheet would take for a formula: every leading character once
        acts = values["activities"]
        rows_ = rng.permutation(len(acts))[:4]
        for prefix, j in zip(("=", "+", "-", "@"), rows_, strict=False):
            acts.loc[int(j), "name"] = f"{prefix}{acts.loc[int(j), 'name']}"
        done = np.flatnonzero((values["actions"]["status"] == "已完成").fillna(False).to_numpy(bool))
        if len(done):
            values["actions"].loc[int(done[0]), "evidence"] = '=HYPERLINK("http://example.com/照片","照片")'
    if "html_text" in cos:
        info.loc[0, "theme_note"] = "<b>重点：</b>" + str(info.loc[0, "theme_note"] if pd.notna(info.loc[0, "theme_note"]) else "")
        values["actions"].loc[0, "note"] = "<script>alert('创先争优')</script>"
        if len(values["activities"]):
            j = int(rng.integers(0, len(values["activities"])))
            values["activities"].loc[j, "name"] = f"<b>{values['activities'].loc[j, 'name']}</b>"
    if "percent" in cos and len(values["evaluation"]):
        ev = values["evaluation"]
        pct = round(100 * int(ev.loc[0, "satisfied"]) / max(int(ev.loc[0, "surveyed"]), 1))
        overrides[("evaluation", 0, "satisfied")] = f"{pct}%"
        ev.loc[0, "satisfied"] = pd.NA
        planted.append({"table": "evaluation", "data_row": 0, "column": "satisfied", "code": "bad_number"})
    values["info"] = info
    report = info.loc[0, "report_date"]
    for code in plan.errors:
        if code == "bad_choice":
            a = values["actions"]
            j = int(rng.integers(0, len(a)))
            overrides[("actions", j, "status")] = "基本完成"
            if a.loc[j, "status"] == "已完成":
                a.loc[j, "done_date"] = pd.NaT  # keep the row free of a second problem
                overrides[("actions", j, "done_date")] = None
            a.loc[j, "status"] = pd.NA
            planted.append({"table": "actions", "data_row": j, "column": "status", "code": code})
        elif code == "done_without_date":
            a = values["actions"]
            done = np.flatnonzero((a["status"] == "已完成").fillna(False).to_numpy())
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
            values[table][key] = values[table][key].where(pd.Series(False, index=values[table].index))
    return values, overrides, planted


# ---------------------------------------------------------------- rendering


@dataclass
class Grid:
    """A sheet as cells: rows of values (str/int/float/date/None) and merged ranges."""

    name: str
    rows: list[list[object]]
    merges: list[tuple[int, int, int, int, object]] = field(default_factory=list)  # r1, c1, r2, c2, value
    date_cells: set[tuple[int, int]] = field(default_factory=set)


def _fmt_date(value: object, style: str, rng: np.random.Generator, mixed: bool, year: int) -> object:
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


def _fmt_number(value: object, key: str, style: str) -> object:
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


def _title(unit_name: str, sheet: Sheet, form: FormSpec, report: object) -> list[str]:
    d = pd.Timestamp(report).date() if report is not None and not pd.isna(report) else None
    second = f"填报单位（盖章）：{unit_name}    填报日期：{d.year}年{d.month}月{d.day}日" if d else f"填报单位：{unit_name}"
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
            titles = _title(unit_name, sheet, form, info["report_date"])[: 1 + int(rng.integers(0, 2))]
            for t in titles:
                merges.append((len(rows), 0, len(rows), width - 1, t))
                rows.append([t] + [None] * (width - 1))
        if sheet.kind == "keyvalue":
            rows.append([sheet.key_header, sheet.value_header])
            cols = [c for c in sheet.columns if c.key not in dropped.get(sheet.table, ())]
            rec = frame.iloc[0]
            for c in cols:
                raw = overrides.get((sheet.table, 0, c.key), _cell(rec[c.key], c, style, rng)) if (sheet.table, 0, c.key) in overrides else _cell(rec[c.key], c, style, rng)
                label = _header(c, tags, rng)
                rows.append([label, raw])
            grids.append(Grid(name, rows, merges))
            continue
        cols = [c for c in sheet.columns if c.key not in dropped.get(sheet.table, ())]
        if "reordered_columns" in tags:
            perm = rng.permutation(len(cols))
            cols = [cols[int(k)] for k in perm]
        headers = [_header(c, tags, rng) for c in cols]
        if "merged_header" in tags and len(cols) >= 4:
            top = len(rows)
            group = 3
            first = len(cols) - group
            row1 = [h if k < first else None for k, h in enumerate(headers)]
            row1[first] = "其他情况"
            row2 = [None if k < first else h for k, h in enumerate(headers)]
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
        for j, rec in enumerate(records):
            if j in blanks:
                rows.append([None] * len(cols))
            row = []
            for c in cols:
                key = (sheet.table, j, c.key)
                row.append(overrides[key] if key in overrides else _cell(rec[c.key], c, style, rng))
            rows.append(row)
        if n in blanks:
            rows.append([None] * len(cols))
        if "total_row" in tags and n:
            total: list[object] = [form.total_row_markers[0]] + [None] * (len(cols) - 1)
            for k, c in enumerate(cols):
                if k and c.key in ("participants", "copies"):
                    total[k] = int(pd.array(frame[c.key], dtype="Int64").sum())
            rows.append(total)
        grids.append(Grid(name, rows, merges))
    return grids


def written_first_day(rnd: Round) -> date:
    return rnd.as_of - timedelta(days=1)
