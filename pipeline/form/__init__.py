"""The return form as data.

`load_form(version)` reads `spec_v<version>.toml` (beside this file) into a
frozen `FormSpec`. Templates, ingestion, validation and the demo generator all
read this one specification; none of them hard-codes a sheet, header or choice.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Literal

ColumnType = Literal["text", "integer", "number", "date", "choice", "yesno"]
SheetKind = Literal["notes", "keyvalue", "table"]
_TYPES = {"text", "integer", "number", "date", "choice", "yesno"}
_KINDS = {"notes", "keyvalue", "table"}
_BAD_SHEET_CHARS = "[]:*?/\\"


class FormSpecError(ValueError):
    """A form specification that is not usable; names the sheet and column."""


@dataclass(frozen=True)
class RequiredWhen:
    column: str
    equals: str


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    required_when: RequiredWhen | None = None
    length: str = "text"  # kind of text for the length limit (spec `[max_chars]`)
    max_chars: int = 500  # longest text kept; longer is cut with a finding
    # words people write for a choice value: (as written, the form's value); mapped with a warning
    variants: tuple[tuple[str, str], ...] = ()
    # a code or phone number that loses its leading 0 when typed as a number
    # (warned, see LeadingZero)
    leading_zero: LeadingZero | None = None


@dataclass(frozen=True)
class LeadingZero:
    """A number typed as a number may have lost a leading 0: warn unless it matches `unless`."""

    min_digits: int = 9
    unless: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    table: str
    kind: SheetKind
    required: bool = False
    key_header: str = "项目"
    value_header: str = "内容"
    columns: tuple[Column, ...] = ()

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"sheet {self.name}: no column {key!r}")

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


@dataclass(frozen=True)
class Action:
    stage: str
    name: str
    due_day: int

    def due_date(self, campaign_start: date) -> date:
        """Day 1 is the campaign start."""
        return campaign_start + timedelta(days=self.due_day - 1)


@dataclass(frozen=True)
class ActionStates:
    """Which 完成情况 choices mean done / in progress / not started (spec `[action_states]`)."""

    done: str
    in_progress: str
    not_started: str


@dataclass(frozen=True)
class FormSpec:
    version: int
    title: str
    yes: tuple[str, ...]
    no: tuple[str, ...]
    total_row_markers: tuple[str, ...]
    sheets: tuple[Sheet, ...]
    action_states: ActionStates
    actions: tuple[Action, ...] = field(default=())
    # yes/no words people write that are not the form's own: mapped with a warning
    yes_variants: tuple[str, ...] = ()
    no_variants: tuple[str, ...] = ()
    # 佐证材料 that names nothing (a done action with only this is a claim without substance)
    empty_evidence: tuple[str, ...] = ()

    def sheet(self, name_or_table: str) -> Sheet:
        for s in self.sheets:
            if name_or_table in (s.name, s.table):
                return s
        raise KeyError(f"form v{self.version}: no sheet {name_or_table!r}")

    @property
    def data_sheets(self) -> tuple[Sheet, ...]:
        """Sheets that are read back (all but the instructions)."""
        return tuple(s for s in self.sheets if s.kind != "notes")

    @property
    def unit_types(self) -> tuple[str, ...]:
        """The 单位类型 choices, in the form's order: the one list of unit types."""
        return self.sheet("info").column("unit_type").choices

    def actions_due(self, campaign_start: date, as_of: date) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.due_date(campaign_start) <= as_of)


DEFAULT_MAX_CHARS = {"name": 100, "theme": 100, "note": 2000, "text": 500, "other": 200}


