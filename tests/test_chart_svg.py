"""Unit-card charts as inline SVG: the template-drawn chart equals the full drawing,
shows the unit's own marks, keeps text as text (escaped) and stays small."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.charts import activity_timeline, unit_profile_chart
from pipeline.charts._style import figure_title
from pipeline.charts.activity import activity_timeline_svg, days_to_deadline
from pipeline.charts.svg import figure_svg, tidy
from pipeline.charts.weakness import unit_profile_svg
from pipeline.config import WEAKNESSES
from pipeline.tables import read_tables
from tests.report_fixtures import make_district

TH = {"uneven_progress": 50, "weak_basics": 50, "unclear_theme": 50, "shallow_understanding": 50}
DEADLINE = date(2026, 8, 28)
NUM = re.compile(r"-?\d+(?:\.\d+)?")
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("svg"), n_units=12)
    return read_tables(config.paths.processed_round("2026-08"))


def _same_drawing(a: str, b: str, tol: float = 0.011) -> bool:
    """The same SVG text except numbers within `tol` (1/100 pt rounding)."""
    if NUM.sub("#", a) != NUM.sub("#", b):
        return False
    pairs = zip(NUM.findall(a), NUM.findall(b), strict=True)
    return all(abs(float(x) - float(y)) <= tol for x, y in pairs)


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # well-formed XML: every text escaped
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def _scored(scores: pd.DataFrame) -> list[str]:
    return scores.loc[scores["scored"].fillna(False).astype(bool), "unit_id"].tolist()


def test_profile_from_the_type_template_equals_the_full_drawing(tables):
    scores = tables["scores"]
    reuse: dict = {}
    ids = _scored(scores)
    for uid in ids:
        fast = unit_profile_svg(scores, uid, TH, reuse=reuse)
        fig = unit_profile_chart(scores, uid, TH)
        assert _same_drawing(fast, figure_svg(fig, figure_title(fig), salt="profile")), uid
    # one template per unit type, reused by every unit of the type, all from one figure
    types = set(scores.set_index("unit_id").loc[ids, "unit_type"])
    assert {k[2] for k in reuse if len(k) == 4 and k[2] != "drawing"} == types
    assert len([k for k in reuse if len(k) == 4 and k[2] == "drawing"]) == 1


def test_profile_shows_the_units_own_values(tables):
    scores = tables["scores"]
    reuse: dict = {}
    for uid in _scored(scores)[:4]:
        svg = unit_profile_svg(scores, uid, TH, reuse=reuse)
        row = scores.set_index("unit_id").loc[uid]
        vals = [float(row[w]) for w in WEAKNESSES if pd.notna(row[w])]
        texts = _texts(svg)
        for v in vals:
            assert f"{v:.0f}" in texts, (uid, v)
        bars = re.findall(r'clip-path="url\(#\w+\)" style="fill: #0072b2"', svg)
        assert len(bars) == len(vals)  # the unit's bars (the legend's sample is not clipped)
        assert "四项不足：本单位与同类单位比较" in texts


def test_profile_of_an_unscored_unit_is_a_note(tables):
    scores = tables["scores"]
    unscored = scores.loc[~scores["scored"].fillna(False).astype(bool), "unit_id"]
    assert len(unscored)
    svg = unit_profile_svg(scores, unscored.iloc[0], TH, reuse={})
    assert _texts(svg) == ["该单位本轮未评分"]


def test_timeline_from_the_district_template_equals_the_full_drawing(tables):
    acts = tables["activities"]
    days = days_to_deadline(acts["date"], DEADLINE)
    reuse: dict = {}
    for uid in tables["scores"]["unit_id"]:
        fast = activity_timeline_svg(acts, DEADLINE, 30, uid, district_days=days, reuse=reuse)
        fig = activity_timeline(acts, DEADLINE, 30, unit_id=uid, district_days=days)
        assert _same_drawing(fast, figure_svg(fig, figure_title(fig), salt="timeline")), uid
    assert len(reuse) == 1  # the district's part drawn once


def test_timeline_draws_one_tick_per_own_activity(tables):
    acts = tables["activities"]
    counts = acts["unit_id"].value_counts()
    uid = counts.index[0]
    own = days_to_deadline(acts.loc[acts["unit_id"] == uid, "date"], DEADLINE)
    n = int(((own >= -120) & (own <= 14)).sum())
    svg = activity_timeline_svg(acts, DEADLINE, 30, uid, reuse={})
    rug = re.findall(r'<use xlink:href="#(m\w+)"', svg)
    marker = max(set(rug), key=rug.count)
    assert rug.count(marker) == n + 1  # n ticks and the legend's sample
    assert f"本单位活动（{n}次，每条竖线一次）" in _texts(svg)
    nothing = activity_timeline_svg(acts, DEADLINE, 30, "NO-SUCH-UNIT", reuse={})
    assert "本单位活动" not in nothing  # no rug, no legend: as the full drawing
    assert "全区活动次数（每周）" in _texts(nothing)


def test_svg_keeps_text_as_text_and_stays_small(tables):
    scores, acts = tables["scores"], tables["activities"]
    uid = _scored(scores)[0]
    for svg, limit in (
        (unit_profile_svg(scores, uid, TH), 15_000),
        (activity_timeline_svg(acts, DEADLINE, 30, uid), 25_000),
    ):
        assert svg.startswith('<svg class="chart" role="img" aria-label="')
        assert len(svg.encode()) < limit, len(svg)
        # no glyph outlines: the only <path id> definitions are markers (ticks, rug)
        assert set(re.findall(r'<path id="(\w)', svg)) <= {"m"}
        assert "Noto Sans SC" in svg and "sans-serif" in svg  # the reader's font draws the text
        assert "<metadata" not in svg and "<?xml" not in svg


def test_svg_text_is_escaped(tables):
    scores = tables["scores"].copy()
    evil = "<b>村&</b>"
    scores.loc[scores["unit_type"] == scores["unit_type"].iloc[0], "unit_type"] = evil
    uid = scores.loc[scores["unit_type"] == evil].pipe(_scored)[0]
    svg = unit_profile_svg(scores, uid, TH)
    assert evil not in svg and "&lt;b&gt;村&amp;&lt;/b&gt;" in svg
    assert f"{evil}类单位中位数" in "".join(_texts(svg))


def test_tidy_never_changes_the_text_between_tags():
    svg = '<svg><text x="1.234567" style="font-size: 9px; font-family: \'A\'">3.14159</text></svg>'
    out = tidy(svg)
    assert '<text x="1.23" style="font-size: 9px">3.14159</text>' in out
    assert np.isclose(float(re.search(r'x="([\d.]+)"', out)[1]), 1.23)
