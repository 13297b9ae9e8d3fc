"""Run the benchmarks and write docs/benchmarks.md.

    python -m benchmarks            # every bench_*.py module, full sizes
    python -m benchmarks --quick    # small sizes only (a few minutes)
    python -m benchmarks --only e2e --only ingest   # some modules; keep the others' sections

Each module's section is kept between `<!-- bench:NAME -->` markers with the
command, commit and date that produced it, so `--only` refreshes some sections and
leaves the rest as they were.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import benchmarks

REPO = benchmarks.REPO
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"
DEFAULT_WORK = REPO / "benchmarks" / "_work"
SECTION = re.compile(
    r"<!-- bench:(?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->", re.S
)


def discover() -> list[str]:
    """Names of the bench_* modules, e.g. ['e2e', 'ingest', ...]."""
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _git() -> str:
    try:
        rev = benchmarks.git("rev-parse", "--short", "HEAD").decode().strip()
        # the Markdown this runner writes does not make the measured code "uncommitted"
        dirty = benchmarks.git(
            "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md"
        ).strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "-"


def machine_facts() -> str:
    import psutil

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ", ".join(
        f"{n} {_version(n)}"
        for n in (
            "pandas",
            "numpy",
            "pyarrow",
            "python-calamine",
            "openpyxl",
            "papermill",
            "distributed",
        )
    )
    rows = [
        ("CPU", f"{_cpu_model()}, {cores} usable cores"),
        ("Memory", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Libraries", libs),
        ("Commit", _git()),
    ]
    return "\n".join(["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)])


def run_one(name: str, work: Path, quick: bool) -> tuple[str | None, str | None, float]:
    """(section, error, seconds): the module's Markdown, or the traceback if it raised."""
    module = importlib.import_module(f"benchmarks.bench_{name}")
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    try:
        return module.run(folder, quick=quick).rstrip() + "\n", None, time.perf_counter() - t0
    except Exception:
        return None, traceback.format_exc(), time.perf_counter() - t0


def render(sections: dict[str, str], command: str, when: str) -> str:
    head = [
        "# Benchmarks",
        "",
        "Written by `python -m benchmarks` (see `benchmarks/`); do not edit by hand.",
        f"Last command: `{command}` at {when}. Each section says which command, commit",
        "and date produced it. The machine is noisy: seconds move by ±30 % between runs,",
        "ratios measured within one run hold better.",
        "",
        "## Machine",
        "",
        machine_facts(),
        "",
    ]
    body = [
        f"<!-- bench:{name} -->\n{text}<!-- /bench:{name} -->\n" for name, text in sections.items()
    ]
    return "\n".join(head) + "\n" + "\n".join(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument(
        "--only", action="append", default=[], help="run only this module (repeatable)"
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    # the BENCH_* settings (e.g. BENCH_E2E_SIZES) belong to the command that made the figures
    settings = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")]
    command = " ".join([*settings, "python -m benchmarks", *argv]).strip()

    names = discover()
    unknown = set(args.only) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; known: {names}")
    selected = args.only or names

    existing: dict[str, str] = {}
    if args.out.exists():
        existing = {
            m["name"]: m["body"] for m in SECTION.finditer(args.out.read_text(encoding="utf-8"))
        }
    sections = {n: existing[n] for n in names if n in existing and n not in selected}
    failed = []
    commit = _git()  # the code every section of this run measured
    for name in selected:
        print(f"[benchmarks] {name} …", file=sys.stderr, flush=True)
        body, error, seconds = run_one(name, args.work, args.quick)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        if body is not None:
            sections[name] = (
                body + f"\n_Produced by `{command}` at commit {commit} on {when}"
                f" (took {seconds:.0f} s)._\n"
            )
        elif name in existing:  # keep the last good figures, say that a refresh failed
            last = error.strip().splitlines()[-1] if error else "?"
            sections[name] = (
                existing[name].rstrip()
                + f"\n\n_A later run (`{command}` at commit {commit}, {when}) failed ({last});"
                " the figures above are older._\n"
            )
        else:
            sections[name] = f"## {name}\n\n**This benchmark failed:**\n\n```\n{error}```\n"
        if error:
            failed.append(name)
            print(error, file=sys.stderr)
        print(f"[benchmarks] {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
    ordered = {n: sections[n] for n in names if n in sections}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        render(ordered, command, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")), encoding="utf-8"
    )
    print(f"[benchmarks] wrote {args.out}", file=sys.stderr)
    if failed:
        print(f"[benchmarks] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
