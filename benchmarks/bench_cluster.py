"""Cluster: the report stage on a Dask cluster against the local process pool.

Builds a demo district (`generate_demo`, both rounds ingested and scored; the
last round's ingest and score are timed for the sizing below), then times
`build_reports` for the last round, as the report stage of `scorecard run`
calls it: with (a) the local process pool of 2 (`open_executor(2)`) and (b) the
executor of a client of a `distributed.LocalCluster` of 2 worker processes, one
thread each (`open_executor(scheduler=ADDRESS)`, the `--scheduler` path). The
cluster is started once, as a standing cluster would be; each executor is
opened and warmed (every worker has imported the report runner) before its
report stage is timed, as the batch run's ingest stage leaves it. The runs
alternate a, b, b, a so that drift in the machine's load falls on both paths
(--quick, which only checks that the benchmark works, runs a, b).

Sizing: one more cluster run at a tenth of the size (a quarter with --quick)
puts a straight line through each figure (worker-seconds of the unit-card
batches and of the page notebooks, seconds in the calling process, ingest and
score), so fixed costs stay fixed when `sizing` extrapolates to 20,000 units;
`workers_needed` then finds the fewest workers for ≤ 10 minutes.
2,000 units; 100 with --quick (BENCH_CLUSTER_UNITS overrides both).
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 20260719
WORKERS = 2
TOLERANCE = 0.10  # target: the cluster's report stage within 10 % of the process pool's
TARGET_UNITS = 20_000
BUDGET_SECONDS = 600.0  # the target run: 20,000 units in at most 10 minutes
MAX_WORKERS = 2_000
ORDER = ("pool", "cluster", "cluster", "pool")


def _units(quick: bool) -> int:
    env = os.environ.get("BENCH_CLUSTER_UNITS")
    return int(env) if env else (100 if quick else 2000)


def _warm(i: int) -> int:
    """A task that leaves its worker as the report stage finds it after ingestion."""
    import papermill  # type: ignore[import-untyped]  # noqa: F401

    import pipeline.report.runner  # noqa: F401

    time.sleep(0.3)  # long enough that the next task goes to another worker
    return os.getpid()


def _district(work: Path, n_units: int) -> tuple[Any, dict[str, float]]:
    """The demo district, both rounds ingested and scored; the last round's stage seconds."""
    from pipeline.config import load_config
    from pipeline.demo import generate_demo
    from pipeline.ingest import ingest_round
    from pipeline.score import score_round

    folder = work / f"district-{n_units}"
    shutil.rmtree(folder, ignore_errors=True)
    generate_demo(config=None, out_dir=folder, seed=SEED, n_units=n_units)
    config = load_config(folder / "scorecard.toml")
    stages: dict[str, float] = {}
    for r in config.rounds_in_order():
        t0 = time.perf_counter()
        ingest_round(config, r.id, jobs=WORKERS, progress=False)
        stages["ingest"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        score_round(config, r.id)
        stages["score"] = time.perf_counter() - t0
    return config, stages


@dataclass
class Figures:
    """One timed report stage."""

    path: str  # "pool" or "cluster"
    seconds: float  # build_reports, wall
    notebooks: float  # its notebook phase, wall
    cards: int
    card_batches: int
    card_work: float  # worker-seconds in unit-card batches
    page_work: float  # worker-seconds in district and type notebooks
    longest_page: float
    failures: int
    load: float  # 1-minute load average before the run
    summary_xlsx: float  # the rest runs in the calling process, not on the workers
    notice_feedback: float  # 通报 .docx and every scored unit's feedback workbook
    area_pages: float
    briefing: float

    @property
    def in_process(self) -> float:
        """Seconds in the calling process around the notebook phase (opening the round,
        copying kept cards, index.html): nothing else runs meanwhile."""
        return self.seconds - self.notebooks

    @property
    def index_and_rest(self) -> float:
        return self.in_process

    @property
    def overlapped(self) -> float:
        """The pages the calling process writes while the notebooks run on the workers."""
        return self.summary_xlsx + self.notice_feedback + self.area_pages + self.briefing


def _time_report(config: Any, round_id: str, executor: Any, out: Path, path: str) -> Figures:
    from pipeline.report import build_reports

    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    # reuse=False: every card drawn, as in a first run (kept cards would time the cache)
    result = build_reports(
        config, round_id, out_dir=out, jobs=WORKERS, executor=executor, reuse=False
    )
    seconds = time.perf_counter() - t0
    batches = {k: v for k, v in result.timings.items() if k.startswith("unit-cards-")}
    pages = {k: v for k, v in result.timings.items() if k == "district" or k.startswith("type-")}
    shutil.rmtree(out, ignore_errors=True)  # 2,000 units: about 250 MB a run
    return Figures(
        path=path,
        seconds=seconds,
        notebooks=result.timings.get("notebooks", 0.0),
        cards=result.unit_pages,
        card_batches=len(batches),
        card_work=sum(batches.values()),
        page_work=sum(pages.values()),
        longest_page=max(pages.values(), default=0.0),
        failures=len(result.failures),
        load=load,
        summary_xlsx=result.timings.get("summary_xlsx", 0.0),
        notice_feedback=result.timings.get("notice_docx_feedback", 0.0),
        area_pages=result.timings.get("area_pages", 0.0),
        briefing=result.timings.get("briefing", 0.0),
    )


@contextmanager
def _warmed(opener: Callable[[], AbstractContextManager[Any]]) -> Iterator[tuple[Any, float]]:
    """(executor, seconds to open it and warm every worker)."""
    t0 = time.perf_counter()
    with opener() as ex:
        pids = {f.result() for f in [ex.submit(_warm, i) for i in range(WORKERS * 2)]}
        if len(pids) < WORKERS:  # a worker was still starting: give it a task of its own
            pids |= {f.result() for f in [ex.submit(_warm, i) for i in range(WORKERS * 4)]}
        yield ex, time.perf_counter() - t0


def _local_cluster() -> Any:
    import logging
    import warnings

    import distributed

    with warnings.catch_warnings():  # the scheduler's HTTP port, taken by another cluster
        warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
        return distributed.LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,  # not the nanny's "still alive, killing" at close
        )


