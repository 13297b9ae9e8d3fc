"""A round's folders for one batch run, resolved once.

`RoundPaths.of` names everything a run reads and writes: the raw returns, the
published tables and reports, the publication journal, the receipt log and the
previous round's published tables. The fingerprint, the stages, the manifest
and the publication all take this one object, so no module works a path out
again (and none can disagree with another about it). `StagedRound` adds the
hidden build folders of one run (made by `publish.stage_round`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.ingest.intake import receipt_path

log = logging.getLogger(__name__)

CARRY_OVER: tuple[str, ...] = ("templates",)
"""Entries of a published folder that a run does not make and must keep
(`scorecard template` writes `reports/<round>/templates/`)."""


def journal_path(processed_root: Path, round_id: str) -> Path:
    """The publication journal of a round (`data/processed/.<round>.publishing.json`)."""
    return Path(processed_root) / f".{round_id}.publishing.json"


@dataclass(frozen=True)
class RoundPaths:
    """A round's published folders and what its outputs depend on, resolved once per run."""

    round_id: str
    raw: Path
    processed: Path
    reports: Path
    journal: Path
    previous: Path | None  # the previous round's published tables; None when there are none
    receipts: Path | None  # the round's receipt log (intake.py); None when there is none

    @classmethod
    def of(cls, config: Config, round_id: str) -> RoundPaths:
        prev = config.previous_round(round_id)
        previous = config.paths.processed_round(prev.id) if prev else None
        if prev is not None and previous is not None and not previous.is_dir():
            log.info("上一轮 %s 还没有发布的数据表，本轮不做对比", prev.id)
            previous = None
        return cls(
            round_id=round_id,
            raw=config.paths.raw_round(round_id),
            processed=config.paths.processed_round(round_id),
            reports=config.paths.reports_round(round_id),
            journal=journal_path(config.paths.processed, round_id),
            previous=previous,
            receipts=receipt_path(config, round_id),
        )


@dataclass(frozen=True)
class StagedRound:
    """One run's hidden build folders, siblings of the published ones they replace."""

    paths: RoundPaths
    processed: Path
    reports: Path

    def renames(self) -> dict[Path, Path]:
        """Staged folder -> published folder, tables first (the order they are published in)."""
        return {self.processed: self.paths.processed, self.reports: self.paths.reports}

    def names(self) -> dict[str, str]:
        """Staged folder name -> published folder name (what `publish.retarget` rewrites)."""
        return {staged.name: target.name for staged, target in self.renames().items()}
