"""`scorecard report`: notebooks → HTML pages, unit cards, summary.xlsx, index.html.

`build_reports(config, round_id)` runs, in parallel processes, the district
notebook, one notebook per unit type and the unit-card batch notebook (a few
batches, each writing many `units/<unit_id>.html`) with papermill; keeps the
executed notebooks in `notebooks/`; exports district and type pages without
code (nbconvert, in-process); writes summary.xlsx and index.html. A failing
notebook is reported (notebook and cell) and the other reports still come out.
"""

from __future__ import annotations

import json
import logging
import math
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pandas as pd

from pipeline.config import Config
from pipeline.errors import TRACEBACK_LOGGER
from pipeline.report.areas import write_area_pages
from pipeline.report.briefing import write_briefing
from pipeline.report.cardcache import CardCache, clear_used, prune, run_counts
from pipeline.report.cardcache import cache_folder as card_cache_folder
from pipeline.report.cards import unit_file_name
from pipeline.report.context import RoundContext, open_round
from pipeline.report.frames import REPORTING_LABELS, flags_text
from pipeline.report.keptcards import copy_kept_cards
from pipeline.report.pages import notebook_body, page_context, render, write_text
from pipeline.report.preflight import ensure_report_ready
from pipeline.report.runner import NotebookJob, NotebookOutcome, run_notebook
from pipeline.report.runner import notebooks_dir as default_notebooks
from pipeline.report.xlsx import write_summary

log = logging.getLogger(__name__)
TRACEBACK_LOG = logging.getLogger(TRACEBACK_LOGGER)
TRACEBACK_LOG.propagate = False
TRACEBACK_LOG.addHandler(
    logging.NullHandler()
)  # outside a batch run: nowhere, not logging's last resort

NOTEBOOKS: tuple[str, ...] = ("district.ipynb", "unit_type.ipynb", "unit_cards.ipynb")
MAX_CARDS_PER_BATCH = 250
MIN_CARDS_PER_BATCH = 30

__all__ = ["ReportFailure", "ReportResult", "build_reports"]


@dataclass(frozen=True)
class ReportFailure:
    """One report that did not come out (or came out incomplete)."""

    notebook: str  # executed notebook file name, e.g. type-社区.ipynb
    cell: str  # e.g. "第5个单元格: show_figure(...)", "内核启动" or a unit id
    error: str
    page: str = ""  # the page affected (district.html, units/U001.html, ...)

    def __str__(self) -> str:
        return f"{self.notebook}（{self.cell}）{self.error}" + (
            f" → {self.page}" if self.page else ""
        )


@dataclass
class ReportResult:
    round_id: str
    out_dir: Path
    index: Path
    pages: list[Path] = field(default_factory=list)
    unit_pages: int = 0
    failures: list[ReportFailure] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    card_cache: dict[str, dict[str, int]] = field(default_factory=dict)  # kept/drawn by kind
    # with index, failures and summary: what `scorecard run` reads (batch/stages.StageResult)
    has_errors: ClassVar[bool] = False

    @property
    def counts(self) -> dict[str, int]:
        return {}

    def summary(self) -> str:
        lines = [
            f"轮次 {self.round_id}：生成报告 {len(self.pages)} 页、单位画像 {self.unit_pages} 份，"
            f"用时 {self.seconds:.1f} 秒。"
        ]
        kept, drawn = self.card_cache.get("kept", {}), self.card_cache.get("drawn", {})
        if kept or drawn:
            lines.append(
                f"  单位画像沿用上次结果 {kept.get('page', 0)} 份，"
                f"重新生成 {drawn.get('page', 0)} 份"
                f"（图表重画 {sum(v for k, v in drawn.items() if k != 'page')} 张，"
                f"沿用 {sum(v for k, v in kept.items() if k != 'page')} 张）。"
            )
        if self.failures:
            lines.append(f"有 {len(self.failures)} 项失败（其余报告已生成）：")
            lines += [f"  - {f}" for f in self.failures]
        lines.append(f"报告目录：{self.index}")
        return "\n".join(lines)


