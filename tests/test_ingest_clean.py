"""Cell cleaners: dates, numbers, yes/no, choices, text, headers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipeline.form import load_form
from pipeline.ingest.clean import (
    choice_lookup,
    clean_choice,
    clean_date,
    clean_integer,
    clean_number,
    clean_text,
    clean_yesno,
    map_headers,
    normalise_header,
    yesno_lookup,
)

FORM = load_form(1)


@pytest.mark.parametrize(
    "raw",
    [
        date(2026, 7, 15),
        datetime(2026, 7, 15, 9, 30),
        46218,
        46218.0,
        "46218",
        "2026年7月15日",
        "2026年07月15日",
        "２０２６年７月１５日",
        "2026.7.15",
        "2026/7/15",
        "2026-07-15",
        "2026-07-15 00:00:00",
        " 2026 年 7 月 15 日 ",
        "20260715",
        "7月15日",
        "7月15号",
    ],
)
def test_every_date_style_gives_the_same_day(raw):
    assert clean_date(raw, 2026).value == date(2026, 7, 15)
    assert clean_date(raw, 2026).code is None


@pytest.mark.parametrize("raw", ["昨天", "2026-13-01", "2月30日", True, 12, "7/15/26x"])
def test_bad_dates_are_flagged(raw):
    c = clean_date(raw, 2026)
    assert c.value is None and c.code == "bad_date"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_is_not_a_problem(raw):
    for fn in (lambda v: clean_date(v, 2026), clean_integer, clean_number, clean_text):
        c = fn(raw)
        assert c.value is None and c.code is None


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        ("１２", 12),
        ("12人", 12),
        ("12 人", 12),
        ("3份", 3),
        ("1,200", 1200),
        (" 7 ", 7),
        ("５次", 5),
    ],
)
def test_integers_in_every_style(raw, want):
    c = clean_integer(raw)
    assert c.code is None and c.value == want and isinstance(c.value, int)


@pytest.mark.parametrize("raw", ["十二", "12.5", 12.5, "abc", True, "1-2", "80%", "85％"])
def test_bad_integers(raw):
    c = clean_integer(raw)
    assert c.code == "bad_number" and c.value is None


def test_numbers_and_percent():
    assert clean_number("80%").value == 80
    assert clean_number("３.５").value == 3.5
    assert clean_number("x").code == "bad_number"


@pytest.mark.parametrize("raw", ["是", "√", "✓", "Y", "y", "yes", "有", "Ｙ", " 是 ", True, 1])
def test_yes_styles(raw):
    assert clean_yesno(raw, yesno_lookup(FORM.yes, FORM.no)).value is True


@pytest.mark.parametrize("raw", ["否", "×", "✗", "N", "n", "no", "无", "没有", False, 0])
def test_no_styles(raw):
    assert clean_yesno(raw, yesno_lookup(FORM.yes, FORM.no)).value is False


def test_bad_yesno():
    assert clean_yesno("也许", yesno_lookup(FORM.yes, FORM.no)).code == "bad_yesno"


def test_text_stays_exactly_as_typed():
    for raw in [
        "=1+1",
        "+86 123",
        "-5",
        "@x",
        "<b>x</b>",
        "<script>alert(1)</script>",
        "0812123",
        "  spaced  ",
    ]:
        assert clean_text(raw).value == raw
    # a phone a reader typed as a number is put back without a decimal point
    assert clean_text(13800000000.0).value == "13800000000"


def test_choices_tolerate_spaces_width_and_quotes():
    actions = FORM.sheet("actions").column("action")
    lookup = choice_lookup(actions.choices)
    assert clean_choice("开展“五个好”创建", lookup).value == '开展"五个好"创建'
    assert clean_choice(" 成立活动 领导小组 ", lookup).value == "成立活动领导小组"
    assert clean_choice("成立领导小组", lookup).code == "bad_choice"
    stage = choice_lookup(FORM.sheet("actions").column("stage").choices)
    assert clean_choice("第二阶段", stage).value == "第二阶段"


def test_headers_map_despite_spaces_width_units_and_order():
    spec = FORM.sheet("activities")
    cells = [
        "活动名称",
        "参加人数（人）",
        " 日 期 ",
        "活动载体",
        "是否结合业务工作",
        "群众参与",
        "宣传报道",
        "其它列",
    ]
    mapping = map_headers(cells, spec.columns)
    assert mapping == {
        0: "name",
        1: "participants",
        2: "date",
        3: "format",
        4: "tied_to_work",
        5: "public_participation",
        6: "publicity",
    }
    assert normalise_header("参加人数(人)") == normalise_header("参加人数") == "参加人数"
    assert normalise_header("＊活动名称") == "活动名称"


def test_headers_with_a_missing_optional_column():
    spec = FORM.sheet("actions")
    mapping = map_headers(["序号", "规定动作", "完成情况", "完成日期"], spec.columns)
    assert set(mapping.values()) == {"seq", "action", "status", "done_date"}


def test_a_header_containing_a_spec_header():
    spec = FORM.sheet("activities")
    mapping = map_headers(["活动日期", "活动名称", "活动载体", "参加人数"], spec.columns)
    assert mapping == {0: "date", 1: "name", 2: "format", 3: "participants"}
