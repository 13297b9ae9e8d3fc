"""Templates pre-filled from each unit's last accepted return (沿用上轮已采用报表的内容).

`carried_over(config, round_id)` looks back through the rounds before
`round_id` (latest first) and, for each unit, takes from the first round that
holds its accepted return: the theme (基本情况), the required actions already
done (status, date, evidence) and the materials (基础资料). Contact names and
phone numbers are never carried over. The template marks every carried cell
(light green) and says so on its 填报说明 sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.config import Config
from pipeline.form import load_form
from pipeline.tables import read_table, table_path

KEYVALUE_KEYS: tuple[str, ...] = ("theme", "theme_note")
ACTION_KEYS: tuple[str, ...] = ("status", "done_date", "evidence")
MATERIAL_KEYS: tuple[str, ...] = (
    "category",
    "copies",
    "standard",
    "filed",
    "updated",
    "tied_to_work",
    "note",
)


@dataclass
class Carry:
    """What one unit's template takes over from its last accepted return."""

    round_id: str
    round_name: str
    values: dict[str, object] = field(default_factory=dict)  # key-value sheet keys
    actions: dict[str, dict[str, object]] = field(default_factory=dict)  # action name → keys
    materials: list[dict[str, object]] = field(default_factory=list)


def _plain(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _read(folder, name: str) -> pd.DataFrame:
    return read_table(folder, name) if table_path(folder, name).is_file() else pd.DataFrame()


def carried_over(config: Config, round_id: str) -> dict[str, Carry]:
    """unit_id → Carry from the unit's latest earlier round with an accepted return."""
    target = config.round(round_id)
    earlier = [r for r in config.rounds_in_order() if r.as_of < target.as_of]
    out: dict[str, Carry] = {}
    for r in reversed(earlier):
        folder = config.paths.processed_round(r.id)
        info = _read(folder, "info")
        if info.empty or "unit_id" not in info:
            continue
        actions = _read(folder, "actions")
        materials = _read(folder, "materials")
        for uid in info["unit_id"].dropna().astype(str).unique():
            if uid in out:
                continue
            c = Carry(r.id, r.name)
            row = info[info["unit_id"] == uid].iloc[0]
            c.values = {
                k: _plain(row[k])
                for k in KEYVALUE_KEYS
                if k in row and _plain(row[k]) not in (None, "")
            }
            if not actions.empty and "action" in actions:
                mine = actions[
                    (actions["unit_id"] == uid)
                    & (
                        actions.get("status")
                        == load_form(config.campaign.form_version).action_states.done
                    )
                ]
                for a in mine.itertuples(index=False):
                    c.actions[str(a.action)] = {k: _plain(getattr(a, k, None)) for k in ACTION_KEYS}
            if not materials.empty and "unit_id" in materials:
                for m in materials[materials["unit_id"] == uid].itertuples(index=False):
                    c.materials.append({k: _plain(getattr(m, k, None)) for k in MATERIAL_KEYS})
            out[uid] = c
    return out


def yes_no(v: object, yes: str, no: str) -> object:
    """A yes/no value as the form's word (processed tables hold booleans)."""
    if isinstance(v, bool):
        return yes if v else no
    return v
