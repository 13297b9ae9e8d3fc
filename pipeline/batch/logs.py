"""Run logs: a file per run (outside the swapped folders) plus stderr.

`reports/.logs/<round>-<UTC timestamp>.log` holds every `pipeline.*` log line of
the run. When the caller has not configured logging (library use), the run
also logs to stderr; the CLI configures stderr itself.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipeline.errors import TRACEBACK_LOGGER

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
KEEP_LOGS = 60


def log_dir(reports_root: Path) -> Path:
    return Path(reports_root) / ".logs"


def _prune(folder: Path, round_id: str, keep: int) -> None:
    logs = sorted(folder.glob(f"{round_id}-*.log"))
    for old in logs[:-keep] if keep else []:
        old.unlink(missing_ok=True)


@contextmanager
def run_logging(reports_root: Path, round_id: str, started: datetime) -> Iterator[Path]:
    """Send `pipeline.*` logs to a new file for this run (and to stderr if nothing else does)."""
    folder = log_dir(reports_root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{round_id}-{started.strftime('%Y%m%dT%H%M%S%fZ')}.log"
    logger = logging.getLogger("pipeline")
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler.setLevel(logging.INFO)
    added: list[logging.Handler] = [file_handler]
    if not logging.getLogger().handlers and not logger.handlers:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter(FORMAT))
        err.setLevel(logging.INFO)
        added.append(err)
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    for h in added:
        logger.addHandler(h)
    tracebacks = logging.getLogger(TRACEBACK_LOGGER)
    tracebacks.propagate = False
    tracebacks.setLevel(logging.INFO)
    tracebacks.addHandler(file_handler)
    try:
        yield path
    finally:
        tracebacks.removeHandler(file_handler)
        for h in added:
            logger.removeHandler(h)
            h.close()
        logger.setLevel(old_level)
        _prune(folder, round_id, KEEP_LOGS)
