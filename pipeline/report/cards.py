"""Unit report cards (单位画像) as HTML pages, many per process.

`write_unit_cards(ctx, unit_ids, units_dir)` renders one page per unit from
the round's tables — charts as inline SVG (text escaped by matplotlib), all unit
text escaped by the jinja template — and returns the units that failed (one failure never stops the
others). The report run calls it from the batch notebook `unit_cards.ipynb`,
so hundreds of cards cost one kernel start per batch, not one per unit.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.charts.activity import activity_timeline_svg, days_to_deadline
from pipeline.charts.trends import trend_svg
from pipeline.charts.weakness import unit_profile_svg
from pipeline.codes import Reason, label
from pipeline.report import commentary as cm
from pipeline.report.act_frames import items_lines
from pipeline.report.card_parts import CardParts, card_parts
from pipeline.report.cardcache import CardCache
from pipeline.report.context import RoundContext, Tables, copy_tables
from pipeline.report.display import html_table
from pipeline.report.frames import REPORTING_LABELS, flags_text
from pipeline.report.pagename import page_file_name
from pipeline.report.pages import page_context, render, write_text
from pipeline.tables import Record

log = logging.getLogger(__name__)


@dataclass
class CardSection:
    title: str
    text: list[str]
    figure: str | None = None  # trusted HTML (inline <svg>, its text escaped by matplotlib)
    table: str | None = None  # trusted HTML (escaped by html_table)


def unit_file_name(unit_id: str) -> str:
    """units/<unit_id>.html; an id unsafe in a file name gets an escaped name + hash (pagename)."""
    return page_file_name(unit_id)


def unit_change_lines(changes: pd.DataFrame, unit_id: str, previous_name: str | None) -> list[str]:
    if changes is None or changes.empty or "overall_change" not in changes:
        return ["没有上一轮数据。"]
    c = changes[changes["unit_id"] == unit_id]
    return change_lines(c.iloc[0] if len(c) else None, previous_name)


def change_lines(r: Record | None, previous_name: str | None) -> list[str]:
    """`unit_change_lines` from the unit's row of `changes` (None: not scored last round)."""
    if r is None:
        return ["上一轮没有本单位的评分，无法比较。"]
    prev = previous_name or "上一轮"
    lines: list[str] = []
    if pd.notna(r["overall_change"]):
        lines.append(
            f"与{prev}相比，综合得分变化{float(r['overall_change']):+.1f}分"
            + (
                f"，名次{'上升' if int(r['rank_change']) > 0 else '下降'}"
                f"{abs(int(r['rank_change']))}位"
                if "rank_change" in r and pd.notna(r["rank_change"]) and int(r["rank_change"]) != 0
                else ""
            )
            + "。"
        )
    still = flags_text(r.get("still_flagged"))
    if still:
        lines.append(f"连续两轮达到预警线（整改未到位）：{still}。")
    return lines or ["与上一轮相比没有可比较的数据。"]


def _parts(ctx: RoundContext, unit_id: str) -> CardParts:
    """The batch's card parts (`narrow_to_units`), or this unit's alone."""
    parts = ctx.cache.get("card_parts")
    if isinstance(parts, CardParts) and unit_id in parts.units:
        return parts
    from pipeline.report.trends import round_history

    return card_parts(ctx, [unit_id], round_history(ctx))


def _findings_section(
    ctx: RoundContext, unit_id: str, submitted: bool, parts: CardParts | None = None
) -> CardSection:
    parts = parts or card_parts(ctx, [unit_id])
    arrived = _unusable_line(parts.unit_rows.get(unit_id)) if not submitted else None
    counts = parts.finding_counts.get(unit_id)
    if counts is None:
        text = (
            "报表未发现需要修改的问题。"
            if submitted
            else (arrived or "本轮没有收到本单位的报表，请尽快报送。")
        )
        return CardSection("需要改正的填报差错", [text])
    lead = [arrived] if arrived else []
    return CardSection(
        "需要改正的填报差错",
        lead + cm.findings_lines(*counts),
        table=parts.findings[unit_id],
    )


def _unusable_line(r: Record | None) -> str | None:
    """What arrived, when, and why it could not be used (reporting = received_unusable)."""
    if r is None or "unusable_files" not in r or pd.isna(r["unusable_files"]):
        return None
    when = (
        pd.Timestamp(r["unusable_received_at"])
        .tz_convert("Asia/Shanghai")
        .strftime("%Y-%m-%d %H:%M")
        if pd.notna(r["unusable_received_at"])
        else "时间不详"
    )
    return (
        f"本轮收到本单位的文件 {r['unusable_files']}（北京时间 {when}），"
        f"但无法使用（{label(r['unusable_reason'], Reason)}），"
        f"本单位尚未计入已报送，请按下表处理后重新报送。"
    )


def _survey_section(ctx: RoundContext, unit_id: str) -> list[CardSection]:
    """群众满意度（独立调查）: only in a round with a survey."""
    if ctx.table("satisfaction").empty:
        return []
    from pipeline.report.survey import unit_survey_lines

    return [CardSection("群众满意度（独立调查）", unit_survey_lines(ctx.tables, unit_id))]