def _column(
    sheet: str, raw: dict, actions: tuple[Action, ...], max_chars: dict | None = None
) -> Column:
    where = f"sheet {sheet!r}, column {raw.get('key', raw.get('header', '?'))!r}"
    for k in ("key", "header", "type"):
        if k not in raw:
            raise FormSpecError(f"{where}: missing {k!r}")
    if raw["type"] not in _TYPES:
        raise FormSpecError(f"{where}: unknown type {raw['type']!r}")
    choices = tuple(raw.get("choices", ()))
    if raw.get("choices_from") == "actions":
        choices = tuple(a.name for a in actions)
    elif "choices_from" in raw:
        raise FormSpecError(f"{where}: unknown choices_from {raw['choices_from']!r}")
    if raw["type"] == "choice" and not choices:
        raise FormSpecError(f"{where}: a choice column needs choices")
    rw = raw.get("required_when")
    limits = {**DEFAULT_MAX_CHARS, **(max_chars or {})}
    length = raw.get("length", "text" if raw["type"] == "text" else "other")
    if length not in limits:
        raise FormSpecError(f"{where}: unknown length {length!r} (known: {sorted(limits)})")
    if (
        not isinstance(limits[length], int)
        or isinstance(limits[length], bool)
        or limits[length] < 1
    ):
        raise FormSpecError(f"max_chars.{length}: a positive whole number")
    variants = tuple((str(k), str(v)) for k, v in raw.get("variants", {}).items())
    for written, value in variants:
        if value not in choices:
            raise FormSpecError(
                f"{where}: variant {written!r} maps to {value!r}, not one of the choices"
            )
    lz = raw.get("leading_zero")
    leading_zero = None
    if lz:
        lz = lz if isinstance(lz, dict) else {}
        leading_zero = LeadingZero(int(lz.get("min_digits", 9)), str(lz.get("unless", "")))
    return Column(
        key=raw["key"],
        header=raw["header"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        choices=choices,
        min=raw.get("min"),
        max=raw.get("max"),
        required_when=RequiredWhen(rw["column"], rw["equals"]) if rw else None,
        length=length,
        max_chars=limits[length],
        variants=variants,
        leading_zero=leading_zero,
    )


def _action_states(raw: dict | None, sheets: tuple[Sheet, ...]) -> ActionStates:
    names = ("done", "in_progress", "not_started")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(n), str) for n in names):
        raise FormSpecError(
            f"action_states: needs {', '.join(names)} (words of the status choices)"
        )
    status = next(
        (c for s in sheets if s.table == "actions" for c in s.columns if c.key == "status"), None
    )
    if status is None:
        raise FormSpecError("action_states: the actions sheet has no status column")
    states = ActionStates(*(raw[n] for n in names))
    for n in names:
        if getattr(states, n) not in status.choices:
            raise FormSpecError(
                f"action_states.{n}: {getattr(states, n)!r} is not one of the status choices"
            )
    if len({states.done, states.in_progress, states.not_started}) != 3:
        raise FormSpecError("action_states: the three states must differ")
    return states


def parse_form(data: dict) -> FormSpec:
    """Build a FormSpec from a parsed TOML mapping, checking it as it goes."""
    actions = tuple(
        Action(a["stage"], a["name"], int(a["due_day"])) for a in data.get("actions", ())
    )
    sheets = []
    names: set[str] = set()
    for s in data["sheets"]:
        if s.get("kind") not in _KINDS:
            raise FormSpecError(f"sheet {s.get('name')!r}: unknown kind {s.get('kind')!r}")
        name = str(s.get("name", ""))
        if not name or len(name) > 31 or any(ch in name for ch in _BAD_SHEET_CHARS):
            raise FormSpecError(
                f"sheet {name!r}: not a valid Excel sheet name "
                f"(1-31 characters, none of {_BAD_SHEET_CHARS})"
            )
        if name in names:
            raise FormSpecError(f"sheet {name!r}: sheet names repeat")
        names.add(name)
        cols = tuple(
            _column(s["name"], c, actions, data.get("max_chars")) for c in s.get("columns", ())
        )
        keys = [c.key for c in cols]
        if len(set(keys)) != len(keys):
            raise FormSpecError(f"sheet {s['name']!r}: column keys repeat")
        for c in cols:
            if c.required_when and c.required_when.column not in keys:
                raise FormSpecError(
                    f"sheet {s['name']!r}, column {c.key!r}: required_when names unknown column"
                )
        sheets.append(
            Sheet(
                name=s["name"],
                table=s["table"],
                kind=s["kind"],
                required=bool(s.get("required", False)),
                key_header=s.get("key_header", "项目"),
                value_header=s.get("value_header", "内容"),
                columns=cols,
            )
        )
    return FormSpec(
        version=int(data["version"]),
        action_states=_action_states(data.get("action_states"), tuple(sheets)),
        title=data["title"],
        yes=tuple(data["yes"]),
        no=tuple(data["no"]),
        total_row_markers=tuple(data.get("total_row_markers", ("合计",))),
        sheets=tuple(sheets),
        actions=actions,
        yes_variants=tuple(data.get("yes_variants", ())),
        no_variants=tuple(data.get("no_variants", ())),
        empty_evidence=tuple(data.get("empty_evidence", ())),
    )


@cache
def load_form(version: int = 1) -> FormSpec:
    """The packaged form specification of this version."""
    name = f"spec_v{version}.toml"
    ref = resources.files(__package__).joinpath(name)
    if not ref.is_file():
        raise FormSpecError(f"no form specification version {version} ({name})")
    return parse_form(tomllib.loads(ref.read_text(encoding="utf-8")))


__all__ = [
    "Action",
    "ActionStates",
    "Column",
    "FormSpec",
    "FormSpecError",
    "LeadingZero",
    "RequiredWhen",
    "Sheet",
    "load_form",
    "parse_form",
]
