"""One round's ingestion: every file read in parallel, then decided together.

Workers run `parse_batch` (a few files → small typed results, plain Python
records rather than DataFrames); a file whose worker died is read again
alone in a fresh process (`guard.run_isolated`). This process
then ties each file to a roster unit, decides accepted / superseded /
rejected / ignored, joins the roster for completeness and timeliness, and
writes the parquet tables and the feedback workbooks. `data/raw` is only read.
"""

from __future__ import annotations

import sys
from collections import Counter
from concurrent.futures import Executor, as_completed
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, cast

import pandas as pd

from pipeline.codes import Reason, Reporting, Severity, counts_zh
from pipeline.executors import InlineExecutor, is_cold_pool, open_executor
from pipeline.form import load_form
from pipeline.hashing import file_sha256
from pipeline.ingest.feedback import FeedbackCache, write_feedback
from pipeline.ingest.feedback import cache_folder as feedback_cache_folder
from pipeline.ingest.guard import run_isolated
from pipeline.ingest.identify import filename_disagrees, filename_unit, identify
from pipeline.ingest.intake import (
    IGNORE,
    load_receipts,
    override_line,
    overrides_for,
    resolve_statuses,
)
from pipeline.ingest.listing import Link, list_round
from pipeline.ingest.parse import (
    ParsedReturn,
    parse_batch,
    parse_return,
)
from pipeline.ingest.read import Limits
from pipeline.ingest.reuse import ReadCache
from pipeline.ingest.tables import build_tables
from pipeline.names import name_finding
from pipeline.roster import build_name_index, load_roster
from pipeline.tables import write_tables

BATCH = 8  # files per worker task
SUBMISSION_FIELDS = (
    "file",
    "sha256",
    "size",
    "unit_id",
    "written_name",
    "status",
    "reason",
    "message",
    "report_date",
    "received_at",
    "received_from",
    "unit_inferred",
    "override",
    "override_hint",
    "superseded_by",
)


@dataclass
class IngestResult:
    round_id: str
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    feedback_dir: Path
    feedback_files: list[Path] = field(default_factory=list)
    files_reused: int = 0  # files not read again: their earlier read was kept (reuse.py)
    # with has_errors and summary: what `scorecard run` reads (batch/stages.StageResult)
    failures: ClassVar[tuple[str, ...]] = ()  # a file that cannot be read is a finding, not this
    index: ClassVar[Path | None] = None

    @property
    def counts(self) -> dict[str, int]:
        return {"files_reused": self.files_reused}

    @property
    def has_errors(self) -> bool:
        subs = self.tables["submissions"]
        f = self.tables["findings"]
        accepted = set(subs.loc[subs["status"] == "accepted", "file"])
        errs = f[(f["severity"] == "error") & f["file"].isin(accepted)]
        return bool((subs["status"] == "rejected").any() or len(errs))

    def summary(self) -> str:
        subs = self.tables["submissions"]
        units = self.tables["units"]
        f = self.tables["findings"]
        n = Counter(subs["status"])
        expected = units[units["expected"]]
        rep = Counter(expected["reporting"])
        reasons = Counter(subs.loc[subs["status"] == "rejected", "reason"])
        lines = [
            f"轮次 {self.round_id}：共 {len(subs)} 个文件，采用 {n['accepted']}，"
            f"被替代 {n['superseded']}，"
            f"退回 {n['rejected']}，忽略 {n['ignored']}",
        ]
        if self.files_reused:
            lines.append(
                f"  其中 {self.files_reused} 个文件自上次读取以来没有变化，沿用上次的读取结果，"
                f"重新读取 {len(subs) - self.files_reused} 个"
            )
        if reasons:
            lines.append("  退回原因：" + counts_zh(reasons, Reason))
        lines.append(
            f"应报单位 {len(expected)} 个：已报 {rep['on_time'] + rep['late']}"
            f"（按时 {rep['on_time']}，迟报 {rep['late']}），"
            + (
                f"{Reporting.UNUSABLE.label} {rep['received_unusable']}，"
                if rep["received_unusable"]
                else ""
            )
            + f"未报 {rep['missing']}"
        )
        sev = Counter(f["severity"])
        lines.append(
            f"发现问题 {len(f)} 处：{Severity.ERROR.label} {sev['error']}，"
            f"{Severity.WARNING.label} {sev['warning']}"
        )
        lines.append(f"清洁数据表：{self.out_dir}")
        lines.append(f"退回修改清单：{self.feedback_dir}（{len(self.feedback_files)} 个文件）")
        return "\n".join(lines)


