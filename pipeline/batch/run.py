"""`scorecard run`: ingest → score → report for one round, safe to schedule.

Under the round's lock: clean up after any killed run, fingerprint the inputs,
skip when nothing changed, otherwise build the processed tables and the reports
in hidden temporary folders and swap both into place at the end. A failed or
killed run publishes nothing, so the previous good outputs stay as they were.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.batch.children import (
    RunTerminated,
    end_children,
    end_leftovers,
    run_token,
    terminate_as_exception,
)
from pipeline.batch.faults import RunFault, fault_from_exception, preflight
from pipeline.batch.fingerprint import (
    Fingerprint,
    changed_files,
    changed_parts,
    compute_fingerprint,
    file_sha256,
    input_changes,
)
from pipeline.batch.lock import RoundLockedError, round_lock
from pipeline.batch.logs import run_logging
from pipeline.batch.manifest import (
    append_run_record,
    count_outputs,
    has_error_findings,
    manifest_path,
    read_json,
    versions,
    write_json,
)
from pipeline.batch.measure import StageMeter, max_rss_mb
from pipeline.batch.outcome import RunOutcome
from pipeline.batch.publish import (
    CARRY_OVER,
    complete_publication,
    discard,
    journal_path,
    publish_all,
    recover,
    retarget,
    staging_dir,
)
from pipeline.config import Config
from pipeline.ingest.intake import receipt_path

log = logging.getLogger(__name__)

STAGE_NAMES: tuple[str, ...] = ("ingest", "score", "report")
STAGE_LABELS: dict[str, str] = {
    "setup": "准备",
    "ingest": "读取报表（ingest）",
    "score": "评分（score）",
    "report": "生成报告（report）",
}
StageFn = Callable[..., Any]


class StageError(Exception):
    """A stage raised or reported failures; `stage` names it."""

    def __init__(self, stage: str, message: str):
        self.stage = stage
        super().__init__(message)


@dataclass
class RoundPaths:
    """A round's folders, resolved once per run: published, staged (set once created) and the previous round's."""

    round_id: str
    raw: Path
    processed: Path
    reports: Path
    journal: Path
    previous: Path | None  # the previous round's published tables, None when there are none
    staged_processed: Path | None = None
    staged_reports: Path | None = None

    @classmethod
    def of(cls, config: Config, round_id: str) -> RoundPaths:
        prev = config.previous_round(round_id)
        previous = config.paths.processed_round(prev.id) if prev else None
        if previous is not None and not previous.is_dir():
            log.info("上一轮 %s 还没有发布的数据表，本轮不做对比", prev.id if prev else "-")
            previous = None
        return cls(
            round_id,
            config.paths.raw_round(round_id),
            config.paths.processed_round(round_id),
            config.paths.reports_round(round_id),
            journal_path(config.paths.processed, round_id),
            previous,
        )

    def stage(self) -> None:
        """Create the hidden build folders beside the published ones."""
        self.staged_processed = staging_dir(self.processed)
        self.staged_reports = staging_dir(self.reports)

    def renames(self) -> dict[Path, Path]:
        """Staged folder -> published folder."""
        return {self.staged_processed: self.processed, self.staged_reports: self.reports}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def resolve_stages(stages: Mapping[str, StageFn] | None) -> dict[str, StageFn]:
    """The real stage functions, with any injected replacements (tests)."""
    stages = dict(stages or {})
    unknown = set(stages) - set(STAGE_NAMES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; known: {STAGE_NAMES}")
    if "ingest" not in stages:
        from pipeline.ingest import ingest_round

        stages["ingest"] = ingest_round
    if "score" not in stages:
        from pipeline.score import score_round

        stages["score"] = score_round
    if "report" not in stages:
        from pipeline.report import build_reports

        stages["report"] = build_reports
    return stages


def _table_hashes(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(Path(folder).glob("*.parquet"))}


def _report_files(folder: Path) -> int:
    """Files in a reports folder, not counting the manifest and carried-over entries."""
    folder = Path(folder)
    n = 0
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if p.is_file() and rel[0] not in CARRY_OVER and rel != ("manifest.json",):
            n += 1
    return n


def outputs_intact(manifest: dict[str, Any], processed: Path, reports: Path) -> bool:
    """The published outputs are the ones the manifest describes."""
    out = manifest.get("outputs") or {}
    tables = out.get("processed_tables")
    if not tables or _table_hashes(processed) != tables:
        return False
    index = out.get("index")
    if index and not (reports / index).is_file():
        return False
    return _report_files(reports) == out.get("report_files")


def _summary(result: Any, renames: Mapping[Path, Path]) -> str:
    """A stage's own summary, with temporary build paths shown as their published paths."""
    fn = getattr(result, "summary", None)
    text = str(fn()) if callable(fn) else ""
    for staged, target in renames.items():
        text = text.replace(str(staged), str(target))
    return text


