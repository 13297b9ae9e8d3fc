"""`scorecard run`: ingest → score → report for one round, safe to schedule.

Under the round's lock: clean up after any killed run, fingerprint the inputs,
skip when nothing changed, otherwise build the processed tables and the reports
in hidden temporary folders and swap both into place at the end. A failed or
killed run publishes nothing, so the previous good outputs stay as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
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
    input_changes,
)
from pipeline.batch.lock import RoundLockedError, round_lock
from pipeline.batch.logs import run_logging
from pipeline.batch.manifest import (
    append_run_record,
    build_manifest,
    count_outputs,
    has_error_findings,
    manifest_path,
    outputs_intact,
    read_json,
    write_json,
)
from pipeline.batch.measure import StageMeter
from pipeline.batch.outcome import RunOutcome
from pipeline.batch.paths import RoundPaths, StagedRound
from pipeline.batch.publish import (
    complete_publication,
    discard_round,
    publish_round,
    recover_round,
    retarget,
    stage_round,
)
from pipeline.batch.stages import (
    STAGE_LABELS,
    RunSettings,
    StageError,
    StageFn,
    StageResult,
    published_index,
    resolve_stages,
    run_stages,
)
from pipeline.config import Config

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


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
    settings = RunSettings(jobs, scheduler or config.batch.scheduler or None, force)
    started = _now()
    try:
        preflight(config, settings.scheduler)
    except RunFault as fault:
        return _fault_outcome(config, round_id, fault, started)
    run_token()  # every child of this run carries it (children.py)
    stale: dict[str, Any] = {}
    try:
        with (
            terminate_as_exception(),
            round_lock(config.paths.processed, round_id, wait=wait, stale=stale),
            run_logging(config.paths.reports, round_id, started) as log_path,
        ):
            if stale:
                _killed_run(config, round_id, stale)
            return _run_locked(config, round_id, settings, stages, started, log_path)
    except RoundLockedError as exc:
        log.warning("%s", exc)
        return RunOutcome(round_id=round_id, status="locked", message=str(exc))


def _killed_run(config: Config, round_id: str, holder: dict[str, Any]) -> None:
    """A run killed without cleaning up (SIGKILL, power loss): end what it left, record it."""
    ended = end_leftovers(holder)
    message = (
        f"轮次 {round_id}：上次运行（进程 {holder.get('pid', '?')}，"
        f"开始于 {holder.get('started', '?')}）"
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
    settings: RunSettings,
    stages: Mapping[str, StageFn] | None,
    started: datetime,
    log_path: Path,
) -> RunOutcome:
    """Under the round's lock: recover, fingerprint, skip or build, publish, record."""
    t0 = time.perf_counter()
    outcome = RunOutcome(round_id, "ok", "", started=_iso(started), log=log_path)
    log.info("开始运行轮次 %s（日志 %s）", round_id, log_path)
    paths = RoundPaths.of(config, round_id)
    for note in recover_round(paths):
        log.warning("%s", note)
    fp = _fingerprint(config, paths, outcome)
    published = _published_manifest(paths)
    if not settings.force and _unchanged(published, fp, paths):
        return _finish(config, _skipped(outcome, published, fp, paths), t0)
    _note_changes(outcome, published, fp, settings.force)
    try:
        fns = resolve_stages(stages)
        staged = stage_round(paths)
    except Exception as exc:
        return _failed(config, outcome, t0, "setup", exc)
    try:
        results = run_stages(config, staged, settings, fns, outcome)
        _tally(outcome, results, staged)
        _publish(config, fp, outcome, staged, settings, started)
    except Exception as exc:
        _abandon(staged, exc)
        stage = exc.stage if isinstance(exc, StageError) else None  # None: publishing failed
        return _failed(config, outcome, t0, stage, exc)
    except BaseException as exc:  # SIGTERM, Ctrl-C, SystemExit: end the children, record, stop
        _abandon(staged, exc)
        _finish(config, _interrupted(outcome, exc), t0)
        raise
    outcome.message = _done_message(outcome)
    return _finish(config, outcome, t0)


def _fingerprint(config: Config, paths: RoundPaths, outcome: RunOutcome) -> Fingerprint:
    with StageMeter() as meter:
        fp = compute_fingerprint(config, paths)
    outcome.fingerprint = fp.digest
    outcome.timings["fingerprint"] = meter.to_dict()
    return fp


def _published_manifest(paths: RoundPaths) -> dict[str, Any]:
    """The manifest of the round's published outputs ({} when there is none or it is unreadable)."""
    data = read_json(manifest_path(paths.reports))
    return data if isinstance(data, dict) else {}