@contextmanager
def _executor(executor: Executor | None, jobs: int) -> Iterator[Executor]:
    if executor is not None:
        yield executor
        return
    from pipeline.executors import open_executor

    with open_executor(jobs) as ex:
        yield ex


def _config_snapshot(config: Config, folder: Path) -> Path:
    path = folder / "config.json"
    write_text(path, config.model_dump_json(indent=1))
    return path


def _batches(ids: list[str], jobs: int) -> list[list[str]]:
    if not ids:
        return []
    # enough batches to keep every process busy, none bigger than MAX_CARDS_PER_BATCH,
    # and no kernel start for fewer than MIN_CARDS_PER_BATCH cards
    n = max(
        min(jobs, math.ceil(len(ids) / MIN_CARDS_PER_BATCH)),
        math.ceil(len(ids) / MAX_CARDS_PER_BATCH),
    )
    size = math.ceil(len(ids) / n)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def type_page_name(unit_type: str) -> str:
    from pipeline.report.pagename import page_file_name

    return page_file_name(unit_type, prefix="type-")


def _jobs(
    config: Config,
    ctx: RoundContext,
    processed_dir: Path,
    out_dir: Path,
    nb_dir: Path,
    config_path: Path,
    jobs: int,
    notebooks_dir: Path,
    card_cache: dict[str, object] | None = None,
    card_ids: list[str] | None = None,
) -> tuple[list[NotebookJob], dict[str, dict]]:
    base = {
        "round_id": ctx.round.id,
        "config_path": str(config_path),
        "processed_dir": str(processed_dir),
        "out_dir": str(out_dir),
    }

    def job(name: str, source: str, **params) -> NotebookJob:
        return NotebookJob(
            name=name,
            notebook=notebooks_dir / source,
            output=nb_dir / f"{name}.ipynb",
            parameters={**base, **params},
            kernel=config.report.kernel,
            cell_timeout=config.report.cell_timeout_seconds,
            cwd=nb_dir,
        )

    from pipeline.charts._style import sort_types

    scores = ctx.table("scores")
    meta: dict[str, dict] = {}
    card_jobs = []
    if card_ids is None:
        card_ids = scores["unit_id"].astype(str).tolist()
    for i, ids in enumerate(_batches(card_ids, jobs), start=1):
        name = f"unit-cards-{i}"
        failures_path = nb_dir / f"{name}.failures.json"
        card_jobs.append(
            job(
                name,
                "unit_cards.ipynb",
                unit_ids=ids,
                failures_path=str(failures_path),
                **(card_cache or {}),
            )
        )
        meta[name] = {"kind": "cards", "ids": ids, "failures": failures_path}
    page_jobs = [job("district", "district.ipynb")]
    meta["district"] = {"kind": "page", "page": "district.html", "title": "全区总体情况"}
    for t in sort_types(scores["unit_type"].dropna().unique()):
        page = type_page_name(t)
        name = page.removesuffix(".html")
        page_jobs.append(job(name, "unit_type.ipynb", unit_type=str(t)))
        meta[name] = {
            "kind": "page",
            "page": page,
            "title": f"分类情况：{t}",
            "unit_type": str(t),
            "order": len(page_jobs),
        }
    return card_jobs + page_jobs, meta  # longest first


def _write_page(
    config: Config, ctx: RoundContext, out_dir: Path, info: dict, outcome: NotebookOutcome
) -> Path:
    """The page of one executed notebook; a failed one still gets a page that says so."""
    failure = "" if outcome.ok else f"{outcome.output.name} {outcome.where()}: {outcome.error}"
    body = ""
    if outcome.output.is_file():
        try:
            body = notebook_body(outcome.output)
        except Exception as exc:  # an unreadable notebook: say so on the page
            failure = (
                failure or f"{outcome.output.name} 无法转换为 HTML: {type(exc).__name__}: {exc}"
            )
    context = page_context(
        config,
        ctx.round,
        info["title"],
        crumbs=[("index.html", "报告目录")],
        body=body,
        failure=failure,
        banner=ctx.banner,
    )
    return write_text(out_dir / info["page"], render("notebook.html.j2", **context))