def _refused_links(links: list[Link]) -> list[ParsedReturn]:
    """A link that is not read is a rejected file whose message names the link."""
    out = []
    for link in links:
        try:
            mtime = link.path.lstat().st_mtime
        except OSError:
            mtime = 0.0
        pr = ParsedReturn(link.label, 0, "", mtime)
        pr.status, pr.reason, pr.message = "rejected", link.reason, link.message
        out.append(pr)
    return out


def _failed(path: Path, label: str, exc: BaseException) -> ParsedReturn:
    """A worker that died on a file: the file is rejected, the run goes on."""
    try:
        st = path.stat()
        size, sha, mtime = st.st_size, file_sha256(path), st.st_mtime
    except OSError:
        size, sha, mtime = 0, "", 0.0
    pr = ParsedReturn(label, size, sha, mtime, transient=True)
    pr.status, pr.reason = "rejected", "unreadable"
    pr.message = (
        f"文件无法读取（读取程序出错：{type(exc).__name__}），请用 Excel 另存为 .xlsx 后重新报送"
    )
    return pr


class _NotYetRead(Exception):
    """Placeholder cause for files read in a process of their own from the start (jobs=1)."""


def _isolated(
    items: list[tuple[Path, str, BaseException]], config, round_id: str, limits: Limits, form
) -> list[ParsedReturn]:
    """Read these files again, one by one, in a fresh process with a hard time limit per file."""
    calls: list[tuple[tuple, dict]] = [
        ((path, config, round_id, limits, label, form), {}) for path, label, _ in items
    ]
    out: list[ParsedReturn] = []
    for (path, label, first), (how, value) in zip(
        items, run_isolated(parse_return, calls, limits.timeout_seconds * 2 + 30), strict=True
    ):
        if how == "ok":
            out.append(cast(ParsedReturn, value))
            continue
        if how == "nostart":  # no worker process can start here: read it in this process
            out.append(parse_return(path, config, round_id, limits, label, form))
            continue
        pr = _failed(path, label, first)
        if how == "timeout":
            pr.reason = "timeout"
            pr.message = f"读取超时（超过 {limits.timeout_seconds:g} 秒仍未完成），疑为异常文件"
        elif how == "crashed":
            pr.message = (
                f"读取该文件时读取程序异常退出（退出码 {value}），文件可能已损坏，"
                "请用 Excel 另存为 .xlsx 后重新报送"
            )
        else:
            pr.message = f"文件无法读取（{value}），请用 Excel 另存为 .xlsx 后重新报送"
        out.append(pr)
    return out


def _show_progress(progress: bool | None) -> bool:
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def parse_all(
    files,
    config,
    round_id,
    executor: Executor,
    progress: bool | None,
    cache: ReadCache | None = None,
    pool_min_files: int | None = None,
) -> tuple[list[ParsedReturn], int]:
    """Every file's read, sorted by name, and how many came from `cache` unread.

    Fewer files to read than `pool_min_files` (default `[ingest] pool_min_files`) are read as
    with jobs=1 when `executor` is a local pool whose workers have not started: their start-up
    would cost more than they gain (the break-even is in docs/benchmarks.md)."""
    from tqdm import tqdm

    form = load_form(config.campaign.form_version)
    limits = Limits.from_config(config)
    by_label = {label: path for path, label in files}
    out: list[ParsedReturn] = []
    keys: dict[str, str] = {}
    todo = list(files)
    if cache is not None:
        todo = []
        for path, label in files:
            keys[label] = cache.key(path, label)
            kept = cache.get(keys[label])
            if kept is not None and kept.file == label:
                out.append(kept)
            else:
                todo.append((path, label))
    reused = len(out)
    least = config.ingest.pool_min_files if pool_min_files is None else pool_min_files
    if is_cold_pool(executor) and len(todo) < least:
        executor = InlineExecutor()
    bar = tqdm(
        total=len(files),
        initial=reused,
        desc="读取报表",
        unit="个文件",
        disable=not _show_progress(progress),
        file=sys.stderr,
    )
    with bar:
        retry: list[tuple[str, BaseException]] = []
        if type(executor) is InlineExecutor and todo and config.ingest.contain_readers:
            # jobs=1: the reader still runs in a process of its own, so a reader that aborts
            # (a native crash, an allocation that fails) costs only its file, never this run
            _preload_workers()
            retry = [(label, _NotYetRead()) for _, label in todo]
            todo = []
        batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)]
        futures = {
            executor.submit(parse_batch, b, config, round_id, limits, form): b for b in batches
        }
        for fut in as_completed(futures):
            batch = futures[fut]
            try:
                results = fut.result()
                bar.update(len(batch))
            except BaseException as exc:  # a crashed worker must not stop the round
                if isinstance(exc, KeyboardInterrupt):
                    raise
                retry.extend((label, exc) for _, label in batch)
                continue
            out.extend(results)
            if cache is not None:
                for pr in results:
                    cache.put(keys[pr.file], pr)
        # files whose worker died (or that were in a pool another file broke): each again, alone
        if retry:
            items = [
                (by_label[label], label, exc) for label, exc in sorted(retry, key=lambda t: t[0])
            ]
            results = _isolated(items, config, round_id, limits, form)
            out.extend(results)
            bar.update(len(items))
            if cache is not None:
                for pr in results:
                    cache.put(keys[pr.file], pr)
    if cache is not None:
        cache.prune(set(keys.values()))
    return sorted(out, key=lambda p: p.file), reused