def _trend_section(parts: CardParts, unit_id: str) -> CardSection:
    """Every round so far: an inline SVG (cheap: no matplotlib) and a small table."""
    names, series = parts.trend_series.get(unit_id, ([], {}))
    svg = trend_svg(names, series)
    text = [] if svg else ["只有一轮评分，暂无趋势。"]
    table = parts.trend_tables.get(unit_id) or html_table(None)
    return CardSection("各轮变化", text, figure=svg or None, table=table)


def _submitted(parts: CardParts, unit_id: str, scored: bool) -> bool:
    u = parts.unit_rows.get(unit_id)
    if u is None or "submitted" not in u:
        return scored
    return bool(u["submitted"]) if pd.notna(u["submitted"]) else scored


def unit_sections(ctx: RoundContext, unit_id: str) -> list[CardSection]:
    """The content of one unit card, in reading order (charts only for scored units)."""
    parts = _parts(ctx, unit_id)
    scores = ctx.table("scores")
    th = ctx.thresholds
    prev = ctx.previous_round
    row = parts.scores[unit_id]
    scored = bool(row["scored"]) if pd.notna(row["scored"]) else False
    submitted = _submitted(parts, unit_id, scored)
    sections = [CardSection("总体评价", cm.unit_lines(row, parts.stats, th))]
    if not scored:
        return [
            *sections,
            *_survey_section(ctx, unit_id),
            _findings_section(ctx, unit_id, submitted, parts),
        ]
    sections += [
        CardSection(
            "四项不足与同类单位比较",
            [],
            figure=unit_profile_svg(scores, unit_id, th, reuse=ctx.cache),
        ),
        CardSection(
            "评分依据",
            [],
            table=parts.explanations.get(unit_id) or html_table(None, empty="本单位没有评分说明。"),
        ),
    ]
    acts = ctx.table("activities")
    window = ctx.config.scoring.deadline_window_days
    district_days = ctx.cache.get("district_days")
    if not acts.empty or district_days is not None:
        lines = (
            cm.timeline_lines(parts.activity_days.get(unit_id, np.empty(0)), window, "本单位")
            if unit_id in parts.has_activities
            else ["本单位没有填报活动记录。"]
        )
        sections.append(
            CardSection(
                "活动时间分布",
                lines,
                figure=activity_timeline_svg(
                    acts,
                    ctx.round.deadline,
                    window,
                    unit_id,
                    district_days=district_days,
                    reuse=ctx.cache,
                ),
            )
        )
    sections += _survey_section(ctx, unit_id)
    changes = (
        ["没有上一轮数据。"]
        if parts.changes is None
        else change_lines(parts.changes.get(unit_id), prev.name if prev else None)
    )
    sections.append(CardSection("与上一轮比较", changes))
    sections.append(_trend_section(parts, unit_id))
    sections.append(_items_section(parts, unit_id))
    sections.append(_findings_section(ctx, unit_id, submitted, parts))
    return sections


def _items_section(parts: CardParts, unit_id: str) -> CardSection:
    n, status, due = parts.item_counts.get(unit_id, (0, {}, None))
    return CardSection(
        "整改事项与复查",
        items_lines(parts.scores.get(unit_id), n, status, due),
        table=parts.items.get(unit_id) or html_table(None, empty="本轮没有需要整改的事项。"),
    )


def card_header(ctx: RoundContext, unit_id: str) -> dict[str, Any]:
    """The card's title, badges and flags (the unit's scores row as `unit`)."""
    parts = _parts(ctx, unit_id)
    row = parts.scores[unit_id]
    u = parts.unit_rows.get(unit_id)
    reporting = REPORTING_LABELS.get(str(u["reporting"]), str(u["reporting"])) if u else ""
    return {
        "title": f"单位画像：{row['unit_name']}",
        "unit": row,
        "reporting": reporting or "—",
        "reporting_ok": reporting == "按时报送",
        "flags": [s for s in flags_text(row.get("flags")).split("、") if s],
    }


def render_unit_card(ctx: RoundContext, unit_id: str) -> str:
    head = card_header(ctx, unit_id)
    context: dict[str, Any] = page_context(
        ctx.config,
        ctx.round,
        head.pop("title"),
        crumbs=[("../index.html", "报告目录"), ("../district.html", "全区总体情况")],
        **head,
        sections=unit_sections(ctx, unit_id),
        banner=ctx.banner,
    )
    return render("unit.html.j2", **context)


PER_UNIT_TABLES: tuple[str, ...] = (
    "explanations",
    "findings",
    "activities",
    "changes",
    "units",
    "rectification",
    "survey_excerpts",
    "survey_self_report",
)


