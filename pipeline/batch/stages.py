"""The three stages of `scorecard run` and the one result every stage returns.

`run_stages` runs ingest, score (with the residents' survey) and report into a
run's hidden build folders, on one shared executor. Each stage returns a
`StageResult`: its Chinese summary, the counts it adds to the run record,
whether its inputs had errors (exit code 3), the parts it could not make (the
run fails) and the page a reader opens first. `IngestResult`, `ScoreResult` and
`ReportResult` implement it (`ScoreWithSurvey`, the score stage's result with
the survey's summary, passes its score result's members through); `run.py`
reads results only through it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipeline.batch.measure import StageMeter
from pipeline.batch.outcome import RunOutcome
from pipeline.batch.paths import StagedRound
from pipeline.config import Config

log = logging.getLogger(__name__)

STAGE_NAMES: tuple[str, ...] = ("ingest", "score", "report")
STAGE_LABELS: dict[str, str] = {
    "setup": "准备",
    "ingest": "读取报表（ingest）",
    "score": "评分（score）",
    "report": "生成报告（report）",
}
FAILED_PARTS: dict[str, str] = {
    "ingest": "个文件读取失败",
    "score": "项评分失败",
    "report": "个报告生成失败",
}
StageFn = Callable[..., "StageResult | None"]


@runtime_checkable
class StageResult(Protocol):
    """What a stage tells `scorecard run` (fields or properties of its result)."""

    @property
    def has_errors(self) -> bool:
        """Rejected files or error-level findings: the run publishes and exits 3."""
        ...

    @property
    def failures(self) -> Sequence[object]:
        """Parts the stage could not make: the run fails and publishes nothing."""
        ...

    @property
    def counts(self) -> Mapping[str, int]:
        """Numbers the run record and the manifest keep under `counts` (ingest: files_reused)."""
        ...

    @property
    def index(self) -> Path | None:
        """The page a reader opens first, when the stage made one (report: index.html)."""
        ...

    def summary(self) -> str:
        """A few Chinese lines for the run's summary."""
        ...


@dataclass(frozen=True)
class NoResult:
    """The result of a stage function that returns None (a stand-in that only writes files)."""

    has_errors: bool = False
    failures: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    index: Path | None = None

    def summary(self) -> str:
        return ""


class StageError(Exception):
    """A stage raised or reported failures; `stage` names it."""

    def __init__(self, stage: str, message: str):
        self.stage = stage
        super().__init__(message)


@dataclass(frozen=True)
class RunSettings:
    """How a run was asked to run: worker count, Dask scheduler, --force."""

    jobs: int | None = None
    scheduler: str | None = None
    force: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The manifest's `execution`."""
        return {"jobs": self.jobs, "scheduler": self.scheduler}


def as_stage_result(name: str, result: object) -> StageResult:
    """A stage's return value as a StageResult; TypeError for anything else."""
    if result is None:
        return NoResult()
    if not isinstance(result, StageResult):
        raise TypeError(f"stage {name} returned {type(result).__name__}, not a StageResult")
    return result