def decide(
    parsed: list[ParsedReturn], roster: pd.DataFrame, config, round_id: str
) -> tuple[pd.DataFrame, list[dict]]:
    """Submissions table and the extra findings (file-level, identification, overrides, receipt)."""
    index = build_name_index(roster)
    cutoff = config.ingest.name_match_cutoff
    round_name = config.round(round_id).name
    overrides = overrides_for(config, round_id)
    receipts = load_receipts(config, round_id, dict(index.exact))
    rows: list[dict] = []
    extra: list[dict] = []

    def file_finding(
        pr: ParsedReturn,
        code: str,
        message: str,
        severity: str = "error",
        unit_id=None,
        value=None,
        sheet=None,
        cell=None,
        row=None,
    ):
        extra.append(
            {
                "file": pr.file,
                "sheet": sheet,
                "cell": cell,
                "row": row,
                "column": None,
                "unit_id": unit_id,
                "severity": severity,
                "code": code,
                "message": message,
                "value": value,
                "row_rejected": False,
            }
        )

    info_sheet = load_form(config.campaign.form_version).sheet("info")
    for pr in parsed:
        rec = {
            "file": pr.file,
            "sha256": pr.sha256,
            "size": pr.size,
            "unit_id": None,
            "written_name": pr.written_name,
            "status": pr.status,
            "reason": pr.reason,
            "message": pr.message,
            "report_date": pr.report_date,
            "received_at": pr.mtime,
            "received_from": "file_time",
            "unit_inferred": False,
            "override": None,
            "override_hint": None,
            "superseded_by": None,
        }
        ov = overrides.get(pr.file)
        if ov is not None and ov != IGNORE and ov not in index.names:
            file_finding(
                pr,
                "override_applied",
                f"人工指定的单位编码“{ov}”不在单位名册中，该指定未采用，请核对",
                value=ov,
            )
            ov = None
        if ov == IGNORE:
            rec.update(
                status="ignored",
                reason="override_ignore",
                override=IGNORE,
                message="按配置中的人工指定（intake.overrides）忽略本文件",
            )
            file_finding(
                pr,
                "override_applied",
                "按配置中的人工指定（intake.overrides）忽略本文件",
                severity="warning",
                value=IGNORE,
            )
            if (when := receipts.received(pr.file, None)) is not None:
                rec["received_at"], rec["received_from"] = when, "receipt_log"
            rows.append(rec)
            continue
        if ov is not None and pr.status != "ignored":
            rec["unit_id"], rec["override"] = ov, ov
            file_finding(
                pr,
                "override_applied",
                f"按配置中的人工指定（intake.overrides），本文件确认为“{index.names[ov]}”（{ov}）的报表"
                + (f"，表内单位名称写作“{pr.written_name}”" if pr.written_name else ""),
                severity="warning",
                unit_id=ov,
                value=ov,
                sheet=pr.sheets.get("info"),
            )
        elif pr.status == "read" or (pr.status == "rejected" and pr.written_name):
            ident = identify(pr.written_name, index, cutoff)
            if ident.unit_id:
                rec["unit_id"] = ident.unit_id
            elif pr.status == "read":
                rec["status"], rec["reason"], rec["message"] = (
                    "rejected",
                    ident.reason,
                    ident.message,
                )
                code = (
                    "ambiguous_unit"
                    if ident.reason == "ambiguous_unit"
                    else "name_near_miss"
                    if ident.match and ident.match.how == "near_miss"
                    else "unknown_unit"
                )
                cands = ident.match.candidates if ident.match else ()
                if cands:  # for the office, not the unit: the exact line that settles the match
                    rec["override_hint"] = (
                        "如经核实确属该单位，可在配置文件的 "
                        + override_line(round_id, pr.file, cands[0].unit_id)
                        + f"（{cands[0].unit_name}"
                        + ("；属其他候选单位则换成其编码）" if len(cands) > 1 else "）")
                    )
                file_finding(
                    pr,
                    code,
                    ident.message or "",
                    value=pr.written_name,
                    sheet=pr.sheets.get("info"),
                )
            if ident.unit_id and pr.written_name:
                other = filename_disagrees(
                    pr.file, ident.unit_id, pr.written_name, index, round_id, round_name
                )
                if other:
                    file_finding(
                        pr,
                        "filename_mismatch",
                        f"文件名中的单位（{other}）与“基本情况”中填写的{info_sheet.columns[0].header}"
                        f"（{pr.written_name}）不一致，已按表内单位名称确认为“{index.names[ident.unit_id]}”",
                        severity="warning",
                        unit_id=ident.unit_id,
                        value=pr.file,
                        sheet=pr.sheets.get("info"),
                    )
        if rec["status"] == "rejected" and pr.status == "rejected":
            file_finding(pr, pr.reason or "unreadable", pr.message or "", unit_id=rec["unit_id"])
        if (
            rec["status"] == "rejected"
            and rec["unit_id"] is None
            and not str(rec["reason"]).startswith("link_")
        ):
            # the sheet could not tell whose file this is: the file name may
            # (never merged into scores);
            # a refused link was not delivered by anyone, so it speaks for no unit
            uid, _ = filename_unit(pr.file, index, round_id, round_name)
            if uid:
                rec["unit_id"], rec["unit_inferred"] = uid, True
                file_finding(
                    pr,
                    "unit_inferred",
                    f"本文件无法使用，按文件名推断为“{index.names[uid]}”（{uid}）报送的文件（未经表内确认，不计入评分）",
                    severity="warning",
                    unit_id=uid,
                    value=pr.file,
                )
        when = receipts.received(pr.file, cast(str | None, rec["unit_id"]))
        if when is not None:
            rec["received_at"], rec["received_from"] = when, "receipt_log"
        rows.append(rec)
    resolve_statuses(rows)
    for text in receipts.problems:
        extra.append(
            {
                "file": receipts.source.name if receipts.source else None,
                "sheet": None,
                "cell": None,
                "row": None,
                "column": None,
                "unit_id": None,
                "severity": "warning",
                "code": "receipt_log",
                "message": text,
                "value": None,
                "row_rejected": False,
            }
        )
    subs = pd.DataFrame(rows, columns=list(SUBMISSION_FIELDS))
    return subs, extra


