"""Pages per parent unit (辖区情况): a 街道 with its 社区, a 镇 with its 村.

`write_area_pages(ctx, out_dir)` writes `areas/<unit_id>.html` for every unit
that has sub-units in the roster (parent_id): the sub-units' scores, their
reporting, the data-entry errors still to fix and — when the `rectification`
table of `pipeline/act` exists in the round's processed folder — the open
rectification items. Tables only (no charts), so the pages cost little.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.cards import unit_file_name
from pipeline.report.context import RoundContext
from pipeline.report.display import html_table, html_tables_by
from pipeline.report.frames import REPORTING_LABELS, flags_text
from pipeline.report.labels import FINDINGS_TERM, SEVERITY_LABELS, num, pct
from pipeline.report.pages import page_context, render, write_text

AREAS_DIR = "areas"


def area_file_name(unit_id: str) -> str:
    return unit_file_name(unit_id)


def parent_units(scores: pd.DataFrame) -> list[str]:
    """Units that have sub-units, in roster order."""
    if scores.empty or "parent_id" not in scores:
        return []
    parents = set(scores["parent_id"].dropna().astype(str))
    return [u for u in scores["unit_id"].astype(str) if u in parents]


def _once(ctx: RoundContext, key: str, make: Callable[[], Any]) -> Any:
    """A value every area page reads, computed once per batch (kept in `ctx.cache`)."""
    key = f"areas.{key}"
    if key not in ctx.cache:
        ctx.cache[key] = make()
    return ctx.cache[key]


def _children_by_parent(ctx: RoundContext) -> dict[str, pd.DataFrame]:
    s = ctx.table("scores")
    if s.empty or "parent_id" not in s:
        return {}
    parent = s["parent_id"].astype("string")
    return {str(p): g for p, g in s[parent.notna()].groupby(parent[parent.notna()], sort=False)}


def children(ctx: RoundContext, parent_id: str) -> pd.DataFrame:
    """The sub-units' rows of `scores`, in roster order."""
    kids = _once(ctx, "children", lambda: _children_by_parent(ctx)).get(parent_id)
    return kids if kids is not None else ctx.table("scores").iloc[0:0]


def _reporting(ctx: RoundContext) -> dict[str, str]:
    units = ctx.table("units")
    return dict(zip(units["unit_id"], units["reporting"], strict=True)) if not units.empty else {}


def _errors(ctx: RoundContext) -> pd.Series:
    findings = ctx.table("findings")
    if findings.empty:
        return pd.Series(dtype=int)
    return findings[findings["severity"] == "error"].groupby("unit_id").size()


def area_frame(ctx: RoundContext, parent_id: str) -> pd.DataFrame:
    """One row per sub-unit: reporting, overall, the four indices, flags, rank, errors to fix."""
    kids = children(ctx, parent_id)
    reporting = _once(ctx, "reporting", lambda: _reporting(ctx))
    errors = _once(ctx, "errors", lambda: _errors(ctx))
    kids = kids.sort_values(["scored", "overall"], ascending=[False, False], na_position="last")
    out = pd.DataFrame(
        {
            "单位名称": kids["unit_name"].astype(str),
            "类型": kids["unit_type"].astype(str),
            "报送情况": [
                REPORTING_LABELS.get(str(reporting.get(u, "")), "—") for u in kids["unit_id"]
            ],
            "综合得分": [num(v) for v in kids["overall"]],
        }
    )
    for w in WEAKNESSES:
        out[WEAKNESS_LABELS[w]] = [num(v) for v in kids[w]]
    out["预警项"] = [flags_text(f) for f in kids["flags"]]
    out["全区排名"] = [num(v, 0) for v in kids["rank"]]
    out[f"{FINDINGS_TERM}（{SEVERITY_LABELS['error']}）"] = [
        int(errors.get(u, 0)) for u in kids["unit_id"]
    ]
    return out.reset_index(drop=True)


def area_lines(ctx: RoundContext, parent_id: str, parent_name: str) -> list[str]:
    kids = children(ctx, parent_id)
    units = ctx.table("units")
    n = len(kids)
    if not n:
        return [f"{parent_name}没有下属单位。"]
    rep = units[units["unit_id"].isin(kids["unit_id"])] if not units.empty else units
    received = int(rep["submitted"].fillna(False).astype(bool).sum()) if not rep.empty else 0
    late = int((rep["reporting"] == "late").sum()) if not rep.empty else 0
    scored = kids[kids["scored"].fillna(False).astype(bool)]
    th = ctx.thresholds
    lines = [
        f"{parent_name}下属{n}个单位，已报送{received}个"
        f"（报送率{pct(received / n)}），其中迟报{late}个。"
    ]
    if len(scored):
        mean_here = float(scored["overall"].astype(float).mean())
        mean_all = _once(ctx, "mean_all", lambda: _district_mean(ctx))
        rel = "高于" if mean_here > mean_all else "低于" if mean_here < mean_all else "等于"
        lines.append(
            f"已评分{len(scored)}个，平均综合得分{num(mean_here)}，{rel}全区平均（{num(mean_all)}）。"
        )
        counts = [
            f"{WEAKNESS_LABELS[w]}{int((scored[w].astype(float) >= th[w]).sum())}个"
            for w in WEAKNESSES
        ]
        lines.append("达到预警线的单位数：" + "，".join(counts) + "。")
    missing = (
        kids[~kids["unit_id"].isin(rep.loc[rep["submitted"].fillna(False).astype(bool), "unit_id"])]
        if not rep.empty
        else kids
    )
    if len(missing):
        lines.append("尚未报送：" + "、".join(missing["unit_name"].astype(str).head(20)) + "。")
    return lines