def _published_index(result: Any, staged: Path, target: Path) -> Path | None:
    index = getattr(result, "index", None)
    if index is not None:
        try:
            return target / Path(index).resolve().relative_to(staged.resolve())
        except ValueError:
            return Path(index)
    return target / "index.html" if (staged / "index.html").is_file() else None


def run_round(
    config: Config,
    round_id: str,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    wait: bool = False,
    stages: Mapping[str, StageFn] | None = None,
) -> RunOutcome:
    """Ingest, score and report one round; publish atomically; never interleave runs.

    `stages` replaces stage functions by name ("ingest", "score", "report") with
    callables of the same signature (for tests). Exit codes: see RunOutcome.
    """
    config.round(round_id)  # UnknownRoundError before anything is touched
    scheduler = scheduler or config.batch.scheduler or None
    started = _now()
    try:
        preflight(config, scheduler)
    except RunFault as fault:
        return _fault_outcome(config, round_id, fault, started)
    run_token()  # every child of this run carries it (children.py)
    stale: dict = {}
    try:
        with (
            terminate_as_exception(),
            round_lock(config.paths.processed, round_id, wait=wait, stale=stale),
            run_logging(config.paths.reports, round_id, started) as log_path,
        ):
            if stale:
                _killed_run(config, round_id, stale)
            return _run_locked(config, round_id, jobs, scheduler, force, stages, started, log_path)
    except RoundLockedError as exc:
        log.warning("%s", exc)
        return RunOutcome(round_id=round_id, status="locked", message=str(exc))


def _killed_run(config: Config, round_id: str, holder: dict) -> None:
    """A run killed without cleaning up (SIGKILL, power loss): end what it left running, record it."""
    ended = end_leftovers(holder)
    message = (
        f"轮次 {round_id}：上次运行（进程 {holder.get('pid', '?')}，开始于 {holder.get('started', '?')}）"
        f"被强行终止，未发布结果；本次运行已结束它遗留的 {ended} 个进程。"
    )
    log.warning("%s", message)
    _record(
        config,
        RunOutcome(
            round_id=round_id,
            status="interrupted",
            message=message,
            started=holder.get("started"),
            finished=_iso(_now()),
            error="killed",
        ),
    )


def _fault_outcome(config: Config, round_id: str, fault: RunFault, started: datetime) -> RunOutcome:
    """A run that cannot start: the Chinese cause and fix, recorded where the disk allows."""
    outcome = RunOutcome(
        round_id=round_id,
        status="failed",
        started=_iso(started),
        failed_stage="setup",
        error=fault.kind,
        message=f"轮次 {round_id}：未运行，上次的结果保持不变。{fault.message}",
    )
    log.error("%s", outcome.message)
    return _finish(config, outcome, time.perf_counter())


def _record(config: Config, outcome: RunOutcome) -> None:
    """Append the run record; a disk that refuses it costs a warning, never the run's outcome."""
    try:
        append_run_record(config.paths.processed, outcome.round_id, outcome.record())
    except OSError as exc:
        fault = fault_from_exception(exc, config.paths.processed)
        log.warning(
            "运行记录未能写入（status 将显示更早的运行）：%s", fault.message if fault else exc
        )


def _finish(config: Config, outcome: RunOutcome, t0: float) -> RunOutcome:
    outcome.finished = _iso(_now())
    outcome.seconds = time.perf_counter() - t0
    _record(config, outcome)
    log.info("轮次 %s 结束: %s（退出码 %d）", outcome.round_id, outcome.status, outcome.exit_code)
    return outcome


