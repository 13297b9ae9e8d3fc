"""Provisional results: a 临时结果 banner before the deadline or below the reporting share;
no rank among too few."""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest

from pipeline.report.cards import render_unit_card
from pipeline.report.context import open_round
from pipeline.report.provisional import assess, mask_ranks
from pipeline.report.xlsx import write_summary
from pipeline.tables import read_table, write_table
from tests.report_fixtures import make_district

ROUND = "2026-08"
AFTER = date(2026, 9, 30)


@pytest.fixture()
def district(tmp_path):
    return make_district(tmp_path, n_units=20, evil=False)


def _one_reported(config) -> None:
    """Early in the round: one unit of twenty has reported."""
    folder = config.paths.processed_round(ROUND)
    s = read_table(folder, "scores")
    keep = s["unit_id"] == "U001"
    for c in (
        "overall",
        "uneven_progress",
        "weak_basics",
        "unclear_theme",
        "shallow_understanding",
    ):
        s.loc[~keep, c] = pd.NA
    s["scored"] = keep
    s.loc[keep, ["rank", "rank_in_type"]] = 1
    write_table(s, folder, "scores")
    c = read_table(folder, "completeness")
    c.loc[c["level"] == "district", ["received", "reporting_rate"]] = [1, 5.0]
    c.loc[c["level"] == "unit_type", "reporting_rate"] = 5.0
    write_table(c, folder, "completeness")
    ch = read_table(folder, "changes")
    ch["rank_change"] = pd.array([175] * len(ch), dtype="Int64")
    write_table(ch, folder, "changes")


def test_final_results_carry_no_banner(district):
    ctx = open_round(district.source, ROUND, today=AFTER)
    assert not ctx.provisional.active and ctx.banner == ""
    assert ctx.table("scores")["rank"].notna().sum() > 0


def test_before_the_deadline_is_provisional(district):
    ctx = open_round(district.source, ROUND, today=date(2026, 8, 27))
    assert ctx.provisional.active and ctx.banner.startswith("临时结果：")
    assert "截止日期（2026-08-28）未过" in ctx.banner
    assert ctx.table("scores")["rank"].notna().sum() > 0  # everyone reported: ranks stay


def test_low_reporting_share_hides_ranks_and_rank_changes(district):
    _one_reported(district)
    ctx = open_round(district.source, ROUND, today=AFTER)
    assert ctx.provisional.active and "报送率5%，低于90%" in ctx.banner
    assert ctx.table("scores")["rank"].isna().all()
    assert ctx.table("changes")["rank_change"].isna().all()
    html = render_unit_card(ctx, "U001")
    assert "临时结果" in html and "全区第1名" not in html and "名次上升" not in html
    assert "暂不排名" in html


def test_summary_workbook_carries_the_banner(district, tmp_path):
    _one_reported(district)
    ctx = open_round(district.source, ROUND, today=AFTER)
    path = write_summary(
        ctx.tables, tmp_path / "summary.xlsx", ctx.thresholds, "8月检查", banner=ctx.banner
    )
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert str(ws["A1"].value).startswith("临时结果"), ws.title
        assert "临时结果" in ws.oddHeader.right.text
    ranks = [r[0].value for r in wb["汇总表"].iter_rows(min_row=3) if r[0].value is not None]
    assert ranks == []


def test_thin_unit_type_loses_its_rank_in_type_only(district):
    ctx = open_round(district.source, ROUND, today=AFTER)
    prov = assess(ctx.config, ctx.round, ctx.table("completeness"), ctx.table("scores"), AFTER)
    s = ctx.table("scores").copy()
    s.loc[s["unit_type"] == "村", "scored"] = False
    s.loc[s["unit_id"] == s.loc[s["unit_type"] == "村", "unit_id"].iloc[0], "scored"] = True
    prov = assess(ctx.config, ctx.round, ctx.table("completeness"), s, AFTER)
    assert "村" in prov.unranked_types and prov.district_ranked
    masked, _ = mask_ranks(s, None, prov)
    assert masked.loc[masked["unit_type"] == "村", "rank_in_type"].isna().all()
    assert masked.loc[masked["unit_type"] != "村", "rank_in_type"].notna().any()


def test_ranking_chart_says_why_there_is_no_rank(district):
    from pipeline import charts
    from pipeline.report.display import figure_title

    _one_reported(district)
    ctx = open_round(district.source, ROUND, today=AFTER)
    assert "暂不排名" in figure_title(charts.ranking_chart(ctx.table("scores")))


def test_batch_fingerprint_changes_when_the_deadline_passes(district, monkeypatch):
    from pipeline.batch import fingerprint
    from pipeline.report import provisional

    monkeypatch.setattr(provisional, "today_local", lambda: date(2026, 8, 28))
    before = fingerprint.compute_fingerprint(district, ROUND)
    monkeypatch.setattr(provisional, "today_local", lambda: date(2026, 8, 29))
    after = fingerprint.compute_fingerprint(district, ROUND)
    assert before.parts["deadline_passed"] == "False" and after.parts["deadline_passed"] == "True"
    assert before.digest != after.digest


def test_feedback_workbooks_carry_the_banner(district, tmp_path):
    from pipeline.ingest.feedback import write_feedback

    _one_reported(district)
    ctx = open_round(district.source, ROUND, today=AFTER)
    t = ctx.tables
    extra = {"U001": [("整改清单", "整改清单", "本单位整改事项", ["序号"], [[1]], [6])]}
    paths = write_feedback(
        t["findings"],
        t["submissions"],
        t["units"],
        tmp_path / "feedback",
        round_name="8月检查",
        extra_sheets=extra,
        banner=ctx.banner,
    )
    assert paths
    for path in paths:
        for ws in openpyxl.load_workbook(path).worksheets:
            assert str(ws["A2"].value).startswith("临时结果"), (path.name, ws.title)
