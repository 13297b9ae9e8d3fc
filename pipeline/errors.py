"""One base for the pipeline's own exceptions and the exit code each stands for.

Every exception the pipeline raises for a situation the user can fix (a bad
config, an unknown round, a roster that cannot be used, a run fault, a locked
round …) inherits `ScorecardError`: `exit_code` is what the CLI returns and
`cli_message()` what it prints (in Chinese). The CLI maps them in one place.
This module imports nothing from the package, so every module can use it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3
EXIT_LOCKED = 4

TRACEBACK_LOGGER = "scorecard.tracebacks"
"""Tracebacks (e.g. of a failed report notebook) go to this logger: into the run log file only
(batch/logs.run_logging attaches it there); it does not propagate, so the terminal never shows
them."""


class ScorecardError(Exception):
    """A pipeline error the user can act on; `exit_code` is the CLI's exit code for it."""

    exit_code: int = EXIT_FAILED

    def cli_message(self) -> str:
        """What the CLI prints on stderr (no traceback)."""
        return f"错误: {self.args[0] if self.args else self}"
