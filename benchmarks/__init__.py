"""Benchmarks: `python -m benchmarks [--quick]` runs every `bench_*.py` module.

Each module exposes `run(work: pathlib.Path, quick: bool = False) -> str`: it
measures in the scratch folder `work` and returns a Markdown section. The
runner writes them all to `docs/benchmarks.md` with the command, the date and
the machine. Speed is measured here, never asserted in tests.
"""