def resolve_stages(stages: Mapping[str, StageFn] | None) -> dict[str, StageFn]:
    """The real stage functions, with any injected replacements (tests).

    Imported from their modules (not the lazy packages) so that mypy checks the
    real results against StageResult."""
    fns = dict(stages or {})
    unknown = set(fns) - set(STAGE_NAMES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; known: {STAGE_NAMES}")
    if "ingest" not in fns:
        from pipeline.ingest.run import ingest_round

        fns["ingest"] = ingest_round
    if "score" not in fns:
        from pipeline.score.run import score_round

        fns["score"] = score_round
    if "report" not in fns:
        from pipeline.report.build import build_reports

        fns["report"] = build_reports
    return fns


def published_summary(result: StageResult, renames: Mapping[Path, Path]) -> str:
    """A stage's own summary, with temporary build paths shown as their published paths."""
    text = result.summary()
    for staged, target in renames.items():
        text = text.replace(str(staged), str(target))
    return text


def published_index(result: StageResult, staged: StagedRound) -> Path | None:
    """Where the report stage's first page will be once published."""
    target = staged.paths.reports
    if result.index is not None:
        try:
            return target / Path(result.index).resolve().relative_to(staged.reports.resolve())
        except ValueError:
            return Path(result.index)
    return target / "index.html" if (staged.reports / "index.html").is_file() else None


def brief(items: Iterable[object], n: int = 3) -> str:
    items = list(items)
    head = "；".join(str(i) for i in items[:n])
    return head + (f"；等共 {len(items)} 个" if len(items) > n else "")


def run_stages(
    config: Config,
    staged: StagedRound,
    settings: RunSettings,
    fns: Mapping[str, StageFn],
    outcome: RunOutcome,
) -> dict[str, StageResult]:
    """Ingest, score, report into the build folders; timings and summaries go to `outcome`."""
    from pipeline.executors import is_broken, open_executor
    from pipeline.survey.run import score_with_survey

    round_id, previous_dir = staged.paths.round_id, staged.paths.previous
    n_jobs = settings.jobs if settings.jobs is not None else (config.ingest.jobs or None)
    scheduler = settings.scheduler
    progress = sys.stderr.isatty()
    results: dict[str, StageResult] = {}
    where = f"Dask 集群 {scheduler}" if scheduler else "本机"
    log.info("并行执行: %s", where)
    with ExitStack() as stack:
        try:
            executor = stack.enter_context(open_executor(n_jobs, scheduler))
        except Exception as exc:  # a scheduler that went away after preflight, no processes left
            raise StageError("setup", f"{type(exc).__name__}: {exc}") from exc
        pools = {"executor": executor}

        def report_executor() -> Any:
            """The shared pool, or a fresh one when a worker died in it (a broken pool
            refuses every later task: one bad file must not fail the report stage)."""
            if is_broken(pools["executor"]):
                log.warning("读取报表时有工作进程异常退出，生成报告改用新的进程池")
                pools["executor"] = stack.enter_context(open_executor(n_jobs, scheduler))
            return pools["executor"]

        calls: dict[str, Callable[[], StageResult | None]] = {
            "ingest": lambda: fns["ingest"](
                config,
                round_id,
                jobs=n_jobs,
                out_dir=staged.processed,
                feedback_dir=staged.reports / "feedback",
                executor=executor,
                progress=progress,
                reuse=not settings.force,
            ),
            "score": lambda: score_with_survey(  # residents' survey first, then the scores
                lambda *a, **k: as_stage_result("score", fns["score"](*a, **k)),
                config,
                round_id,
                processed_dir=staged.processed,
                previous_dir=previous_dir,
                reuse=not settings.force,
            ),
            "report": lambda: fns["report"](
                config,
                round_id,
                processed_dir=staged.processed,
                out_dir=staged.reports,
                jobs=n_jobs,
                executor=report_executor(),
                reuse=not settings.force,  # --force draws every card and workbook anew
            ),
        }
        for name in STAGE_NAMES:
            results[name] = _run_stage(name, calls[name], staged, outcome)
    return results


def _run_stage(
    name: str, call: Callable[[], object], staged: StagedRound, outcome: RunOutcome
) -> StageResult:
    log.info("开始 %s", name)
    try:
        with StageMeter() as meter:
            result = as_stage_result(name, call())
    except Exception as exc:
        raise StageError(name, f"{type(exc).__name__}: {exc}") from exc
    outcome.timings[name] = meter.to_dict()
    outcome.stage_summaries[name] = published_summary(result, staged.renames())
    log.info("%s 完成，用时 %.1f 秒，内存峰值 %.0f MB", name, meter.seconds, meter.peak_rss_mb)
    if result.failures:
        failures = result.failures
        raise StageError(name, f"{len(failures)} {FAILED_PARTS[name]}: {brief(failures)}")
    return result
