"""Return templates: the Excel workbook the district sends to every unit.

`write_templates(config, round_id)` writes `<单位名称>_<round>.xlsx` for every
roster unit expected to report, built entirely from the form specification
(`pipeline.form.load_form(config.campaign.form_version)`).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.config import Config
from pipeline.errors import EXIT_USAGE, ScorecardError
from pipeline.form import load_form
from pipeline.roster import load_roster
from pipeline.templates.carry import carried_over
from pipeline.templates.instructions import TemplateUnit
from pipeline.templates.workbook import LIST_SHEET, build_workbook

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class UnknownUnitError(ScorecardError, KeyError):
    """A unit id that the roster does not hold."""

    exit_code = EXIT_USAGE


def template_filename(unit_name: str, round_id: str, unit_id: str = "") -> str:
    """`<单位名称>_<round>.xlsx`, with characters a file system refuses replaced by `_`."""
    name = _UNSAFE.sub("_", unit_name).strip(" .") or unit_id or "unit"
    return f"{name}_{round_id}.xlsx"


def template_units(config: Config, unit_id: str | None = None) -> list[TemplateUnit]:
    """The roster units that get a template: all expected ones, or the one asked for."""
    roster = load_roster(config.paths.roster)
    if unit_id is not None:
        roster = roster[roster["unit_id"] == unit_id]
        if roster.empty:
            raise UnknownUnitError(f"单位编码 {unit_id!r} 不在单位名册 {config.paths.roster} 中")
    else:
        roster = roster[roster["expected"]]
    return [
        TemplateUnit(str(r.unit_id), str(r.unit_name), str(r.unit_type))
        for r in roster.itertuples(index=False)
    ]


def write_templates(
    config: Config,
    round_id: str,
    unit_id: str | None = None,
    out_dir: Path | None = None,
    carry_over: bool = False,
) -> list[Path]:
    """Write one template per unit; returns the paths written, in roster order.

    `carry_over`: pre-fill each unit's template from its last accepted return
    (`pipeline.templates.carry`), the carried cells marked."""
    round_ = config.round(round_id)
    form = load_form(config.campaign.form_version)
    units = template_units(config, unit_id)
    out = (
        Path(out_dir) if out_dir is not None else config.paths.reports_round(round_id) / "templates"
    )
    out.mkdir(parents=True, exist_ok=True)
    carried = carried_over(config, round_id) if carry_over else {}
    written: list[Path] = []
    for unit in units:
        filename = template_filename(unit.unit_name, round_id, unit.unit_id)
        wb = build_workbook(
            form, config.campaign, round_, unit, filename, carry=carried.get(unit.unit_id)
        )
        target = out / filename
        with atomic_path(target, prefix=".tmp-", suffix=".xlsx") as tmp:
            wb.save(tmp)
        written.append(target)
    return written


__all__ = [
    "LIST_SHEET",
    "TemplateUnit",
    "UnknownUnitError",
    "build_workbook",
    "template_filename",
    "template_units",
    "write_templates",
]
