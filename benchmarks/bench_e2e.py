"""End to end: `scorecard run` on the demo district at growing sizes.

For each size: generate the demo district (`scorecard demo --units N`, not
timed as part of the run), run the first round with `scorecard run` in a fresh
process (wall time, as a scheduler sees it), read the per-stage timings and
peak memory from the run manifest, then run again with nothing changed and
time that too. Growth per stage is the log-log slope between sizes
(1 = linear). Sizes: 200 with --quick; 200 and 2,000 otherwise. 20,000 units
(20,000 workbooks to generate, read, and one HTML page each) is opt-in:
BENCH_E2E_SIZES=200,2000,20000.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from benchmarks import git

SEED = 20260719
STAGES = ("fingerprint", "ingest", "score", "report", "publish")
SNAPSHOT = ("pipeline", "notebooks", "scorecard.toml")  # what a run's code is


def sizes(quick: bool) -> list[int]:
    env = os.environ.get("BENCH_E2E_SIZES")
    if env:
        return [int(s) for s in env.split(",") if s.strip()]
    return [200] if quick else [200, 2000]


def snapshot_code(work: Path) -> tuple[Path, str]:
    """The committed package, notebooks and `scorecard.toml` (`git archive HEAD`),
    frozen: the working tree may be mid-edit, and edits made while the benchmark
    runs would both mix versions and change the run's fingerprint. The demo
    writes the checkout's `scorecard.toml` (`pipeline/demo/settings.py`), so the
    snapshot carries it too."""
    dest = Path(work) / "code"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    rev = git("rev-parse", "--short", "HEAD").decode().strip()
    archive = git("archive", "--format=tar", "HEAD", *SNAPSHOT)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest, rev


def _scorecard(
    code: Path, *args: str, timeout: float = 3 * 3600
) -> tuple[float, subprocess.CompletedProcess]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]),
    }
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return time.perf_counter() - t0, proc


def measure(work: Path, n: int, code: Path) -> dict:
    folder = work / f"demo-{n}"
    load_before = os.getloadavg()[0]
    gen_s, proc = _scorecard(
        code, "demo", "--units", str(n), "--seed", str(SEED), "--out", str(folder)
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scorecard demo failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    from pipeline.batch.manifest import last_run
    from pipeline.config import load_config

    cfg_path = folder / "scorecard.toml"
    config = load_config(cfg_path)
    round_id = config.rounds_in_order()[0].id
    files = sum(1 for p in config.paths.raw_round(round_id).rglob("*") if p.is_file())

    first_s, proc = _scorecard(code, "--config", str(cfg_path), "run", "--round", round_id)
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"scorecard run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    first = last_run(config.paths.processed, round_id)
    rerun_s, proc2 = _scorecard(code, "--config", str(cfg_path), "run", "--round", round_id)
    skipped = "没有变化" in proc2.stdout
    return {
        "units": n,
        "files": files,
        "round": round_id,
        "generate_s": gen_s,
        "first_s": first_s,
        "exit_code": proc.returncode,
        "rerun_s": rerun_s,
        "rerun_skipped": skipped,
        "load": (load_before, os.getloadavg()[0]),
        "timings": first.get("timings", {}),
        "counts": first.get("counts", {}),
    }


def _fmt(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:,.{nd}f}"


def _stage(r: dict, stage: str, key: str) -> float | None:
    return (r["timings"].get(stage) or {}).get(key)


def render(results: list[dict], note: str = "", rev: str = "") -> str:
    lines = [
        "## End to end: `scorecard run` on the demo district",
        "",
        "First round of a generated demo district (`scorecard demo --units N`): one",
        "`scorecard run --round ROUND` in a fresh process with default workers (all",
        "cores), then the same command again with nothing changed. Stage seconds and",
        "peak memory (resident memory of the run's process plus its worker",
        "processes, sampled every 0.1 s) come from the run record",
        "(`data/processed/.runs/<round>.json`, the same figures as the manifest);",
        '"run" is the wall time of the whole command including Python start-up. The',
        f"code is `pipeline/`, `notebooks/` and `scorecard.toml` as committed at {rev or 'HEAD'},",
        "copied when the benchmark starts (the run's fingerprint covers the code).",
        "",
        "| units | files | ingest s | score s | report s | run s | rerun s | rerun / run "
        "| demo generation s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        frac = r["rerun_s"] / r["first_s"] if r["first_s"] else None
        lines.append(
            f"| {r['units']:,} | {r['files']:,} | {_fmt(_stage(r, 'ingest', 'seconds'))} | "
            f"{_fmt(_stage(r, 'score', 'seconds'))} | {_fmt(_stage(r, 'report', 'seconds'))} | "
            f"{_fmt(r['first_s'])} | {_fmt(r['rerun_s'])}"
            f"{'' if r['rerun_skipped'] else ' (did work!)'} | "
            f"{_fmt(frac * 100 if frac is not None else None)} % | {_fmt(r['generate_s'])} |"
        )
    lines += [
        "",
        "Peak memory per stage (MB, the run's process plus workers):",
        "",
        "| units | " + " | ".join(STAGES) + " |",
        "| ---: |" + " ---: |" * len(STAGES),
    ]
    for r in results:
        lines.append(
            f"| {r['units']:,} | "
            + " | ".join(_fmt(_stage(r, s, "peak_rss_mb"), 0) for s in STAGES)
            + " |"
        )
    if len(results) >= 2:
        lines += [
            "",
            "Growth with units: exponent b in time ∝ units^b between consecutive sizes",
            "(1 = linear; below 1 means fixed costs such as kernel and process start-up",
            "still dominate at the smaller size).",
            "",
            "| sizes | " + " | ".join((*STAGES[1:4], "run")) + " |",
            "| --- |" + " ---: |" * 4,
        ]
        for a, b in itertools.pairwise(results):
            ratio = math.log(b["units"] / a["units"])
            cells = []
            for s in STAGES[1:4]:
                ta, tb = _stage(a, s, "seconds"), _stage(b, s, "seconds")
                cells.append(_fmt(math.log(tb / ta) / ratio, 2) if ta and tb else "-")
            cells.append(_fmt(math.log(b["first_s"] / a["first_s"]) / ratio, 2))
            lines.append(f"| {a['units']:,} → {b['units']:,} | " + " | ".join(cells) + " |")
    loads = ", ".join(
        f"{r['units']:,} units {r['load'][0]:.1f} → {r['load'][1]:.1f}"
        for r in results
        if "load" in r
    )
    lines += [
        "",
        "1-minute load average before → after each size (2 cores; other work on the "
        f"machine inflates times): {loads}.",
    ]
    counts = [
        f"{r['units']:,} units: files {r['counts'].get('files_by_status', {})}, "
        f"exit code {r['exit_code']}"
        for r in results
    ]
    lines += ["", "Outcome: " + "; ".join(counts) + "."]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def run(work: Path, quick: bool = False) -> str:
    code, rev = snapshot_code(Path(work))
    results = [measure(Path(work), n, code) for n in sizes(quick)]
    note = ""
    if 20000 not in sizes(quick):
        big = results[-1]
        k = 20000 / big["units"]
        est = {st: (_stage(big, st, "seconds") or 0) * k for st in ("ingest", "score", "report")}
        note = (
            "20,000 units was not measured: generating 20,000 workbooks alone takes about "
            f"{big['generate_s'] * k / 60:.0f} minutes here, and the report stage renders one page "
            "per unit. Scaling the largest measured size linearly (likely pessimistic: the growth "
            f"exponents above are below 1) gives about {est['ingest']:,.0f} s of ingestion, "
            f"{est['score']:,.0f} s of scoring and {est['report'] / 60:,.0f} minutes of reports on "
            "this 2-core machine; that is the point where rendering on a Dask cluster pays "
            '(README, "Running on a cluster"). Run it with BENCH_E2E_SIZES=200,2000,20000.'
        )
    return render(results, note, rev)