def _unchanged(published: dict[str, Any], fp: Fingerprint, paths: RoundPaths) -> bool:
    """Same inputs as the published run, and its outputs are still the ones it published."""
    published_fp = published.get("fingerprint") or {}
    return published_fp.get("digest") == fp.digest and outputs_intact(
        published, paths.processed, paths.reports
    )


def _skipped(
    outcome: RunOutcome, published: dict[str, Any], fp: Fingerprint, paths: RoundPaths
) -> RunOutcome:
    when = published.get("finished", "?")
    outcome.status = "skipped"
    outcome.message = (
        f"轮次 {paths.round_id}：输入文件、名册、配置和程序自上次运行（完成于 {when}）"
        "以来都没有变化，"
        f"沿用已发布的结果，未重新计算（指纹 {fp.short}）。如需重算，请加 --force。"
    )
    outcome.manifest = manifest_path(paths.reports)
    index = (published.get("outputs") or {}).get("index")
    outcome.index = paths.reports / index if index else None
    log.info("%s", outcome.message)
    return outcome


def _note_changes(
    outcome: RunOutcome, published: dict[str, Any], fp: Fingerprint, force: bool
) -> None:
    """What changed since the published run: into the run record and the log."""
    published_fp = published.get("fingerprint") or {}
    old_files = (published.get("inputs") or {}).get("files")
    if published_fp:  # an overwritten return's earlier hash stays in the run history
        outcome.input_changes = input_changes(old_files, fp)
    if force:
        log.info("--force: 不论输入是否变化都重新计算")
        return
    log.info("需要重新计算，变化的部分: %s", ", ".join(changed_parts(published_fp, fp)) or "-")
    diff = changed_files(old_files, fp)
    if published_fp and any(diff.values()):
        log.info(
            "报表文件: 新增 %d，修改 %d，删除 %d",
            len(diff["added"]),
            len(diff["changed"]),
            len(diff["removed"]),
        )


def _tally(outcome: RunOutcome, results: Mapping[str, StageResult], staged: StagedRound) -> None:
    """Counts, findings status and the published index page, from the built outputs."""
    outcome.counts = count_outputs(staged.processed)
    for result in results.values():
        outcome.counts.update(result.counts)
    findings = any(r.has_errors for r in results.values()) or has_error_findings(outcome.counts)
    outcome.status = "findings" if findings else "ok"
    outcome.index = published_index(results["report"], staged)
    outcome.manifest = manifest_path(staged.paths.reports)


def _publish(
    config: Config,
    fp: Fingerprint,
    outcome: RunOutcome,
    staged: StagedRound,
    settings: RunSettings,
    started: datetime,
) -> None:
    """Write the manifest into the built reports, then swap both folders into place."""
    manifest = build_manifest(config, fp, outcome, staged, settings.to_dict(), started, _now())
    retarget(staged.reports, staged.names())
    write_json(manifest_path(staged.reports), manifest)
    with StageMeter() as meter:
        publish_round(staged)
    outcome.timings["publish"] = meter.to_dict()


def _abandon(staged: StagedRound, exc: BaseException) -> None:
    """A run stopped while building or publishing: finish a committed swap, else drop the build."""
    for note in complete_publication(staged.paths.journal):  # stopped past the commit point
        log.warning("%s", note)
    if not isinstance(exc, Exception):  # a signal: end this run's workers and kernels too
        ended = end_children()
        if ended:
            log.warning("已结束本次运行的 %d 个子进程（工作进程、notebook 内核）", ended)
    discard_round(staged)


def _interrupted(outcome: RunOutcome, exc: BaseException) -> RunOutcome:
    outcome.status = "interrupted"
    how = "收到终止信号（SIGTERM）" if isinstance(exc, RunTerminated) else "被中断"
    outcome.message = f"轮次 {outcome.round_id}：运行{how}，未发布任何结果，上次的结果保持不变。"
    return outcome


def _done_message(outcome: RunOutcome) -> str:
    if outcome.status != "findings":
        return f"轮次 {outcome.round_id}：运行完成，已发布新结果。"
    n_rejected = outcome.counts.get("files_by_status", {}).get("rejected", 0)
    n_errors = outcome.counts.get("findings_by_severity", {}).get("error", 0)
    return (
        f"轮次 {outcome.round_id}：运行完成，已发布新结果；但有 {n_rejected} 份报表被拒收、"
        f"{n_errors} 条错误级问题，请查看填报差错清单和反馈表（退出码 3）。"
    )


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
        f"轮次 {outcome.round_id}：运行失败，"
        f"{STAGE_LABELS.get(stage or '', '发布')}一步出错：{cause}"
        "未发布任何结果，上次的结果保持不变。"
    )
    if fault is not None:  # a known fault: the message says it all, no traceback
        log.error("%s", outcome.message)
    return _finish(config, outcome, t0)
