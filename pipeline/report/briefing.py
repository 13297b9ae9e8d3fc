"""The one-page briefing (简报) of a round: headline numbers, three charts, the notice list.

`write_briefing(ctx, out_dir)` writes `briefing.html` (print layout: two A4
pages at most) and, when a Chromium is installed, `briefing.pdf` printed from
it. The headline numbers: reporting rate, units on the notice, each weakness's
flagged units and their change since the previous round.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.context import RoundContext
from pipeline.report.display import figure_img, html_table
from pipeline.report.labels import num, pct
from pipeline.report.pages import page_context, render, write_text
from pipeline.report.trends import round_history

log = logging.getLogger(__name__)

BRIEFING_HTML = "briefing.html"
BRIEFING_PDF = "briefing.pdf"
NOTICE_ROWS = 15
CHART_DPI = 110
BROWSERS: tuple[str, ...] = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)


@dataclass
class Headline:
    label: str
    value: str
    note: str = ""


@dataclass
class Briefing:
    headlines: list[Headline] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _flag_counts(scores: pd.DataFrame, th: dict[str, float]) -> dict[str, int]:
    s = scores[scores["scored"].fillna(False).astype(bool)]
    return {w: int((s[w].astype(float) >= th[w]).sum()) for w in WEAKNESSES}


def _change(now: float, before: float | None, unit: str = "个") -> str:
    if before is None:
        return ""
    d = now - before
    return (
        "与上一轮持平" if d == 0 else f"比上一轮{'增加' if d > 0 else '减少'}{num(abs(d), 0)}{unit}"
    )


def briefing_numbers(ctx: RoundContext) -> Briefing:
    """The headline numbers and two sentences (pure: tables in, text out)."""
    th = ctx.thresholds
    scores = ctx.table("scores")
    comp = ctx.table("completeness")
    history = round_history(ctx)
    prev = ctx.previous_round
    prev_scores = history[history["round_id"] == prev.id] if prev is not None else pd.DataFrame()
    b = Briefing()
    d = comp[comp["level"] == "district"] if not comp.empty else comp
    if not d.empty:
        r = d.iloc[0]
        b.headlines.append(
            Headline(
                "报送率",
                pct(float(r["reporting_rate"]) / 100),
                f"应报{int(r['expected'])}个，已报{int(r['received'])}个，迟报{int(r['late'])}个",
            )
        )
    notice = ctx.table("notice")
    b.headlines.append(Headline("拟通报单位", f"{len(notice)}个", "两项及以上不足达到预警线等"))
    now = _flag_counts(scores, th)
    before = _flag_counts(prev_scores, th) if not prev_scores.empty else None
    for w in WEAKNESSES:
        b.headlines.append(
            Headline(
                WEAKNESS_LABELS[w],
                f"{now[w]}个",
                _change(now[w], before[w] if before else None) or "达到预警线的单位",
            )
        )
    changes = ctx.table("changes")
    if not changes.empty and "overall_change" in changes:
        c = changes["overall_change"].astype(float).dropna()
        b.lines.append(
            f"与{prev.name if prev else '上一轮'}相比，{int((c > 0).sum())}个单位综合得分上升，"
            f"{int((c < 0).sum())}个下降，平均变化{num(c.mean())}分。"
        )
    top = max(WEAKNESSES, key=lambda w: now[w])
    b.lines.append(f"最普遍的不足是“{WEAKNESS_LABELS[top]}”（{now[top]}个单位达到预警线）。")
    return b


def _notice_table(ctx: RoundContext) -> str:
    notice = ctx.table("notice")
    if notice.empty:
        return html_table(notice, empty="本轮没有单位列入通报名单。")
    t = pd.DataFrame(
        {"单位名称": notice["unit_name"], "类型": notice["unit_type"], "通报原因": notice["reason"]}
    )
    return html_table(t, max_rows=NOTICE_ROWS)


def write_briefing(ctx: RoundContext, out_dir: Path, pdf: bool = True) -> dict[str, str]:
    """Write briefing.html (and briefing.pdf when a browser is installed); return links for
    index.html."""
    from pipeline import charts
    from pipeline.charts.trends import flagged_counts, weakness_counts_chart, weakness_trend_chart

    out_dir = Path(out_dir)
    b = briefing_numbers(ctx)
    th = ctx.thresholds
    prev = ctx.previous_round
    history = round_history(ctx)
    now = _flag_counts(ctx.table("scores"), th)
    prev_scores = history[history["round_id"] == prev.id] if prev is not None else pd.DataFrame()
    before = _flag_counts(prev_scores, th) if not prev_scores.empty else None
    figs = [
        figure_img(
            weakness_counts_chart(now, before, ctx.round.name, prev.name if prev else "上一轮"),
            dpi=CHART_DPI,
        ),
        figure_img(charts.completeness_by_type(ctx.table("completeness")), dpi=CHART_DPI),
    ]
    counts = flagged_counts(history, th)
    if len(counts) >= 2:
        figs.append(figure_img(weakness_trend_chart(counts), dpi=CHART_DPI))
    context = page_context(
        ctx.config,
        ctx.round,
        f"{ctx.round.name}简报",
        crumbs=[("index.html", "报告目录")],
        headlines=b.headlines,
        lines=b.lines,
        figures=figs,
        notice=_notice_table(ctx),
        banner=ctx.banner,
        subtitle="一页看懂本轮情况：报送、四项不足、通报名单；详细内容见全区总体情况和汇总表",
    )
    html_path = write_text(out_dir / BRIEFING_HTML, render("briefing.html.j2", **context))
    link = {"href": BRIEFING_HTML, "pdf": ""}
    if pdf:
        made = print_pdf(html_path, out_dir / BRIEFING_PDF)
        link["pdf"] = BRIEFING_PDF if made else ""
    return link


def browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_path: Path, pdf_path: Path, timeout: int = 120) -> bool:
    """Print an HTML page to PDF with headless Chromium; False (logged) when none is installed
    or it fails."""
    exe = browser()
    if exe is None:
        log.info("未找到 Chromium，简报只生成 HTML（浏览器中可打印为 PDF）")
        return False
    profile = pdf_path.parent / ".chromium-profile"
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-sync",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("简报 PDF 生成失败: %s", exc)
        return False
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return pdf_path.is_file() and pdf_path.stat().st_size > 0