def _clear_previous(out_dir: Path) -> None:
    """Remove pages this stage wrote last time (a unit or type may have gone since)."""
    for pattern in ("units/*.html", "type-*.html", "notebooks/*", "areas/*.html", "briefing.*"):
        for p in out_dir.glob(pattern):
            if p.is_file():
                p.unlink()


def _fmt(v: Any, digits: int = 1) -> str:  # a cell value
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{float(v):.{digits}f}" if digits else f"{int(v)}"


def _index(
    config: Config,
    ctx: RoundContext,
    out_dir: Path,
    type_pages: list[dict],
    failures: list[ReportFailure],
    areas: list[dict] | None = None,
    briefing: dict | None = None,
) -> Path:
    from pipeline.report import commentary as cm

    scores = ctx.table("scores")
    units = ctx.table("units")
    reporting = (
        dict(zip(units["unit_id"], units["reporting"], strict=True)) if not units.empty else {}
    )
    rows = []
    ranked = scores.sort_values(["scored", "rank"], ascending=[False, True])
    for r in ranked.to_dict("records"):
        rows.append(
            {
                "rank": _fmt(r["rank"], 0) if pd.notna(r["rank"]) else "—",
                "name": r["unit_name"],
                "type": r["unit_type"],
                "overall": _fmt(r["overall"]),
                "flags": flags_text(r["flags"]),
                "reporting": REPORTING_LABELS.get(str(reporting.get(r["unit_id"], "")), "—"),
                "href": "units/" + quote(unit_file_name(str(r["unit_id"]))),
            }
        )
    feedback = []
    fb_dir = out_dir / "feedback"
    if fb_dir.is_dir():
        for p in sorted(fb_dir.glob("*.xlsx")):
            feedback.append({"href": "feedback/" + quote(p.name), "label": p.stem})
    from pipeline.report.notice_docx import file_name

    docx_name = file_name(ctx.round)
    notice_docx = (
        {"href": quote(docx_name), "label": docx_name} if (out_dir / docx_name).is_file() else None
    )
    overview = (
        cm.completeness_commentary(ctx.table("completeness"))
        + cm.weakness_commentary(scores, ctx.thresholds)
        + cm.notice_commentary(ctx.table("notice"))
    )
    context = page_context(
        config,
        ctx.round,
        f"{ctx.round.name}报告目录",
        overview=overview,
        type_pages=type_pages,
        feedback=feedback,
        units=rows,
        notice_docx=notice_docx,
        failures=[str(f) for f in failures],
        banner=ctx.banner,
        areas=areas or [],
        briefing=briefing,
    )
    return write_text(out_dir / "index.html", render("index.html.j2", **context))


def _action_outputs(
    config: Config, ctx: RoundContext, out_dir: Path, round_id: str, reuse: bool = True
) -> list[Path]:
    """The 通报 draft (.docx) and every scored unit's feedback workbook with its 整改清单.

    The feedback workbooks are rewritten here (ingest wrote them before any item
    existed) with the same rows as ingest's plus the 整改清单 sheet, so every scored
    unit gets one; an unchanged workbook is copied from the stage's feedback cache
    (`reuse=False`: all written anew, cache refreshed).
    """
    from pipeline.act.feedback import rectification_sheets
    from pipeline.ingest.feedback import FeedbackCache, write_feedback
    from pipeline.ingest.feedback import cache_folder as feedback_cache_folder
    from pipeline.report.notice_docx import build_notice_docx, file_name

    written: list[Path] = []
    tables = ctx.tables
    if "scores" not in tables or "rectification" not in tables:
        return written
    written.append(
        build_notice_docx(config, round_id, tables, out_dir / file_name(ctx.round), ctx.thresholds)
    )
    subs, units, findings = tables.get("submissions"), tables.get("units"), tables.get("findings")
    if subs is not None and units is not None and findings is not None:
        s = tables["scores"]
        ids = [str(u) for u in s.loc[s["scored"].astype(bool), "unit_id"]]
        extra = rectification_sheets(
            tables["rectification"], ids, ctx.round.name, config.campaign.office
        )
        written += write_feedback(
            findings,
            subs,
            units,
            out_dir / "feedback",
            round_name=ctx.round.name,
            office=config.campaign.office,
            extra_sheets=extra,
            banner=ctx.banner,
            store=FeedbackCache(
                feedback_cache_folder(config.paths.processed, round_id, "report"), read=reuse
            ),
        )
    return written


