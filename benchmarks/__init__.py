"""Benchmarks: `python -m benchmarks [--quick]` runs every `bench_*.py` module.

Each module exposes `run(work: pathlib.Path, quick: bool = False) -> str`: it
measures in the scratch folder `work` and returns a Markdown section. The
runner writes them all to `docs/benchmarks.md` with the command, the date and
the machine. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git(*args: str) -> bytes:
    """Run git in the repository; its standard output (CalledProcessError on failure)."""
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=True).stdout
