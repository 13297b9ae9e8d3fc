"""The demo's configuration: the repository's `scorecard.toml`, written out with paths.

There is no second copy of the defaults: a checkout reads the top-level
`scorecard.toml`; a wheel carries that same file as `pipeline/demo/scorecard.toml`
(copied by the build, setup.py). `scorecard_text` returns it with the `[paths]` table
pointing inside the demo folder and, when
a configuration is given, with that configuration's campaign and rounds.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from pathlib import Path

from pipeline.config import Config, config_from_dict

DEMO_PATHS = {
    "roster": "roster.xlsx",
    "raw": "raw",
    "processed": "processed",
    "reports": "reports",
    "receipts": "receipts",
}  # the office's receipt log (收文登记), one per round
_HEADER = re.compile(r"^\[")


CHECKOUT_CONFIG = Path(__file__).resolve().parents[2] / "scorecard.toml"


def template_text() -> str:
    """The text of the repository's scorecard.toml (the wheel's copy, else the checkout's)."""
    packaged = resources.files(__package__).joinpath("scorecard.toml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return CHECKOUT_CONFIG.read_text(encoding="utf-8")


def default_config(base: Path) -> Config:
    """The packaged defaults, paths resolved against `base`."""
    return config_from_dict(tomllib.loads(template_text()), base)


def _blocks(text: str) -> list[tuple[str | None, list[str]]]:
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines():
        if _HEADER.match(line):
            blocks.append((line.split("#")[0].strip(), [line]))
        else:
            blocks[-1][1].append(line)
    return blocks


def _q(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _campaign_toml(config: Config) -> list[str]:
    c = config.campaign
    lines = [
        "[campaign]",
        f"name = {_q(c.name)}",
        f"office = {_q(c.office)}",
        f"contact = {_q(c.contact)}",
        f"start = {c.start.isoformat()}",
        f"form_version = {c.form_version}",
        "",
    ]
    for s in c.stages:
        lines += [
            "[[campaign.stages]]",
            f"id = {_q(s.id)}",
            f"title = {_q(s.title)}",
            f"start = {s.start.isoformat()}",
            f"end = {s.end.isoformat()}",
            "",
        ]
    for r in config.rounds:
        lines += [
            "[[rounds]]",
            f"id = {_q(r.id)}",
            f"name = {_q(r.name)}",
            f"stage = {_q(r.stage)}",
            f"as_of = {r.as_of.isoformat()}",
            f"deadline = {r.deadline.isoformat()}",
            f"inspection = {r.inspection.isoformat()}",
            "",
        ]
    return lines


def scorecard_text(config: Config | None = None) -> str:
    """A complete scorecard.toml for a demo folder (paths relative to it)."""
    out: list[str] = []
    campaign_done = False
    for header, lines in _blocks(template_text()):
        if header == "[paths]":
            out += ["[paths]", *(f"{k} = {_q(v)}" for k, v in DEMO_PATHS.items()), ""]
        elif config is not None and header in ("[campaign]", "[[campaign.stages]]", "[[rounds]]"):
            if not campaign_done:
                out += _campaign_toml(config)
                campaign_done = True
        else:
            out += lines
    return "\n".join(out).rstrip("\n") + "\n"
