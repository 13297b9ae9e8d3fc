"""Unit pages that cannot collide (issue 19, point 6)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_roster import HEADERS

from pipeline.report.build import type_page_name
from pipeline.report.cards import unit_file_name
from pipeline.report.pagename import page_collisions, page_stem
from pipeline.roster import RosterError, read_roster_frame

UNSAFE = [
    "X/1",
    "X_1",
    "X 1",
    "X\\1",
    "X:1",
    "X*1",
    "X?1",
    "X<1",
    "X|1",
    "X..1",
    "../X_1",
    ".X_1",
    "X\x001",
    "x_1~abc",
]


def test_ids_that_differ_only_in_unsafe_characters_get_different_pages():
    names = [unit_file_name(u) for u in UNSAFE]
    assert len(set(names)) == len(UNSAFE)
    assert unit_file_name("X_1") == "X_1.html" and unit_file_name("U001") == "U001.html"
    assert unit_file_name("社区01") == "社区01.html"
    for name in names:
        assert (
            "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")
        )
    assert len(unit_file_name("长" * 500).encode()) < 255


def test_type_pages_use_the_same_rule():
    assert type_page_name("社区") == "type-社区.html"
    assert type_page_name("a/b") != type_page_name("a_b")


def test_collisions_left_are_the_case_of_a_name():
    assert page_collisions(["U1", "u1", "U2", "X/1", "X_1"]) == {"u1": ["U1", "u1"]}
    assert page_stem("X/1") != page_stem("X_1")


def _roster(ids):
    return pd.DataFrame(
        [(u, f"单位{i}", "", "社区", "", "", "是") for i, u in enumerate(ids)], columns=HEADERS
    )


def test_the_roster_takes_unsafe_ids_and_refuses_ids_that_would_share_a_page():
    read_roster_frame(_roster(["X/1", "X_1", "X 1"]))  # distinct pages: accepted
    with pytest.raises(RosterError) as err:
        read_roster_frame(_roster(["SQ01", "sq01", "JD01"]))
    problems = [p for p in err.value.problems if p.code == "page_collision"]
    assert len(problems) == 1 and "SQ01" in problems[0].message and "sq01" in problems[0].message
