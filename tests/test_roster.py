"""The unit roster: loading, validation (every problem at once) and name matching."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.roster import (
    RosterError,
    build_name_index,
    load_roster,
    match_unit,
    normalise_name,
    read_roster_frame,
    roster_to_frame,
)

ROWS = [
    # 单位编码, 单位名称, 别名, 单位类型, 上级单位编码, 业务关键词, 应报
    ("JD01", "河门口街道", "", "街道", "", "", "是"),
    ("SQ0101", "太平社区", "太平", "社区", "JD01", "", "是"),
    ("Z04", "格里坪镇", "格里镇;格里坪", "镇", "", "", "是"),
    ("C0401", "金家村", "", "村", "Z04", "", "是"),
    ("C0402", "苦荞村", "", "村", "Z04", "园区;征地拆迁", "否"),
    ("BM01", "区检察院", "检察院、区人民检察院", "区级部门", "", "司法；公平正义，检察", ""),
    ("QY01", "攀钢集团", "", "企业", "", "钢铁", "是"),
]
HEADERS = ["单位编码", "单位名称", "别名", "单位类型", "上级单位编码", "业务关键词", "应报"]


def frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=HEADERS)


@pytest.fixture(scope="module")
def roster() -> pd.DataFrame:
    return read_roster_frame(frame())


@pytest.fixture(scope="module")
def index(roster):
    return build_name_index(roster)


def check_roster(r: pd.DataFrame) -> None:
    assert list(r.columns) == [
        "unit_id",
        "unit_name",
        "aliases",
        "unit_type",
        "parent_id",
        "keywords",
        "expected",
    ]
    assert list(r["unit_id"]) == [row[0] for row in ROWS]
    by_id = r.set_index("unit_id")
    assert by_id.loc["Z04", "aliases"] == ["格里镇", "格里坪"]
    assert by_id.loc["BM01", "aliases"] == ["检察院", "区人民检察院"]
    assert by_id.loc["BM01", "keywords"] == ["司法", "公平正义", "检察"]
    assert by_id.loc["C0402", "keywords"] == ["园区", "征地拆迁"]
    assert by_id.loc["JD01", "aliases"] == []
    assert by_id.loc["SQ0101", "parent_id"] == "JD01"
    assert pd.isna(by_id.loc["JD01", "parent_id"])
    assert not by_id.loc["C0402", "expected"]
    assert bool(by_id.loc["BM01", "expected"]) is True  # empty 应报 means 是
    assert r["expected"].dtype == bool
    assert str(r["unit_id"].dtype) == "string"


def test_loads_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    frame().to_excel(path, index=False)
    check_roster(load_roster(path))


def test_loads_csv(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    frame().to_csv(path, index=False, encoding="utf-8-sig")
    check_roster(load_roster(path))


def test_ids_with_leading_zeros_stay_text(tmp_path: Path) -> None:
    rows = [("0101", "太平社区", "", "社区", "", "", "是")]
    path = tmp_path / "roster.csv"
    frame(rows).to_csv(path, index=False)
    assert list(load_roster(path)["unit_id"]) == ["0101"]


def test_headers_with_spaces_and_full_width(tmp_path: Path) -> None:
    df = frame().rename(columns={"单位名称": " 单位 名称 ", "单位类型": "单位类型　"})
    check_roster(read_roster_frame(df))


def test_round_trip_through_roster_to_frame(roster) -> None:
    again = read_roster_frame(roster_to_frame(roster).replace({"": None}))
    pd.testing.assert_frame_equal(again, roster)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as info:
        load_roster(tmp_path / "none.xlsx")
    assert [p.code for p in info.value.problems] == ["missing_file"]


def test_missing_columns_listed_together() -> None:
    with pytest.raises(RosterError) as info:
        read_roster_frame(frame().drop(columns=["单位类型", "单位编码"]))
    assert sorted((p.code, p.column) for p in info.value.problems) == [
        ("missing_column", "单位类型"),
        ("missing_column", "单位编码"),
    ]


def test_every_problem_listed_at_once() -> None:
    rows = [
        *ROWS,
        ("JD01", "大渡口街道", "", "街道", "", "", "是"),  # duplicate id
        ("SQ0201", "炳草岗社区", "", "居委会", "JD01", "", "是"),  # unknown type
        ("SQ0301", "弄弄坪社区", "", "社区", "JD99", "", "是"),  # unknown parent
        ("A1", "甲村", "", "村", "A2", "", "是"),  # cycle A1 -> A2 -> A1
        ("A2", "乙村", "", "村", "A1", "", "是"),
        ("A3", "丙村", "", "村", "A1", "", "是"),  # hangs below the cycle: not a second cycle
        ("C0403", "金家村委会", "", "村", "Z04", "", "是"),  # same name as C0401 once normalised
        ("C0404", "新村", "", "村", "Z04", "", "也许"),  # bad 应报
        ("", "无编码村", "", "村", "", "", "是"),  # missing id
    ]
    with pytest.raises(RosterError) as info:
        read_roster_frame(frame(rows))
    problems = info.value.problems
    codes = sorted(p.code for p in problems)
    assert codes == sorted(
        [
            "duplicate_id",
            "unknown_type",
            "unknown_parent",
            "parent_cycle",
            "ambiguous_name",
            "bad_expected",
            "missing_id",
        ]
    )
    by_code = {p.code: p for p in problems}
    assert by_code["duplicate_id"].row == len(ROWS) + 2  # the second occurrence, header = row 1
    assert "JD01" in by_code["duplicate_id"].message
    assert (
        by_code["unknown_type"].column == "单位类型" and "居委会" in by_code["unknown_type"].message
    )
    assert "JD99" in by_code["unknown_parent"].message
    assert "A1" in by_code["parent_cycle"].message and "A2" in by_code["parent_cycle"].message
    assert (
        "C0401" in by_code["ambiguous_name"].message
        and "C0403" in by_code["ambiguous_name"].message
    )
    text = str(info.value)
    assert f"{len(problems)} 处问题" in text
    for p in problems:
        assert p.message in text


def test_self_parent_is_a_cycle() -> None:
    rows = [*ROWS, ("X1", "自环村", "", "村", "X1", "", "是")]
    with pytest.raises(RosterError) as info:
        read_roster_frame(frame(rows))
    assert [p.code for p in info.value.problems] == ["parent_cycle"]


@pytest.mark.parametrize(
    ("written", "unit_id", "how"),
    [
        ("河门口街道", "JD01", "exact"),
        (" 河门口街道 ", "JD01", "exact"),
        ("格里镇", "Z04", "alias"),  # old name, kept as an alias
        ("格里坪", "Z04", "alias"),
        ("河门口街办", "JD01", "normalised"),
        ("河门口街道办事处", "JD01", "normalised"),
        ("河门口街道办", "JD01", "normalised"),
        ("金家村委会", "C0401", "normalised"),
        ("金家村村民委员会", "C0401", "normalised"),
        ("金家村村委会", "C0401", "normalised"),
        ("金家村村委", "C0401", "normalised"),
        ("太平居委会", "SQ0101", "normalised"),
        ("太平社区居委会", "SQ0101", "normalised"),
        ("太平社区居民委员会", "SQ0101", "normalised"),
        ("河门口 街道", "JD01", "normalised"),
        ("ＱＹ攀钢集团", None, None),
    ],
)
def test_match_unit(index, written: str, unit_id: str | None, how: str | None) -> None:
    m = match_unit(written, index)
    if unit_id is None:
        assert m.unit_id is None
    else:
        assert (m.unit_id, m.how) == (unit_id, how)


def test_near_miss_is_not_merged_but_has_candidates(index) -> None:
    m = match_unit("格里平镇", index)  # a typo
    assert m.unit_id is None
    assert m.how == "near_miss"
    assert m.candidates and m.candidates[0].unit_id == "Z04"
    assert m.candidates[0].unit_name == "格里坪镇"
    assert 0 < m.candidates[0].score <= 100


def test_unknown_name_has_no_candidates(index) -> None:
    m = match_unit("东风农场", index)
    assert (m.unit_id, m.how, m.candidates) == (None, "none", ())


def test_empty_name(index) -> None:
    assert match_unit("", index).how == "none"
    assert match_unit(None, index).how == "none"  # type: ignore[arg-type]


def test_normalise_name() -> None:
    assert normalise_name("河门口街道办事处") == normalise_name("河门口街办") == "河门口街道"
    assert normalise_name("金家村委会") == "金家村"
    assert normalise_name("（太平）社区") == "太平社区"
    assert normalise_name("格里坪镇人民政府") == "格里坪镇"
