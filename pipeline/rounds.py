"""`scorecard round add`: a new [[rounds]] block written into scorecard.toml, checked first.

The block is inserted as text right after the last existing [[rounds]] block,
so every comment and the layout of the file stay as they were. The new file is
validated as a whole (dates in order, stage whose dates contain the round's
as_of date, unique id) before it replaces the old one; nothing is written
when a check fails. The stage, when not given, is the one whose dates contain
as_of.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.config import Config, ConfigError, ConfigProblem, config_from_dict

_HEADER = re.compile(r"^\[", re.M)  # a table header starts its line; an array value's lines do not


@dataclass(frozen=True)
class NewRound:
    id: str
    name: str
    as_of: date
    deadline: date
    inspection: date
    stage: str = ""


def pick_stage(config: Config, as_of: date) -> str:
    """The campaign stage whose dates contain `as_of`."""
    for s in config.campaign.stages:
        if s.start <= as_of <= s.end:
            return s.id
    known = "；".join(f"{s.id} {s.start}至{s.end}" for s in config.campaign.stages) or "未配置阶段"
    raise ConfigError(
        config.source or Path("scorecard.toml"),
        [ConfigProblem("rounds.stage", f"数据截至日期 {as_of} 不在任何阶段的日期之内（{known}）")],
    )


def round_block(r: NewRound, stage: str) -> str:
    return (
        f'[[rounds]]\nid = "{r.id}"\nname = "{_escape(r.name)}"\nstage = "{_escape(stage)}"\n'
        f"as_of = {r.as_of.isoformat()}\ndeadline = {r.deadline.isoformat()}\n"
        f"inspection = {r.inspection.isoformat()}\n"
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def insert_block(text: str, block: str) -> str:
    """`text` with `block` after the last [[rounds]] block (or at the end when there is none)."""
    starts = [m.start() for m in re.finditer(r"^\[\[rounds\]\]", text, re.M)]
    if not starts:
        return text.rstrip("\n") + "\n\n" + block
    nxt = _HEADER.search(text, starts[-1] + len("[[rounds]]"))
    end = nxt.start() if nxt else len(text)
    # keep a comment block that introduces the next table with that table
    before = text[:end]
    lines = before.split("\n")
    while len(lines) > 1 and (lines[-1].strip() == "" or lines[-1].lstrip().startswith("#")):
        lines.pop()
    head = "\n".join(lines)
    rest = text[len(head) :].lstrip("\n")
    return head + "\n\n" + block + ("\n" + rest if rest else "")


def add_round(config_path: Path, new: NewRound) -> Config:
    """Write `new` into the TOML file at `config_path`; return the validated new configuration."""
    from pipeline.config import load_config

    config_path = Path(config_path)
    config = load_config(config_path)
    stage = new.stage or pick_stage(config, new.as_of)
    text = config_path.read_text(encoding="utf-8")
    updated = insert_block(text, round_block(new, stage))
    data = tomllib.loads(updated)
    checked = config_from_dict(
        data, config_path.parent, config_path
    )  # ConfigError when anything is off
    with atomic_path(config_path, prefix=".scorecard.", suffix=".toml.tmp") as tmp:
        Path(tmp).write_text(updated, encoding="utf-8")
    return checked