def measure(config: Any, round_id: str, work: Path, order: tuple[str, ...]) -> dict[str, Any]:
    from pipeline.executors import open_executor

    t0 = time.perf_counter()
    cluster = _local_cluster()
    cluster_start = time.perf_counter() - t0
    openers: dict[str, Callable[[], AbstractContextManager[Any]]] = {
        "pool": lambda: open_executor(WORKERS),
        "cluster": lambda: open_executor(WORKERS, scheduler=cluster.scheduler_address),
    }
    runs: list[Figures] = []
    opening: dict[str, list[float]] = {"pool": [], "cluster": []}
    try:
        for i, path in enumerate(order):
            with _warmed(openers[path]) as (ex, opened):
                opening[path].append(opened)
                runs.append(_time_report(config, round_id, ex, work / f"reports-{i}", path))
    finally:
        cluster.close()
    return {"runs": runs, "opening": opening, "cluster_start": cluster_start}


def batches_for(units: int, workers: int) -> int:
    """How many unit-card batches `build_reports` makes (its own rule, `--jobs` = workers)."""
    from pipeline.report.build import _batches

    ids: Any = range(units)  # _batches only takes len() and slices: a range will do
    return len(_batches(ids, workers))


def run_wall(
    units: int,
    workers: int,
    *,
    card_work: float,
    page_work: float,
    longest_page: float,
    serial: float,
    overlapped: float = 0.0,
) -> float:
    """Seconds for a run of `units` cards on `workers`, from that size's figures.

    `card_work`: worker-seconds of all the unit-card batches (their kernel starts and
    round loading included); `page_work` / `longest_page`: worker-seconds of all the
    district and type notebooks and of the longest one; `serial`: seconds in the calling
    process (ingest and score counted whole, as if they did not spread over the workers);
    `overlapped`: seconds of the pages the calling process writes while the notebooks run.
    The card batches are whole tasks: `workers` finish them in ceil(batches / workers)
    rounds, and the page notebooks fill in.
    """
    batches = batches_for(units, workers)
    batch = card_work / batches
    spread = (card_work + page_work) / workers
    return serial + max(math.ceil(batches / workers) * batch, spread, longest_page, overlapped)


def workers_needed(units: int, budget: float = BUDGET_SECONDS, **figures: float) -> int | None:
    """The fewest workers for which `run_wall` ≤ budget (None: no number of workers)."""
    for w in range(1, MAX_WORKERS + 1):
        if run_wall(units, w, **figures) <= budget:
            return w
    return None


def extrapolate(small: tuple[float, float], big: tuple[float, float], n: float) -> float:
    """The straight line through (units, value) at two sizes, at `n` units: fixed costs
    (kernel starts, imports) stay fixed, the rest grows with units. Never falling (a
    noisy smaller size must not make a bigger run cheaper than the measured one)."""
    (n0, v0), (n1, v1) = small, big
    slope = max(0.0, (v1 - v0) / (n1 - n0))
    return max(v1 + slope * (n - n1), v1)