def build_reports(
    config: Config,
    round_id: str,
    processed_dir: Path | None = None,
    out_dir: Path | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    notebooks_dir: Path | None = None,
    reuse: bool = True,
) -> ReportResult:
    """Build the round's report set in `out_dir` (default reports/<round>/).

    Unit cards come from the card cache where what they show is unchanged
    (`report/cardcache.py`); `reuse=False` (``scorecard run --force``) draws
    every card anew and refreshes the cache."""
    t0 = time.perf_counter()
    processed_dir = Path(processed_dir or config.paths.processed_round(round_id)).resolve()
    out_dir = Path(out_dir or config.paths.reports_round(round_id)).resolve()
    notebooks_dir = Path(notebooks_dir or default_notebooks(config.paths.notebooks)).resolve()
    ensure_report_ready(config, out_dir, notebooks_dir, NOTEBOOKS)
    n_jobs = max(1, jobs or config.report.jobs)
    _clear_previous(out_dir)
    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "units").mkdir(exist_ok=True)
    config_path = _config_snapshot(config, nb_dir)
    ctx = open_round(config_path, round_id, processed_dir)
    result = ReportResult(round_id=round_id, out_dir=out_dir, index=out_dir / "index.html")

    cards_cache = card_cache_folder(config.paths.processed, round_id)
    clear_used(cards_cache)
    t = time.perf_counter()
    all_ids = ctx.table("scores")["unit_id"].astype(str).tolist()
    to_render = copy_kept_cards(
        ctx, all_ids, out_dir / "units", CardCache.open(cards_cache, read=reuse)
    )
    result.unit_pages += len(all_ids) - len(to_render)
    result.timings["kept_cards"] = time.perf_counter() - t
    job_list, meta = _jobs(
        config,
        ctx,
        processed_dir,
        out_dir,
        nb_dir,
        config_path,
        n_jobs,
        notebooks_dir,
        card_cache={"card_cache": str(cards_cache), "card_cache_read": reuse},
        card_ids=to_render,
    )
    cards_ok = True
    t_notebooks = time.perf_counter()
    type_pages: list[dict] = []
    with _executor(executor, n_jobs) as ex:
        futures = {ex.submit(run_notebook, j): j for j in job_list}
        from concurrent.futures import as_completed

        # the pages written in this process need no notebook: they are written while the
        # notebooks run in the workers (a re-run's kernels leave a core idle part of the time)
        t = time.perf_counter()
        write_summary(
            ctx.tables,
            out_dir / "summary.xlsx",
            ctx.thresholds,
            f"{ctx.round.name}（{round_id}）",
            banner=ctx.banner,
        )
        result.pages.append(out_dir / "summary.xlsx")
        result.timings["summary_xlsx"] = time.perf_counter() - t
        t = time.perf_counter()
        result.pages += _action_outputs(config, ctx, out_dir, round_id, reuse)
        result.timings["notice_docx_feedback"] = time.perf_counter() - t
        t = time.perf_counter()
        areas = _extra_pages(result, "areas", lambda: write_area_pages(ctx, out_dir), [])
        result.timings["area_pages"] = time.perf_counter() - t
        t = time.perf_counter()
        briefing = _extra_pages(result, "briefing", lambda: write_briefing(ctx, out_dir), None)
        if briefing:
            result.pages.append(out_dir / briefing["href"])
        result.timings["briefing"] = time.perf_counter() - t

        for fut in as_completed(futures):
            j = futures[fut]
            info = meta[j.name]
            try:
                outcome = fut.result()
            except Exception as exc:  # the worker process itself died
                outcome = NotebookOutcome(
                    j.name,
                    j.output,
                    False,
                    0.0,
                    error=f"{type(exc).__name__}: {exc}",
                    traceback="".join(traceback.format_exception(exc)).rstrip(),
                )
            result.timings[j.name] = outcome.seconds
            if not outcome.ok:
                page = info.get("page", "units/*.html")
                result.failures.append(
                    ReportFailure(j.output.name, outcome.where(), outcome.error, page)
                )
                log.error("报告 %s 失败: %s", j.name, outcome.describe())
                if outcome.traceback:  # the run log only (reports/.logs), not the terminal
                    TRACEBACK_LOG.error("报告 %s 失败的完整回溯:\n%s", j.name, outcome.traceback)
            if info["kind"] == "cards":
                cards_ok = cards_ok and outcome.ok
                result.failures += _card_failures(j, info)
                result.unit_pages += sum(
                    (out_dir / "units" / unit_file_name(u)).is_file() for u in info["ids"]
                )
                _placeholder_cards(config, ctx, out_dir, info["ids"], outcome)
            else:
                result.pages.append(_write_page(config, ctx, out_dir, info, outcome))
                if "unit_type" in info:
                    n = int((ctx.table("scores")["unit_type"] == info["unit_type"]).sum())
                    type_pages.append(
                        {
                            "href": quote(info["page"]),
                            "label": info["unit_type"],
                            "n": n,
                            "order": info["order"],
                        }
                    )
    result.timings["notebooks"] = time.perf_counter() - t_notebooks  # with the pages above
    result.card_cache = run_counts(cards_cache)
    if cards_ok:  # every batch said what it used: drop the rest (bounded growth)
        prune(cards_cache)
    type_pages.sort(key=lambda p: p["order"])
    result.index = _index(
        config, ctx, out_dir, type_pages, result.failures, areas=areas, briefing=briefing
    )
    result.pages.append(result.index)
    result.seconds = time.perf_counter() - t0
    return result