def _preload_workers() -> None:
    """Have forkserver workers start with the reader already imported (best effort)."""
    import multiprocessing

    try:
        multiprocessing.get_context("forkserver").set_forkserver_preload(["pipeline.ingest.parse"])
    except (ValueError, OSError):
        pass


def ingest_round(
    config,
    round_id: str,
    jobs: int | None = None,
    raw_dir: Path | None = None,
    out_dir: Path | None = None,
    feedback_dir: Path | None = None,
    roster: pd.DataFrame | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    reuse: bool = True,
) -> IngestResult:
    """Read, clean and validate every file of a round; write the tables and feedback.

    With `reuse`, a file read before with the same bytes, name, time and
    reading context is not read again (`reuse.py`); `reuse=False` reads every
    file and keeps nothing."""
    rnd = config.round(round_id)
    raw_dir = Path(raw_dir) if raw_dir is not None else config.paths.raw_round(round_id)
    out_dir = Path(out_dir) if out_dir is not None else config.paths.processed_round(round_id)
    feedback_dir = (
        Path(feedback_dir)
        if feedback_dir is not None
        else config.paths.reports_round(round_id) / "feedback"
    )
    roster = roster if roster is not None else load_roster(config.paths.roster)
    entries, links = list_round(
        raw_dir, config.survey.folder
    )  # survey exports are read by pipeline/survey
    files = [(e.path, e.label) for e in entries]
    if executor is None:
        _preload_workers()
    ctx = (
        nullcontext(executor)
        if executor is not None
        else open_executor(jobs if jobs is not None else config.ingest.jobs)
    )
    cache = ReadCache.for_round(config, round_id) if reuse else None
    with ctx as ex:
        parsed, reused = parse_all(files, config, round_id, ex, progress, cache)
    parsed = sorted(parsed + _refused_links(links), key=lambda p: p.file)
    subs, extra = decide(parsed, roster, config, round_id)
    extra.extend(f for e in entries if (f := name_finding(e.raw, e.label)) is not None)
    tables = build_tables(parsed, subs, extra, roster, config, rnd)
    write_tables(tables, out_dir)
    fb = write_feedback(
        tables["findings"],
        tables["submissions"],
        tables["units"],
        feedback_dir,
        round_name=rnd.name,
        office=config.campaign.office,
        # an unchanged workbook is copied from the last run's (reuse=False: all written anew)
        store=FeedbackCache(
            feedback_cache_folder(config.paths.processed, round_id, "ingest"), read=reuse
        ),
    )
    return IngestResult(round_id, tables, out_dir, feedback_dir, fb, files_reused=reused)
