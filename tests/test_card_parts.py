"""Unit cards from batch parts say what the per-unit functions (the unit notebook) say,
and a card rendered in a batch equals the same card rendered alone."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.report import commentary as cm
from pipeline.report.act_frames import unit_items_frame, unit_items_lines
from pipeline.report.card_parts import card_parts
from pipeline.report.cards import (
    narrow_to_units,
    render_unit_card,
    unit_change_lines,
    unit_sections,
    write_unit_cards,
)
from pipeline.report.context import open_round
from pipeline.report.display import html_table, html_tables_by
from pipeline.report.frames import explanations_frame, findings_frame
from pipeline.report.trends import round_history, unit_trend_frame
from tests.report_fixtures import EVIL_NAME, make_district


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("parts"), n_units=14)
    return open_round(config.source, "2026-08")


def _no_time(page: str) -> str:
    return re.sub(r"生成时间 [^·]*·", "", page)


def test_html_tables_by_equals_one_table_per_group():
    df = pd.DataFrame(
        {
            "名称<": ["x & y", "", " lead", "two\nlines", '"q"', "a  b", EVIL_NAME],
            "分": [1.0, None, 3.25, float("nan"), 2, 5, 0.05],
            "k": list("ababcab"),
        }
    )
    tables = html_tables_by(df.drop(columns="k"), df["k"].tolist())
    assert set(tables) == {"a", "b", "c"}
    for k, t in tables.items():
        assert t == html_table(df[df["k"] == k].drop(columns="k")), k
    assert html_tables_by(df.iloc[0:0], []) == {}


def test_batch_sections_equal_the_per_unit_functions(ctx):
    ids = ctx.table("scores")["unit_id"].tolist()
    narrow = narrow_to_units(ctx, ids)
    prev = ctx.previous_round.name
    deadline, window = ctx.round.deadline, ctx.config.scoring.deadline_window_days
    history = round_history(ctx)
    for uid in ids:
        by_title = {s.title: s for s in unit_sections(narrow, uid)}
        assert by_title["总体评价"].text == cm.unit_commentary(
            ctx.table("scores"), uid, ctx.thresholds
        )
        findings = ctx.table("findings")
        f = findings_frame(findings, uid).drop(columns=["单位编码", "单位名称"])
        if not f.empty:
            assert by_title["需要改正的填报差错"].table == html_table(f)
            assert by_title["需要改正的填报差错"].text[-1:] == cm.findings_commentary(findings, uid)
        if "评分依据" not in by_title:  # an unscored unit: no charts, no scoring sections
            continue
        assert by_title["评分依据"].table == html_table(
            explanations_frame(ctx.table("explanations"), uid), empty="本单位没有评分说明。"
        )
        acts = ctx.table("activities")
        assert by_title["活动时间分布"].text == cm.timeline_commentary(acts, deadline, window, uid)
        assert by_title["与上一轮比较"].text == unit_change_lines(ctx.table("changes"), uid, prev)
        assert by_title["各轮变化"].table == html_table(unit_trend_frame(history, uid))
        rect = ctx.table("rectification")
        items = by_title["整改事项与复查"]
        assert items.text == unit_items_lines(rect, ctx.table("scores"), uid)
        assert items.table == html_table(
            unit_items_frame(rect, uid), empty="本轮没有需要整改的事项。"
        )


def test_a_card_in_a_batch_equals_the_card_alone(ctx, tmp_path):
    ids = ctx.table("scores")["unit_id"].tolist()
    assert not write_unit_cards(ctx, ids, tmp_path)
    for uid in ids:
        batch = (tmp_path / f"{uid}.html").read_text(encoding="utf-8")
        assert _no_time(batch) == _no_time(render_unit_card(ctx, uid)), uid
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (tmp_path / "U002.html").read_text(
        encoding="utf-8"
    )


def test_parts_are_looked_up_once_per_batch(ctx):
    ids = ctx.table("scores")["unit_id"].tolist()[:5]
    narrow = narrow_to_units(ctx, ids)
    parts = narrow.cache["card_parts"]
    assert parts.units == set(ids)
    assert set(parts.scores) == set(ids)
    # only this batch's rows were rendered
    assert set(parts.explanations) <= set(ids) and set(parts.items) <= set(ids)
    assert card_parts(ctx, ["NO-SUCH-UNIT"]).scores == {}