def _mean(runs: list[Figures], path: str, attr: str) -> float:
    return statistics.fmean(getattr(r, attr) for r in runs if r.path == path)


OVERLAPPED = {  # written by the calling process while the notebooks run
    "notice_feedback": "通报 and feedback workbooks",
    "summary_xlsx": "summary.xlsx",
    "area_pages": "area pages",
    "briefing": "briefing",
}
CALLER = {  # the parts of the report stage in the calling process
    **OVERLAPPED,
    "index_and_rest": "opening the round, kept cards, index.html",
}
STAGES = {"ingest": "ingest", "score": "score"}
SIZED = ("card_work", "page_work", "longest_page", *CALLER)


def sizing(sizes: dict[int, dict[str, float]], units: int = TARGET_UNITS) -> dict[str, Any]:
    """The figures of a `units`-unit run on the line through two measured sizes; the
    fewest workers for ≤ BUDGET_SECONDS. `sizes`: units → cluster figures (SIZED, `cards`,
    `ingest`, `score`)."""
    (n0, small), (n1, big) = sorted(sizes.items())

    def at(key: str) -> float:
        return extrapolate((n0, small[key]), (n1, big[key]), units)

    serial = {key: at(key) for key in ("index_and_rest", *STAGES)}
    overlapped = {key: at(key) for key in OVERLAPPED}
    figures = {
        "card_work": at("card_work"),
        "page_work": at("page_work"),
        "longest_page": at("longest_page"),
        "serial": sum(serial.values()),
        "overlapped": sum(overlapped.values()),
    }
    cards = round(big["cards"] * units / n1)  # one per unit expected to report
    need = workers_needed(cards, **figures)
    return {
        "figures": figures,
        "serial": serial,
        "overlapped": overlapped,
        "cards": cards,
        "workers": need,
    }


def cluster_figures(runs: list[Figures], stages: dict[str, float]) -> dict[str, float]:
    out = {key: _mean(runs, "cluster", key) for key in (*SIZED, "cards")}
    return out | {"ingest": stages["ingest"], "score": stages["score"]}