def _run_locked(
    config: Config,
    round_id: str,
    jobs: int | None,
    scheduler: str | None,
    force: bool,
    stages: Mapping[str, StageFn] | None,
    started: datetime,
    log_path: Path,
) -> RunOutcome:
    t0 = time.perf_counter()
    paths = RoundPaths.of(config, round_id)
    processed, reports, journal = paths.processed, paths.reports, paths.journal
    outcome = RunOutcome(
        round_id=round_id, status="ok", message="", started=_iso(started), log=log_path
    )
    log.info("开始运行轮次 %s（日志 %s）", round_id, log_path)
    for note in complete_publication(journal) + recover(processed) + recover(reports):
        log.warning("%s", note)

    with StageMeter() as meter:
        fp = compute_fingerprint(config, round_id)
    outcome.fingerprint = fp.digest
    outcome.timings["fingerprint"] = meter.to_dict()

    published = read_json(manifest_path(reports))
    published_fp = (published or {}).get("fingerprint") or {}
    if (
        not force
        and published_fp.get("digest") == fp.digest
        and outputs_intact(published, processed, reports)
    ):
        when = (published or {}).get("finished", "?")
        outcome.status = "skipped"
        outcome.message = (
            f"轮次 {round_id}：输入文件、名册、配置和程序自上次运行（完成于 {when}）以来都没有变化，"
            f"沿用已发布的结果，未重新计算（指纹 {fp.short}）。如需重算，请加 --force。"
        )
        outcome.manifest = manifest_path(reports)
        index = (published.get("outputs") or {}).get("index")
        outcome.index = reports / index if index else None
        log.info("%s", outcome.message)
        return _finish(config, outcome, t0)

    old_files = ((published or {}).get("inputs") or {}).get("files")
    if published_fp:  # an overwritten return's earlier hash stays in the run history
        outcome.input_changes = input_changes(old_files, fp)
    if force:
        log.info("--force: 不论输入是否变化都重新计算")
    else:
        log.info("需要重新计算，变化的部分: %s", ", ".join(changed_parts(published_fp, fp)) or "-")
        diff = changed_files(old_files, fp)
        if published_fp and any(diff.values()):
            log.info(
                "报表文件: 新增 %d，修改 %d，删除 %d",
                len(diff["added"]),
                len(diff["changed"]),
                len(diff["removed"]),
            )
    try:
        stage_fns = resolve_stages(stages)
        paths.stage()
        staged_processed, staged_reports = paths.staged_processed, paths.staged_reports
    except Exception as exc:
        return _failed(config, outcome, t0, "setup", exc)
    try:
        results = _run_stages(config, round_id, jobs, scheduler, stage_fns, paths, outcome, force)
        outcome.counts = count_outputs(staged_processed)
        reused = getattr(results["ingest"], "files_reused", None)
        if reused is not None:
            outcome.counts["files_reused"] = int(reused)
        findings = bool(getattr(results["ingest"], "has_errors", False)) or has_error_findings(
            outcome.counts
        )
        outcome.status = "findings" if findings else "ok"
        outcome.index = _published_index(results["report"], staged_reports, reports)
        outcome.manifest = manifest_path(reports)
        finished = _now()
        manifest = _manifest(
            config,
            round_id,
            fp,
            outcome,
            started,
            finished,
            paths,
            jobs,
            scheduler,
        )
        retarget(
            staged_reports, {staged.name: target.name for staged, target in paths.renames().items()}
        )
        write_json(manifest_path(staged_reports), manifest)
        with StageMeter() as meter:
            publish_all([(staged_processed, processed), (staged_reports, reports)], journal)
        outcome.timings["publish"] = meter.to_dict()
    except BaseException as exc:
        for note in complete_publication(journal):  # stopped past the commit point: finish
            log.warning("%s", note)
        if not isinstance(
            exc, Exception
        ):  # SIGTERM, Ctrl-C, SystemExit: end the children, record, stop
            ended = end_children()
            if ended:
                log.warning("已结束本次运行的 %d 个子进程（工作进程、notebook 内核）", ended)
        discard(staged_processed)
        discard(staged_reports)
        if not isinstance(exc, Exception):
            outcome.status = "interrupted"
            how = "收到终止信号（SIGTERM）" if isinstance(exc, RunTerminated) else "被中断"
            outcome.message = f"轮次 {round_id}：运行{how}，未发布任何结果，上次的结果保持不变。"
            _finish(config, outcome, t0)
            raise
        return _failed(config, outcome, t0, getattr(exc, "stage", None), exc)
    n_rejected = outcome.counts.get("files_by_status", {}).get("rejected", 0)
    n_errors = outcome.counts.get("findings_by_severity", {}).get("error", 0)
    if outcome.status == "findings":
        outcome.message = (
            f"轮次 {round_id}：运行完成，已发布新结果；但有 {n_rejected} 份报表被拒收、"
            f"{n_errors} 条错误级问题，请查看填报差错清单和反馈表（退出码 3）。"
        )
    else:
        outcome.message = f"轮次 {round_id}：运行完成，已发布新结果。"
    return _finish(config, outcome, t0)


