"""The district as a random model (roster + every round), and its clean tables.

`build_world` is the one place that draws random numbers for the content;
each part gets its own stream from the seed so that, for one seed and size,
the roster, the planted truth and each round's content are always the same
whether the files are written or only the tables are wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.demo import model
from pipeline.demo.columns import Coded
from pipeline.demo.delivery import on_time_flag
from pipeline.demo.district import build_roster
from pipeline.demo.settings import default_config
from pipeline.demo.themes import themes
from pipeline.form import load_form

DEFAULT_SEED = 20260719


@dataclass(frozen=True)
class World:
    config: Config
    roster: pd.DataFrame
    rounds: dict[str, model.RoundModel]
    seed: int


def build_world(
    n_units: int,
    seed: int,
    config: Config | None,
    round_ids: list[str] | None = None,
    only_submitted: bool = False,
) -> World:
    config = config or default_config(Path.cwd())
    form = load_form(config.campaign.form_version)
    ordered = config.rounds_in_order()
    streams = [
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3 + len(ordered))
    ]
    roster = build_roster(n_units, streams[0])
    truth = model.plant_weaknesses(roster, len(ordered), streams[1])
    round_themes = themes(roster, truth, config.scoring.slogans, streams[2])
    rounds: dict[str, model.RoundModel] = {}
    wanted = [r.id for r in ordered] if round_ids is None else list(round_ids)
    last = max(i for i, r in enumerate(ordered) if r.id in wanted)
    previous = None
    for i, rnd in enumerate(ordered[: last + 1]):  # earlier rounds hand their state on
        previous = model.simulate_round(
            roster,
            truth[i],
            rnd,
            round_themes[i],
            form,
            config.campaign.start,
            streams[3 + i],
            only_submitted=only_submitted,
            previous=previous,
            materialise=rnd.id in wanted,
        )
        if rnd.id in wanted:
            rounds[rnd.id] = previous
    return World(config, roster, rounds, seed)


def clean_file_name(unit_name: pd.Series, round_id: str) -> pd.Series:
    return (unit_name.astype("string") + f"_{round_id}.xlsx").astype("string")


def generate_tables(
    n_units: int,
    seed: int = DEFAULT_SEED,
    config: Config | None = None,
    round_id: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The clean tables of one round (default: the first) straight from the model.

    Tables in the processed schema of docs/data-dictionary.md: `units`, `info`,
    `actions`, `materials`, `activities`, `evaluation`, plus `labels` (the
    planted truth per unit). Only units whose return would be accepted have rows.
    """
    config = config or default_config(Path.cwd())
    rid = round_id or config.rounds_in_order()[0].id
    config.round(rid)  # unknown ids raise with the known ones
    world = build_world(n_units, seed, config, [rid], only_submitted=True)
    rm = world.rounds[rid]
    form = load_form(config.campaign.form_version)
    roster = world.roster
    d = rm.delivery
    submitted = d["submitted"].to_numpy(bool)
    files = clean_file_name(roster["unit_name"], rid)
    units = roster.copy()
    units["submitted"] = submitted
    units["file"] = files.where(submitted, pd.NA)
    units["report_date"] = d["report_date"].where(submitted).astype("datetime64[ms]")
    units["received_at"] = d["received_at"].where(submitted)
    on_time = on_time_flag(d["received_at"], rm.round).astype("boolean")
    # pandas-stubs wants a bool for `other`; NA is what a `boolean` column holds for missing
    units["on_time"] = on_time.where(submitted, pd.NA)  # type: ignore[call-overload]
    reporting = np.where(
        ~roster["expected"].to_numpy(bool),
        "not_expected",
        np.where(
            ~submitted, "missing", np.where(on_time.fillna(False).to_numpy(bool), "on_time", "late")
        ),
    )
    units["reporting"] = pd.array(reporting, dtype="string")
    out: dict[str, pd.DataFrame] = {"units": units}
    for table, df in rm.tables.items():
        sheet = form.sheet(table)
        u = df["_u"].to_numpy()
        if sheet.kind == "keyvalue" or not len(u):
            row = np.full(len(u), 2)
        else:
            starts = np.r_[0, np.flatnonzero(np.diff(u)) + 1]
            row = np.arange(len(u)) - np.repeat(starts, np.diff(np.r_[starts, len(u)])) + 2
        cols = {
            "unit_id": df["unit_id"],
            "file": Coded(u, files).to_array(),
            "sheet": Coded(np.zeros(len(u), dtype=np.int64), (sheet.name,)).to_array(),
            "row": pd.array(row, dtype="Int64"),
        }
        cols.update({c: df[c] for c in df.columns if c not in ("unit_id", "_u")})
        out[table] = pd.DataFrame(cols)
    labels = rm.labels.copy()
    labels["submits"] = d["fate"].to_numpy() != "missing"
    labels.loc[~labels["expected"], "submits"] = False
    labels["accepted_file"] = units["file"]
    labels["unit_id"] = labels["unit_id"].astype("string")
    labels["unit_type"] = labels["unit_type"].astype("string")
    out["labels"] = labels
    return out