def _extra_pages(result: ReportResult, name: str, make, default):
    """Run one in-process page writer; a failure is reported, the rest of the report set stands."""
    try:
        return make()
    except Exception as exc:  # one extra page set must not stop index.html
        log.exception("报告 %s 失败", name)
        result.failures.append(
            ReportFailure(name, "生成页面", f"{type(exc).__name__}: {exc}", f"{name}/")
        )
        return default


def _placeholder_cards(
    config: Config, ctx: RoundContext, out_dir: Path, ids: list[str], outcome: NotebookOutcome
) -> None:
    """A page for every unit whose card did not come out, so no link in index.html is dead."""
    from pipeline.report.cards import CardSection

    scores = ctx.table("scores").set_index("unit_id", drop=False)
    for uid in ids:
        path = out_dir / "units" / unit_file_name(uid)
        if path.is_file() or uid not in scores.index:
            continue
        row = scores.loc[uid]
        reason = (
            outcome.describe()
            if not outcome.ok
            else "生成该单位画像时出错，详见 notebooks/ 中的失败清单"
        )
        context = page_context(
            config,
            ctx.round,
            f"单位画像：{row['unit_name']}",
            crumbs=[("../index.html", "报告目录")],
            unit=row.to_dict(),
            reporting="—",
            reporting_ok=False,
            flags=[],
            sections=[
                CardSection("单位画像生成失败", [reason, "请修正后重新运行 scorecard report。"])
            ],
            banner=ctx.banner,
        )
        write_text(path, render("unit.html.j2", **context))


def _card_failures(job: NotebookJob, info: dict) -> list[ReportFailure]:
    path: Path = info["failures"]
    if not path.is_file():
        return []
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return []
    return [
        ReportFailure(
            job.output.name,
            f"单位 {it['unit_id']}",
            it["error"],
            f"units/{unit_file_name(it['unit_id'])}",
        )
        for it in items
    ]