def _district_mean(ctx: RoundContext) -> float:
    s = ctx.table("scores")
    return float(s.loc[s["scored"].fillna(False).astype(bool), "overall"].astype(float).mean())


def _rectification(ctx: RoundContext) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The round's items and the same rows labelled for display (same index), or None."""
    if "rectification" not in ctx.tables:  # pipeline/act has not written it
        return None
    from pipeline.analysis import with_chinese_labels

    t = ctx.tables["rectification"]  # read once for the round (Tables), not again here
    if "unit_id" in t and "unit_name" not in t:
        scores = ctx.table("scores")
        names = dict(zip(scores["unit_id"], scores["unit_name"], strict=True))
        t = t.assign(unit_name=t["unit_id"].map(names))
    return t, with_chinese_labels(t)


def rectification_frame(ctx: RoundContext, parent_id: str) -> pd.DataFrame | None:
    """Open rectification items of the sub-units (None when pipeline/act has not written
    the table)."""
    both = _once(ctx, "rectification", lambda: _rectification(ctx))
    if both is None:
        return None
    t, labelled = both
    if "unit_id" in t:
        kids = children(ctx, parent_id)
        labelled = labelled[t["unit_id"].isin(kids["unit_id"]) | (t["unit_id"] == parent_id)]
    return labelled.reset_index(drop=True)


def _tables_by(keys: list[str], frames: list[pd.DataFrame | None]) -> dict[object, str]:
    """`html_table` of each non-empty frame, keyed, from one ``to_html`` of them all."""
    kept = [(k, f) for k, f in zip(keys, frames, strict=True) if f is not None and not f.empty]
    if not kept:
        return {}
    both = pd.concat([f for _, f in kept], ignore_index=True)
    return html_tables_by(both, [k for k, f in kept for _ in range(len(f))])


def write_area_pages(ctx: RoundContext, out_dir: Path) -> list[dict[str, str]]:
    """Write areas/<unit_id>.html for every parent unit; return links for index.html."""
    out_dir = Path(out_dir)
    scores = ctx.table("scores").set_index("unit_id", drop=False)
    links: list[dict[str, str]] = []
    pids = parent_units(ctx.table("scores"))
    # every page's tables from one to_html per kind (one per page cost seconds at 2,000 units)
    area_tables = _tables_by(pids, [area_frame(ctx, pid) for pid in pids])
    rects = [rectification_frame(ctx, pid) for pid in pids]
    rect_tables = _tables_by(pids, rects)
    for pid, rect in zip(pids, rects, strict=True):
        row = scores.loc[pid]
        name = str(row["unit_name"])
        sections = [
            {"title": "总体情况", "text": area_lines(ctx, pid, name), "table": None},
            {
                "title": "下属单位得分与报送情况",
                "text": [
                    "四项不足指数0–100，越高越严重；综合得分越高越好。"
                    "每个单位的评分依据见页末的单位画像链接。"
                ],
                "table": area_tables.get(pid) or html_table(None, empty="没有下属单位。"),
            },
        ]
        if rect is not None:
            sections.append(
                {
                    "title": "整改事项",
                    "text": [],
                    "table": rect_tables.get(pid)
                    or html_table(None, empty="下属单位没有整改事项。"),
                }
            )
        kids = children(ctx, pid)
        unit_links = [
            ("../units/" + quote(unit_file_name(u)), str(n))
            for u, n in zip(kids["unit_id"], kids["unit_name"], strict=True)
        ]
        context = page_context(
            ctx.config,
            ctx.round,
            f"辖区情况：{name}",
            crumbs=[("../index.html", "报告目录"), ("../district.html", "全区总体情况")],
            sections=sections,
            unit_links=unit_links,
            banner=ctx.banner,
            parent_href="../units/" + quote(unit_file_name(pid)),
        )
        write_text(out_dir / AREAS_DIR / area_file_name(pid), render("area.html.j2", **context))
        links.append(
            {
                "href": f"{AREAS_DIR}/" + quote(area_file_name(pid)),
                "label": name,
                "type": str(row["unit_type"]),
                "n": str(len(kids)),
            }
        )
    return links
