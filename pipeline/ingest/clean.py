"""Cell cleaners: one raw cell value in, a typed value (or a problem code) out.

Pure functions, no files. Every cleaner returns a `Cleaned(value, code)`:
`code` is None when the value is usable (value may be None for an empty
cell), otherwise a stable finding code (`bad_date`, `bad_number`, ...) and
`value` is None. Raw values are what python-calamine gives: str, int, float,
bool, date, datetime, time, timedelta.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from pipeline.form import Column
from pipeline.roster import normalise_text

EXCEL_EPOCH = date(1899, 12, 30)
# Excel serials that can be a date of this campaign's era (1954-12-31 .. 2173-10-14)
SERIAL_MIN, SERIAL_MAX = 20000, 100000


@dataclass(frozen=True)
class Cleaned:
    value: Any
    code: str | None = None  # None = usable
    assumed: str | None = None  # the words as written, when a variant of the form's value was read


EMPTY = Cleaned(None)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if type(value) is str:  # most cells: checked first (called for every cell of a sheet)
        return not value.strip()
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


# ---------------------------------------------------------------- text


def clean_text(value: object) -> Cleaned:
    """Text exactly as typed; numbers and dates that a reader typed are put back to text."""
    if is_blank(value):
        return EMPTY
    if isinstance(value, str):
        return Cleaned(value)
    if isinstance(value, bool):
        return Cleaned("是" if value else "否")
    if isinstance(value, float) and value.is_integer():
        return Cleaned(str(int(value)))
    if isinstance(value, datetime):
        return Cleaned(
            value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
        )
    if isinstance(value, date | time):
        return Cleaned(value.isoformat())
    return Cleaned(str(value))


# ---------------------------------------------------------------- numbers

_NUM = re.compile(r"^([+-]?\d+(?:\.\d+)?)(%?)$")
# a trailing unit word after a number: 12人, 3份, 5次, 20名, 2项 ...
_UNIT_SUFFIX = re.compile(r"(?<=\d)\s*(人次|人|个|份|次|名|项|本|件|册|场|户|位|天|篇|条)$")


def _number_text(text: str) -> tuple[float, bool] | None:
    """'12', '１２', '12人', '1,200', '80%' -> (number, was_percent)."""
    t = nfkc(text).replace(",", "").replace(" ", "")
    t = _UNIT_SUFFIX.sub("", t)
    m = _NUM.match(t)
    if not m:
        return None
    return float(m.group(1)), bool(m.group(2))


def clean_number(value: object) -> Cleaned:
    """Float; `80%` reads as 80 (the percentage as written)."""
    if is_blank(value):
        return EMPTY
    if isinstance(value, bool):
        return Cleaned(None, "bad_number")
    if isinstance(value, int | float):
        v = float(value)
        return Cleaned(v) if math.isfinite(v) else Cleaned(None, "bad_number")
    if isinstance(value, str):
        parsed = _number_text(value)
        if parsed is not None:
            return Cleaned(parsed[0])
    return Cleaned(None, "bad_number")


def clean_integer(value: object) -> Cleaned:
    """A count. `80%` is not a count (a share of what?): it is a bad number, like 12.5 or 十二."""
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        return Cleaned(None, "bad_number")
    c = clean_number(value)
    if c.code or (c.value is not None and not float(c.value).is_integer()):
        return Cleaned(None, "bad_number")
    if c.value is None:
        return EMPTY
    return Cleaned(int(c.value))


# ---------------------------------------------------------------- dates

_YMD = re.compile(
    r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MD = re.compile(r"^(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


def _ymd(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date_text(text: str, year: int) -> date | None:
    t = nfkc(text)
    if not t:
        return None
    for rx in (_YMD, _YMD8):
        m = rx.match(t)
        if m:
            return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _MD.match(t)
    if m:
        return _ymd(year, int(m.group(1)), int(m.group(2)))
    if _SERIAL.match(t):
        return serial_to_date(float(t))
    return None


def serial_to_date(serial: float) -> date | None:
    if not SERIAL_MIN <= serial < SERIAL_MAX:
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def clean_date(value: object, year: int) -> Cleaned:
    """Real dates, Excel serials and written dates.

    Written: 2026年7月15日, 2026.7.15, 2026/7/15, 2026-07-15, 20260715, 7月15日 (the round's year).
    """
    if is_blank(value):
        return EMPTY
    if isinstance(value, datetime):
        return Cleaned(value.date())
    if isinstance(value, date):
        return Cleaned(value)
    if isinstance(value, bool):
        return Cleaned(None, "bad_date")
    if isinstance(value, int | float):
        d = serial_to_date(float(value))
        return Cleaned(d) if d else Cleaned(None, "bad_date")
    if isinstance(value, str):
        d = parse_date_text(value, year)
        if d:
            return Cleaned(d)
    return Cleaned(None, "bad_date")


# ---------------------------------------------------------------- yes/no, choices


def yesno_lookup(yes: Iterable[str], no: Iterable[str]) -> dict[str, bool]:
    table: dict[str, bool] = {}
    for words, flag in ((yes, True), (no, False)):
        for w in words:
            table[w] = flag
            table[nfkc(w)] = flag
            table[nfkc(w).upper()] = flag
    return table


def clean_yesno(
    value: object, lookup: dict[str, bool], variants: dict[str, bool] | None = None
) -> Cleaned:
    """The form's yes/no words, then a variant (`是的`, `没做`).

    A variant sets `assumed` to what was written.
    """
    if is_blank(value):
        return EMPTY
    if isinstance(value, bool):
        return Cleaned(value)
    if isinstance(value, int | float) and value in (0, 1):
        return Cleaned(bool(value))
    text = value if isinstance(value, str) else str(value)
    t = nfkc(text)
    for key in (text, t, t.upper(), t.replace(" ", "").upper()):
        if key in lookup:
            return Cleaned(lookup[key])
    for key in (t, t.replace(" ", "").upper()):
        if variants and key in variants:
            return Cleaned(variants[key], assumed=text)
    return Cleaned(None, "bad_yesno")


def choice_lookup(choices: Sequence[str]) -> dict[str, str]:
    return {normalise_text(c): c for c in choices}


def clean_choice(
    value: object, lookup: dict[str, str], variants: dict[str, str] | None = None
) -> Cleaned:
    """A value of the choice list; spaces, full-width forms and quote styles do not matter.

    `variants` (normalised written form -> choice, from the form spec) are read
    as their choice with `assumed` set to what was written."""
    if is_blank(value):
        return EMPTY
    text = clean_text(value).value
    if text in lookup.values():
        return Cleaned(text)
    key = normalise_text(text)
    if key in lookup:
        return Cleaned(lookup[key])
    if variants and key in variants:
        return Cleaned(variants[key], assumed=text)
    return Cleaned(None, "bad_choice")


def variant_lookup(variants: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Written form -> value, keyed by the comparison form of the written words."""
    out: dict[str, Any] = {}
    for w, v in variants:
        for key in (nfkc(w), nfkc(w).replace(" ", "").upper(), normalise_text(w)):
            if key:
                out[key] = v
    return out


# ---------------------------------------------------------------- headers

_BRACKETED = re.compile(r"[(\[【〔<][^)\]】〕>]*[)\]】〕>]")


def normalise_header(value: object) -> str:
    """The comparison form of a header: NFKC, no bracketed unit, no spaces or punctuation."""
    if type(value) is str:  # the common case, without the general checks below
        return _normalise_header(value) if value.strip() and len(value) < 64 else ""
    if is_blank(value):
        return ""
    if not isinstance(value, str):
        return _normalise_header(str(value))
    return _normalise_header(value) if len(value) < 64 else ""


def header_hits(values: Iterable[object], keys: set[str]) -> int:
    """How many of `values` are, as headers, one of `keys` (`normalise_header(v) in keys`)."""
    return sum(1 for k in normalise_headers(values) if k in keys)


@lru_cache(maxsize=8192)
def _normalise_header(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    stripped = _BRACKETED.sub("", text)
    key = normalise_text(stripped)
    return key or normalise_text(text)


_WANTED: dict[int, tuple[tuple[Column, ...], dict[str, str]]] = {}


def _wanted(columns: tuple[Column, ...]) -> dict[str, str]:
    """Normalised header -> key; kept per columns object (hashing the columns costs more)."""
    kept = _WANTED.get(id(columns))
    if kept is not None and kept[0] is columns:
        return kept[1]
    wanted = {normalise_header(c.header): c.key for c in columns}
    if len(_WANTED) > 64:
        _WANTED.clear()
    _WANTED[id(columns)] = (columns, wanted)
    return wanted


def normalise_headers(cells: Iterable[object]) -> list[str]:
    """`[normalise_header(v) for v in cells]`, the common str case inline."""
    return [
        (_normalise_header(v) if len(v) < 64 and v.strip() else "")
        if type(v) is str
        else normalise_header(v)
        for v in cells
    ]


def map_headers(cells: Sequence[object], columns: Sequence[Column]) -> dict[int, str]:
    """Column index -> spec key for one header row.

    Exact (normalised) header first; then, in a row that already has two
    exact headers, a header that contains exactly one not-yet-taken spec
    header (`活动日期` → 日期). Unknown headers are left out.
    """
    wanted = _wanted(tuple(columns))
    found: dict[int, str] = {}
    taken: set[str] = set()
    keys = [
        (_normalise_header(v) if len(v) < 64 and v.strip() else "")
        if type(v) is str
        else normalise_header(v)
        if isinstance(v, str)
        else ""
        for v in cells
    ]
    for i, k in enumerate(keys):
        if k in wanted and wanted[k] not in taken:
            found[i] = wanted[k]
            taken.add(wanted[k])
    if len(found) < 2:
        return found
    for i, k in enumerate(keys):
        if i in found or not k:
            continue
        hits = [key for h, key in wanted.items() if h and h in k and key not in taken]
        if len(hits) == 1:
            found[i] = hits[0]
            taken.add(hits[0])
    return found


def clean_cell(
    value: object,
    column: Column,
    year: int,
    yesno: dict[str, bool],
    choices: dict[str, str] | None = None,
    variants: dict[str, Any] | None = None,
) -> Cleaned:
    """Dispatch on the spec column type (`variants`: the form's accepted variants of the column)."""
    if column.type == "text":
        return clean_text(value)
    if column.type == "integer":
        return clean_integer(value)
    if column.type == "number":
        return clean_number(value)
    if column.type == "date":
        return clean_date(value, year)
    if column.type == "yesno":
        return clean_yesno(value, yesno, variants)
    if column.type == "choice":
        lookup = choices if choices is not None else choice_lookup(column.choices)
        if variants is None and column.variants:
            variants = variant_lookup(column.variants)
        return clean_choice(value, lookup, variants)
    raise ValueError(f"unknown column type {column.type!r}")