def batch_values(ctx: RoundContext) -> dict[str, Any]:
    """The district-wide values a batch of cards computes once from the whole round: every
    round's scores (trends) and the district's activity days (`cardkeys.page_keys` keys them)."""
    from pipeline.report.trends import round_history

    values: dict[str, Any] = {"history": round_history(ctx)}
    acts = ctx.table("activities")
    if not acts.empty:
        values["district_days"] = days_to_deadline(acts["date"], ctx.round.deadline)
    return values


def narrow_to_units(ctx: RoundContext, unit_ids: list[str]) -> RoundContext:
    """A context whose per-unit tables hold only these units (scores stay whole for
    peers and ranks); the district's activity days, every round's scores and the
    cards' parts (`card_parts`: each table looked up and rendered once for the
    batch) are computed once and cached. A card then looks its pieces up instead
    of filtering tables, which keeps the cost per card small and flat as the
    district grows."""
    wanted = set(map(str, unit_ids))
    tables = copy_tables(ctx.tables)
    for name in PER_UNIT_TABLES:
        t = tables.get(name)
        if t is not None and not t.empty and "unit_id" in t:
            tables[name] = t[t["unit_id"].isin(wanted)]
    cache = {**ctx.cache, **batch_values(ctx)}
    history = cache["history"]
    narrow = RoundContext(
        config=ctx.config,
        round=ctx.round,
        processed_dir=ctx.processed_dir,
        tables=tables,
        cache=cache,
        provisional=ctx.provisional,
    )
    try:
        cache["card_parts"] = card_parts(narrow, list(wanted), history)
    except Exception:  # each card then builds its own parts and fails (or not) alone
        log.warning("unit cards: batch lookup failed, building each card alone", exc_info=True)
    return narrow


def write_unit_cards(
    ctx: RoundContext,
    unit_ids: list[str],
    units_dir: Path,
    cache: CardCache | None = None,
) -> list[dict[str, str]]:
    """Write units/<unit_id>.html for each unit; return the failures (unit, error).

    With `cache` (`report/cardcache.py`) a card whose content is unchanged is
    copied from it, byte for byte, and a changed card reuses its unchanged charts."""
    units_dir = Path(units_dir)
    units_dir.mkdir(parents=True, exist_ok=True)
    ctx = narrow_to_units(ctx, unit_ids)
    cache = cache or CardCache.none()  # drawn the same way (rounded as shown), nothing kept
    failures = _write_cached_cards(ctx, unit_ids, units_dir, cache)
    cache.save_used()
    return failures


def _write_cards(
    ctx: RoundContext, unit_ids: list[str], units_dir: Path, card: Callable[[str], str]
) -> list[dict[str, str]]:
    failures: list[dict[str, str]] = []
    for uid in unit_ids:
        try:
            write_text(units_dir / unit_file_name(uid), card(uid))
        except Exception as exc:  # one bad unit must not stop the others
            failures.append(
                {
                    "unit_id": str(uid),
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=4),
                }
            )
    return failures


def _write_cached_cards(
    ctx: RoundContext, unit_ids: list[str], units_dir: Path, cache: CardCache
) -> list[dict[str, str]]:
    """Cards from `cache` where their page key is kept, else rendered (charts from the
    cache where theirs are) and kept, once the render read nothing its key lacks."""
    import sys

    from pipeline.report import cardkeys as ck

    charts = ck.ChartKeys()
    try:
        keys = ck.page_keys(ctx, unit_ids, cache, charts) if cache.folder is not None else {}
    except Exception:  # no keys: every card is rendered, none kept
        log.warning("单位画像缓存键计算失败，本批全部重新生成", exc_info=True)
        keys = {}
    # what a page reads is noted (the card cache keeps only pages that read their key)
    tables = ctx.tables.watched() if isinstance(ctx.tables, Tables) else ck.ReadLog(ctx.tables)
    values = ck.ReadLog(ctx.cache)
    watched = RoundContext(
        config=ctx.config,
        round=ctx.round,
        processed_dir=ctx.processed_dir,
        tables=tables,
        cache=values,
        provisional=ctx.provisional,
    )
    server = ck.ChartServer(cache, charts)

    def card(uid: str) -> str:
        key = keys.get(str(uid))
        kept = cache.get_page(key) if key else None
        if kept is not None:
            return kept
        tables.read.clear()
        values.read.clear()
        server.start_page()
        text = render_unit_card(watched, uid)
        if key and _keyed(
            tables.read, values.read, server.observed, ck.chart_values(ctx, uid, charts)
        ):
            cache.put_page(key, text, server.entries)
        return text

    with ck.cached_charts(sys.modules[__name__], server):
        return _write_cards(watched, unit_ids, units_dir, card)


def _keyed(tables: set, values: set, observed: dict, expected: dict) -> bool:
    """Did the page read only what its key holds? (else it is written but not kept)"""
    from pipeline.report import cardkeys as ck

    extra = (tables - set(ck.CARD_TABLES)) | (values - ck.CACHE_VALUES)
    if extra or observed != expected:
        log.warning(
            "单位画像读取了缓存键以外的内容（%s），该页不缓存",
            "、".join(sorted(map(str, extra))) or "图表参数",
        )
        return False
    return True
