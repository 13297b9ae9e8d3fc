"""Which files a unit really sends, and the habits each file shows.

`plan_round` decides, per unit, which files arrive (drafts, identical copies,
broken files, a stray lock file), what each file is called, when it arrives,
what should happen to it, and which of the `MESSINESS` habits it shows (each
habit forced to occur at least once a round). `pipeline.demo.render` then
turns a plan and the unit's clean tables into cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pipeline.config import Round
from pipeline.demo import pools

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
YESNO_STYLES = {
    "yesno_shi_fou": ("是", "否"),
    "yesno_check": ("√", "×"),
    "yesno_yn": ("Y", "N"),
    "yesno_you_wu": ("有", "无"),
}
UNIT_SUFFIX = {"participants": "人", "party_members": "人", "copies": "份", "surveyed": "人"}
COSMETIC = (
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
    "formula_text",
    "html_text",
    "percent",
)
COSMETIC_P = 0.12
ERROR_CODES = ("bad_choice", "done_without_date", "date_after_report")
ERROR_P = 0.03
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
LONG_FORM = {
    "街道": "街道办事处",
    "社区": "社区居民委员会",
    "村": "村民委员会",
    "镇": "人民政府",
    "区级部门": "党委",
    "企业": "党委",
}
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
    match: str | None = None  # how the roster should match written_name (see `match_kind`)


def excel_serial(d: date) -> int:
    return (d - _EXCEL_EPOCH).days


def written_name(name: str, unit_type: str, form_: str, aliases: list[str]) -> str:
    """The unit's name in one of its forms (official, old, long, short)."""
    base = (
        name[: -len(KIND_SUFFIX[unit_type])]
        if unit_type in KIND_SUFFIX and name.endswith(KIND_SUFFIX[unit_type])
        else name
    )
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
    report = delivery["report_date"].to_numpy()
    n = len(roster)
    u = rng.random((n, 8))
    # extras on units whose return is fine: twice, identical copy, format, name form, file name
    ok = fate == "ok"
    twice = ok & (u[:, 0] < 0.05)
    identical = ok & ~twice & (u[:, 1] < 0.03)
    fmt = np.where(u[:, 2] < 0.04, "xls", np.where(u[:, 2] < 0.06, "xlsm", "xlsx")).astype(object)
    name_form = np.full(n, "official", dtype=object)
    mismatch = ok & (u[:, 4] < 0.03)
    for i in np.flatnonzero(ok & (u[:, 3] < 0.12)).tolist():
        forms = _eligible_forms(types[i], list(aliases[i]))
        name_form[i] = forms[int(rng.integers(0, len(forms)))]
    # make sure each habit shows at least once this round
    pool: list[int] = rng.permutation(
        np.flatnonzero(
            ok & ~twice & ~identical & ~mismatch & (name_form == "official") & (fmt == "xlsx")
        )
    ).tolist()

    def take(pred: Callable[[int], bool] | None = None) -> int | None:
        for j, i in enumerate(pool):
            if pred is None or pred(i):
                return pool.pop(j)
        return None

    # the scarcest first: only some units have an old name or a short form
    for form_ in ("name_old", "name_short", "name_long"):
        if not (name_form == form_).any():

            def eligible(k: int, f: str = form_) -> bool:
                return f in _eligible_forms(types[k], list(aliases[k]))

            pick = take(eligible)
            if pick is not None:
                name_form[pick] = form_
    for f in ("xls", "xlsm"):
        if not (fmt == f).any() and (pick := take()) is not None:
            fmt[pick] = f
    if not twice.any() and (pick := take()) is not None:
        twice[pick] = True
    if not identical.any() and (pick := take()) is not None:
        identical[pick] = True
    if not mismatch.any() and (pick := take()) is not None:
        mismatch[pick] = True
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
    for kind, styles in (
        ("date", DATE_STYLES),
        ("number", NUMBER_STYLES[1:]),
        ("yesno", tuple(YESNO_STYLES)),
    ):
        for s_ in styles:
            if order:
                forced.setdefault(order[k % len(order)], {})[kind] = s_
                k += 1
    if order and not any(
        isinstance(phones.get(str(ids[i])), str)
        and str(phones.get(str(ids[i]))).isdigit()
        and str(phones.get(str(ids[i]))).startswith("0")
        for i in finals_xlsx
    ):
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
            t_bad = t_final
            if resend[i]:  # the broken file came first, but not before the day it was dated
                t_bad = t_final - pd.Timedelta(seconds=int(rng.integers(2 * 3600, 36 * 3600)))
                t_bad = min(
                    max(t_bad, _office_hours(report[i], 0)), t_final - pd.Timedelta(minutes=5)
                )
            reason = fate[i]
            plans.append(
                FilePlan(
                    unique(base_fname),
                    uid,
                    "broken",
                    fate[i],
                    t_bad,
                    None,
                    None,
                    "rejected",
                    reason,
                    [fate[i]],
                    style,
                )
            )
            if not resend[i]:
                continue
            base_fname = f"{name}_{rnd.id}（重新报送）.xlsx"
        if fate[i] == "typo":
            wn = typo_name(name, taken, rng)
            plans.append(
                FilePlan(
                    unique(base_fname),
                    uid,
                    "typo",
                    "xlsx",
                    t_final,
                    wn,
                    None,
                    "rejected",
                    "unknown_unit",
                    ["name_typo", *tags],
                    style,
                )
            )
            continue
        wn = written_name(name, str(types[i]), str(name_form[i]), list(aliases[i]))
        ftags = list(tags)
        if name_form[i] != "official":
            ftags.append(str(name_form[i]))
        fname = base_fname
        if mismatch[i]:
            sib = [
                k for k in by_parent.get(None if pd.isna(parents[i]) else parents[i], []) if k != i
            ] or [k for k in range(n) if k != i]
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
            t_draft = max(t_draft, _office_hours(report[i], -1))  # the draft is dated a day earlier
            draft = FilePlan(
                unique(fname),
                uid,
                "draft",
                str(fmt[i]),
                t_draft,
                wn,
                uid,
                "superseded",
                "superseded_later",
                [*ftags, "sent_twice"],
                style,
            )
            plans.append(draft)
            stem, _, ext2 = fname.rpartition(".")
            fname = f"{stem}（修改）.{ext2}"
        final = FilePlan(
            unique(fname),
            uid,
            "final",
            str(fmt[i]),
            t_final,
            wn,
            uid,
            "accepted",
            "ok",
            ftags + cos,
            style,
            errs,
        )
        if twice[i]:
            final.tags.append("sent_twice")
            plans[-1].superseded_by = final.file
        plans.append(final)
        if identical[i]:
            stem, _, ext2 = final.file.rpartition(".")
            t_copy = t_final + pd.Timedelta(seconds=int(rng.integers(600, 20 * 3600)))
            copy = FilePlan(
                unique(f"{stem} - 副本.{ext2}"),
                uid,
                "copy",
                final.fmt,
                t_copy,
                wn,
                uid,
                "ignored",
                "duplicate_content",
                [*final.tags, "sent_identical"],
                style,
                list(errs),
                same_as=final.file,
            )
            final.tags.append("sent_identical")
            plans.append(copy)
        if stray_unit == i:
            plans.append(
                FilePlan(
                    unique(f"~${final.file}"),
                    uid,
                    "stray",
                    "stray",
                    t_final,
                    None,
                    None,
                    "ignored",
                    "not_a_return",
                    ["stray_file"],
                )
            )
    alias_of = {str(u): set(a) for u, a in zip(ids, aliases, strict=True)}
    for p in plans:
        p.match = match_kind(p, alias_of.get(p.unit_id, set()))
    return plans


def match_kind(plan: FilePlan, aliases: set[str]) -> str | None:
    """How `pipeline.roster.match_unit` should match the written name: its `how`,
    or `unmatched` (near_miss or none) for a misspelt name."""
    if plan.written_name is None:
        return None
    tags = set(plan.tags)
    if "name_typo" in tags:
        return "unmatched"
    if plan.written_name in aliases or "name_old" in tags:
        return "alias"
    if tags & {"name_long", "name_short"}:
        return "normalised"
    return "exact"


def _office_hours(day: np.datetime64 | date, shift_days: int) -> pd.Timestamp:
    """08:30 Asia/Shanghai on `day` + shift, as a UTC timestamp."""
    local = pd.Timestamp(day).normalize() + pd.Timedelta(days=shift_days, hours=8, minutes=30)
    return local.tz_localize("Asia/Shanghai").tz_convert("UTC")


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
        "leading_zero": forced.get("phone") == "leading_zero"
        or (isinstance(phone, str) and phone.startswith("0") and phone.isdigit()),
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
