"""Unattended batch runs: `scorecard run` and `scorecard status`.

- `lock`: one run per round at a time (file lock; a second run waits or exits 4).
- `paths`: `RoundPaths`, a round's folders and its previous round, resolved once per run.
- `publish`: build in hidden temporary folders, swap into place at the end.
- `fingerprint`: content hashes of inputs, roster, config, form and code.
- `stages`: ingest, score, report, and `StageResult`, the one result every stage returns.
- `manifest`: `reports/<round>/manifest.json` and the run record.
- `logs`, `measure`: a log file per run; time and peak memory per stage.
- `run`: `run_round`, the steps in order; `status`: `round_status`.
"""

from pipeline.batch.outcome import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_LOCKED,
    EXIT_OK,
    RunOutcome,
)
from pipeline.batch.run import run_round
from pipeline.batch.status import RoundStatus, round_status

__all__ = [
    "EXIT_FAILED",
    "EXIT_FINDINGS",
    "EXIT_LOCKED",
    "EXIT_OK",
    "RoundStatus",
    "RunOutcome",
    "round_status",
    "run_round",
]