def _failed(
    config: Config, outcome: RunOutcome, t0: float, stage: str | None, exc: BaseException
) -> RunOutcome:
    fault = fault_from_exception(exc)
    if fault is None:
        log.error("轮次 %s 在 %s 阶段失败: %s", outcome.round_id, stage or "?", exc, exc_info=exc)
    outcome.status = "failed"
    outcome.failed_stage = stage
    outcome.error = f"{type(exc).__name__}: {exc}"
    cause = fault.message if fault else f"{exc}。"
    outcome.message = (
        f"轮次 {outcome.round_id}：运行失败，{STAGE_LABELS.get(stage or '', '发布')}一步出错：{cause}"
        "未发布任何结果，上次的结果保持不变。"
    )
    if fault is not None:  # a known fault: the message says it all, no traceback
        log.error("%s", outcome.message)
    return _finish(config, outcome, t0)


def _run_stages(
    config: Config,
    round_id: str,
    jobs: int | None,
    scheduler: str | None,
    fns: Mapping[str, StageFn],
    paths: RoundPaths,
    outcome: RunOutcome,
    force: bool = False,
) -> dict[str, Any]:
    from pipeline.executors import is_broken, open_executor
    from pipeline.survey.run import score_with_survey

    staged_processed, staged_reports, previous_dir = (
        paths.staged_processed,
        paths.staged_reports,
        paths.previous,
    )
    n_jobs = jobs if jobs is not None else (config.ingest.jobs or None)
    progress = sys.stderr.isatty()
    results: dict[str, Any] = {}
    renames = paths.renames()
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

        calls: dict[str, Callable[[], Any]] = {
            "ingest": lambda: fns["ingest"](
                config,
                round_id,
                jobs=n_jobs,
                out_dir=staged_processed,
                feedback_dir=staged_reports / "feedback",
                executor=executor,
                progress=progress,
                reuse=not force,
            ),
            "score": lambda: score_with_survey(  # residents' survey first, then the scores
                fns["score"],
                config,
                round_id,
                processed_dir=staged_processed,
                previous_dir=previous_dir,
            ),
            "report": lambda: fns["report"](
                config,
                round_id,
                processed_dir=staged_processed,
                out_dir=staged_reports,
                jobs=n_jobs,
                executor=report_executor(),
                reuse=not force,  # --force: every unit card drawn anew (card cache refreshed)
            ),
        }
        for name in STAGE_NAMES:
            log.info("开始 %s", name)
            try:
                with StageMeter() as meter:
                    result = calls[name]()
            except Exception as exc:
                raise StageError(name, f"{type(exc).__name__}: {exc}") from exc
            outcome.timings[name] = meter.to_dict()
            results[name] = result
            outcome.stage_summaries[name] = _summary(result, renames)
            log.info(
                "%s 完成，用时 %.1f 秒，内存峰值 %.0f MB", name, meter.seconds, meter.peak_rss_mb
            )
            failures = getattr(result, "failures", None) if name == "report" else None
            if failures:
                raise StageError(name, f"{len(failures)} 个报告生成失败: {_brief(failures)}")
    return results


def _brief(items: Any, n: int = 3) -> str:
    items = list(items)
    head = "；".join(str(i) for i in items[:n])
    return head + (f"；等共 {len(items)} 个" if len(items) > n else "")


def _manifest(
    config: Config,
    round_id: str,
    fp: Fingerprint,
    outcome: RunOutcome,
    started: datetime,
    finished: datetime,
    paths: RoundPaths,
    jobs: int | None,
    scheduler: str | None,
) -> dict[str, Any]:
    index = outcome.index
    reports, staged_processed, staged_reports = (
        paths.reports,
        paths.staged_processed,
        paths.staged_reports,
    )
    return {
        "round": round_id,
        "outcome": outcome.status,
        "exit_code": outcome.exit_code,
        "started": _iso(started),
        "finished": _iso(finished),
        "seconds": round((finished - started).total_seconds(), 3),
        "fingerprint": fp.to_dict(),
        "inputs": {
            "raw_dir": str(paths.raw),
            "files": fp.files_list(),
            "roster": {"path": str(config.paths.roster), "sha256": fp.parts["roster"]},
            # the analyst's settled matches and the receipt log of this round (intake.py)
            "overrides": dict(config.intake.overrides.get(round_id, {})),
            "receipts": {"path": str(p), "sha256": fp.parts.get("receipts")}
            if (p := receipt_path(config, round_id))
            else None,
        },
        "config_file": str(config.source) if config.source else None,
        "config": config.model_dump(mode="json"),
        "versions": versions(),
        "execution": {"jobs": jobs, "scheduler": scheduler},
        "counts": outcome.counts,
        "timings": outcome.timings,
        "peak_rss_mb": max_rss_mb(),
        "outputs": {
            "processed_tables": _table_hashes(staged_processed),
            "report_files": _report_files(staged_reports),
            "index": index.relative_to(reports).as_posix()
            if index and index.is_relative_to(reports)
            else None,
        },
        "stage_summaries": outcome.stage_summaries,
    }