def render(
    n_units: int,
    round_id: str,
    m: dict[str, Any],
    stages: dict[str, float],
    small: tuple[int, dict[str, float]],
) -> str:
    runs: list[Figures] = m["runs"]
    order = tuple(r.path for r in runs)
    pool, cluster = _mean(runs, "pool", "seconds"), _mean(runs, "cluster", "seconds")
    ratio = cluster / pool
    met = ratio <= 1 + TOLERANCE
    rows = [
        ("run", "path", "report stage s", "notebook phase s", "cards", "failures", "load before")
    ]
    for i, r in enumerate(runs, start=1):
        rows.append(
            (
                str(i),
                "process pool" if r.path == "pool" else "Dask LocalCluster",
                f"{r.seconds:.1f}",
                f"{r.notebooks:.1f}",
                f"{r.cards:,}",
                str(r.failures),
                f"{r.load:.1f}",
            )
        )
    table = "\n".join(
        [
            "| " + " | ".join(rows[0]) + " |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
            *("| " + " | ".join(r) + " |" for r in rows[1:]),
        ]
    )
    big = cluster_figures(runs, stages)
    s = sizing({small[0]: small[1], n_units: big})
    f = s["figures"]
    per_card = f["card_work"] / max(1, s["cards"])
    parts = sorted(s["serial"].items(), key=lambda kv: -kv[1])
    serial_text = ", ".join(f"{({**CALLER, **STAGES})[k]} {v:,.0f} s" for k, v in parts)
    if s["workers"] is None:
        answer = (
            f"no number of workers brings a {TARGET_UNITS:,}-unit run under "
            f"{BUDGET_SECONDS / 60:.0f} minutes: the calling process alone needs "
            f"{f['serial']:,.0f} s"
        )
    else:
        w = s["workers"]
        wall, now = run_wall(s["cards"], w, **f), run_wall(s["cards"], WORKERS, **f)
        answer = (
            f"a {TARGET_UNITS:,}-unit run needs **{w} workers** (one process with one thread "
            f"on one core of this machine each) for ≤ {BUDGET_SECONDS / 60:.0f} minutes "
            f"(about {wall / 60:.1f} minutes with {w}, {now / 60:.0f} with {WORKERS})"
        )
        if batches_for(s["cards"], w) > batches_for(s["cards"], WORKERS):
            answer += f"; pass `--jobs {w}` so that the cards come in enough batches"
    opening = m["opening"]
    return "\n".join(
        [
            "## Cluster: the report stage on Dask against the process pool",
            "",
            f"`build_reports` on a {n_units:,}-unit demo district (round {round_id}) with "
            f"{WORKERS} workers either way: the local process pool (`open_executor({WORKERS})`) "
            f"and a client of a `distributed.LocalCluster` of {WORKERS} worker processes with "
            "one thread each (`open_executor(scheduler=ADDRESS)`, what `--scheduler` uses), "
            "on this machine. Each executor is opened and warmed before the stage is timed; "
            f"the paths alternate ({', '.join('ab'[p == 'cluster'] for p in order)}) in one run.",
            "",
            table,
            "",
            "| measure | process pool | Dask cluster |",
            "| --- | ---: | ---: |",
            f"| report stage, mean s | {pool:.1f} | {cluster:.1f} |",
            f"| notebook phase, mean s | {_mean(runs, 'pool', 'notebooks'):.1f} | "
            f"{_mean(runs, 'cluster', 'notebooks'):.1f} |",
            "| in the calling process outside the notebook phase, mean s | "
            f"{_mean(runs, 'pool', 'in_process'):.1f} | "
            f"{_mean(runs, 'cluster', 'in_process'):.1f} |",
            "| in the calling process while the notebooks run, mean s | "
            f"{_mean(runs, 'pool', 'overlapped'):.1f} | "
            f"{_mean(runs, 'cluster', 'overlapped'):.1f} |",
            *(
                f"| — {label} | {_mean(runs, 'pool', key):.1f} | {big[key]:.1f} |"
                for key, label in CALLER.items()
            ),
            "| per unit card, worker-seconds (batch seconds / cards) | "
            f"{_mean(runs, 'pool', 'card_work') / max(1, _mean(runs, 'pool', 'cards')):.3f} | "
            f"{big['card_work'] / max(1, big['cards']):.3f} |",
            "| open the executor and warm its workers, s | "
            f"{statistics.fmean(opening['pool']):.1f} | "
            f"{statistics.fmean(opening['cluster']):.1f} |",
            "| start the cluster (once; a standing cluster is already up), s | - | "
            f"{m['cluster_start']:.1f} |",
            "",
            f"Cluster / process pool: **{ratio:.2f}** (target: within {TOLERANCE:.0%}, "
            f"**{'met' if met else 'not met'}**).",
            "",
            "<!-- sizing -->",
            f"Sizing: on the straight line through the cluster's figures at {small[0]:,} and "
            f"{n_units:,} units (fixed costs stay fixed, the rest grows with units), "
            f"{TARGET_UNITS:,} units make {s['cards']:,} unit cards of "
            f"{per_card:.3f} worker-seconds each, {f['page_work']:,.0f} worker-seconds of "
            f"district and type notebooks, {f['overlapped']:,.0f} s of pages the process that "
            "runs the command writes while the notebooks run, and "
            f"{f['serial']:,.0f} s in that process besides ({serial_text}; ingest counted "
            f"there whole, though it spreads over the workers too); so {answer}. "
            "The end-to-end section measures how a whole 20,000-unit run actually grows; "
            "where it grows faster than linearly, add that.",
        ]
    )


def _small(work: Path, n_units: int) -> tuple[int, dict[str, float]]:
    """The cluster's figures at a tenth of the size (a quarter with --quick): one run."""
    from pipeline.executors import open_executor

    n = max(min(20, n_units // 2), n_units // (10 if n_units >= 1000 else 4))
    config, stages = _district(work, n)
    round_id = config.rounds_in_order()[-1].id
    with _local_cluster() as cluster:
        opener = lambda: open_executor(WORKERS, scheduler=cluster.scheduler_address)  # noqa: E731
        with _warmed(opener) as (ex, _):
            fig = _time_report(config, round_id, ex, work / f"reports-{n}", "cluster")
    shutil.rmtree(work / f"district-{n}", ignore_errors=True)
    return n, cluster_figures([fig], stages)


def run(work: Path, quick: bool = False) -> str:
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    n_units = _units(quick)
    config, stages = _district(work, n_units)
    round_id = config.rounds_in_order()[-1].id
    # --quick checks that the benchmark works (CI); the full run's a, b, b, a cancels drift
    m = measure(config, round_id, work, ("pool", "cluster") if quick else ORDER)
    small = _small(work, n_units)
    return render(n_units, round_id, m, stages, small) + "\n"


if __name__ == "__main__":
    import sys

    print(
        run(
            Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-cluster"),
            quick="--quick" in sys.argv,
        )
    )
