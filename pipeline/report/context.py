"""What a notebook or a page needs: the configuration, the round and its tables.

`open_round(config_path, round_id, processed_dir)` is the one call a notebook
makes to load its data. Empty strings mean defaults: the configuration is the
nearest `scorecard.toml` found walking up from the working folder (the
notebook's folder in JupyterLab), the round is the latest one that has scored
tables, the processed folder is the configured one. A `.json` config path is
a configuration snapshot written by `build_reports` (so a report run uses
exactly the configuration it was given).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import (
    DEFAULT_CONFIG_NAME,
    Config,
    ConfigError,
    ConfigProblem,
    Round,
    load_config,
)
from pipeline.report.provisional import Provisional, assess, mask_ranks
from pipeline.tables import (
    ACT_TABLES,
    INGEST_TABLES,
    SCORE_TABLES,
    SURVEY_TABLES,
    read_table,
    table_path,
)


class Tables(MutableMapping[str, pd.DataFrame]):
    """A round's processed tables, each read from its parquet file when first used.

    A kernel that draws unit cards or one type's page reads a few of the round's
    thirty tables; reading all of them cost about 1 GB per kernel at 20,000 units.
    `copy()` shares what was read (a narrowed copy never reads a file twice);
    `watched()` is a copy that notes which tables were looked at (`read`), for the
    card cache's check that a page read nothing outside its key."""

    def __init__(
        self,
        folder: Path,
        names: Iterable[str] = (),
        _disk: dict[str, pd.DataFrame] | None = None,
        _own: dict[str, pd.DataFrame] | None = None,
        _gone: set[str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.names = [n for n in dict.fromkeys(names)]
        self._disk = {} if _disk is None else _disk  # read from files: shared by copies
        self._own = dict(_own or {})  # set in this mapping (a copy has its own)
        self._gone = set(_gone or ())
        self.read: set[str] = set()
        self._watching = False

    @classmethod
    def on_disk(cls, folder: Path, names: Iterable[str]) -> Tables:
        """The named tables that exist in `folder`, none read yet."""
        return cls(folder, [n for n in names if table_path(folder, n).is_file()])

    def __getitem__(self, name: str) -> pd.DataFrame:
        if self._watching:
            self.read.add(name)
        if name in self._own:
            return self._own[name]
        if name in self._gone or name not in self.names:
            raise KeyError(name)
        if name not in self._disk:
            self._disk[name] = read_table(self.folder, name)
        return self._disk[name]

    def __contains__(self, name: object) -> bool:
        if self._watching and isinstance(name, str):
            self.read.add(name)
        return name in self._own or (name in self.names and name not in self._gone)

    def __setitem__(self, name: str, df: pd.DataFrame) -> None:
        self._own[name] = df
        self._gone.discard(name)
        if name not in self.names:
            self.names.append(name)

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._own.pop(name, None)
        self._gone.add(name)

    def __iter__(self) -> Iterator[str]:
        return (n for n in self.names if n in self._own or n not in self._gone)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> Tables:
        return Tables(self.folder, self.names, self._disk, self._own, self._gone)

    def watched(self) -> Tables:
        out = self.copy()
        out._watching = True
        return out


def copy_tables(tables: MutableMapping[str, pd.DataFrame]) -> MutableMapping[str, pd.DataFrame]:
    """A shallow copy that keeps unread tables unread."""
    return tables.copy() if isinstance(tables, Tables) else dict(tables)


@dataclass
class RoundContext:
    config: Config
    round: Round
    processed_dir: Path
    tables: MutableMapping[str, pd.DataFrame] = field(default_factory=dict)
    # values computed once per batch of pages (charts also keep their reused pieces here)
    cache: dict[Any, Any] = field(default_factory=dict)
    provisional: Provisional = field(default_factory=lambda: Provisional(active=False))

    @property
    def banner(self) -> str:
        """ "临时结果：…" while the round's results are provisional, else ""."""
        return self.provisional.banner

    @property
    def previous_round(self) -> Round | None:
        return self.config.previous_round(self.round.id)

    def table(self, name: str) -> pd.DataFrame:
        """A table, or an empty frame when this round has none."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def thresholds(self) -> dict[str, float]:
        return self.config.scoring.thresholds.as_dict()


def find_config(start: Path | None = None) -> Path:
    """The nearest scorecard.toml in `start` or one of its parents."""
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        start / DEFAULT_CONFIG_NAME,
        [ConfigProblem("(file)", f"在 {start} 及其上级目录中找不到 {DEFAULT_CONFIG_NAME}")],
    )


def load_any_config(config_path: str | Path = "") -> Config:
    """Load a scorecard.toml, a JSON snapshot, or (empty) the nearest scorecard.toml."""
    if not config_path:
        return load_config(find_config())
    path = Path(config_path)
    if path.suffix == ".json":
        return Config.model_validate_json(path.read_text(encoding="utf-8"))
    return load_config(path)


def latest_scored_round(config: Config) -> Round:
    """The latest round whose processed folder holds scores (else the latest round)."""
    rounds = config.rounds_in_order()
    for r in reversed(rounds):
        if table_path(config.paths.processed_round(r.id), "scores").is_file():
            return r
    return rounds[-1]


def open_round(
    config_path: str | Path = "",
    round_id: str = "",
    processed_dir: str | Path = "",
    today: date | None = None,
) -> RoundContext:
    """Load the configuration and the processed tables of a round (each read on first use).

    Marks the round provisional (before its deadline — `today`, default today in
    Beijing — or below the configured reporting share) and blanks ranks among
    too few reported units (`pipeline.report.provisional`)."""
    config = load_any_config(config_path)
    rnd = config.round(round_id) if round_id else latest_scored_round(config)
    folder = Path(processed_dir) if processed_dir else config.paths.processed_round(rnd.id)
    tables = Tables.on_disk(folder, (*INGEST_TABLES, *SCORE_TABLES, *ACT_TABLES, *SURVEY_TABLES))
    if "scores" not in tables:
        raise FileNotFoundError(
            f"找不到 {table_path(folder, 'scores')}：请先运行 scorecard ingest 和 scorecard score"
        )
    prov = assess(config, rnd, tables.get("completeness", pd.DataFrame()), tables["scores"], today)
    tables["scores"], changes = mask_ranks(tables["scores"], tables.get("changes"), prov)
    if changes is not None:
        tables["changes"] = changes
    return RoundContext(
        config=config, round=rnd, processed_dir=folder, tables=tables, provisional=prov
    )


def pick_unit_type(ctx: RoundContext, unit_type: str = "") -> str:
    """The requested unit type, or the first one present in the scores."""
    types = ctx.table("scores")["unit_type"].dropna().unique().tolist()
    if unit_type:
        if unit_type not in types:
            raise ValueError(f"本轮没有单位类型“{unit_type}”（有: {'、'.join(map(str, types))}）")
        return unit_type
    from pipeline.charts._style import sort_types

    return sort_types(types)[0]


def pick_unit(ctx: RoundContext, unit_id: str = "") -> str:
    """The requested unit, or the lowest-ranked scored unit (the one most worth a look)."""
    s = ctx.table("scores")
    if unit_id:
        if unit_id not in set(s["unit_id"]):
            raise ValueError(f"本轮名册中没有单位编码 {unit_id}")
        return unit_id
    scored = s[s["scored"].fillna(False).astype(bool)].sort_values("rank", ascending=False)
    return str((scored if not scored.empty else s)["unit_id"].iloc[0])
