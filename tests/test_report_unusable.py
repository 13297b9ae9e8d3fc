"""Pages show the received-but-unusable status: what arrived, when, and why (issue 14.1)."""

from __future__ import annotations

import pandas as pd

from pipeline.report.cards import _findings_section
from pipeline.report.commentary import completeness_commentary
from pipeline.report.context import RoundContext
from pipeline.report.frames import missing_late_frame


def _units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["C0101", "C0102"],
            "unit_name": ["金家村", "苦荞村"],
            "unit_type": ["村", "村"],
            "expected": [True, True],
            "submitted": [False, False],
            "file": pd.Series([None, None], dtype="string"),
            "received_at": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ms, UTC]"),
            "reporting": pd.Series(["received_unusable", "missing"], dtype="string"),
            "unusable_files": pd.Series(["金家村_2026-07.xlsx", None], dtype="string"),
            "unusable_reason": pd.Series(["encrypted", None], dtype="string"),
            "unusable_received_at": pd.Series(
                [pd.Timestamp("2026-07-17 01:30", tz="UTC"), pd.NaT], dtype="datetime64[ms, UTC]"
            ),
        }
    )


def test_unit_page_says_what_arrived_when_and_why():
    findings = pd.DataFrame(
        {
            c: pd.Series([], dtype="string")
            for c in (
                "file",
                "sheet",
                "cell",
                "column",
                "unit_id",
                "severity",
                "code",
                "message",
                "value",
            )
        }
    )
    findings["row"] = pd.Series([], dtype="Int64")
    ctx = RoundContext(
        config=None,
        round=None,
        processed_dir=None,
        tables={"units": _units(), "findings": findings},
    )
    text = _findings_section(ctx, "C0101", submitted=False).text[0]
    assert "金家村_2026-07.xlsx" in text and "2026-07-17 09:30" in text and "文件已加密" in text
    assert "没有收到" not in text
    assert "没有收到" in _findings_section(ctx, "C0102", submitted=False).text[0]


def test_lists_and_commentary_name_the_status_in_chinese():
    frame = missing_late_frame(_units())
    assert list(frame["报送情况"]) == ["未报送", "已报送但无法使用"] or set(frame["报送情况"]) == {
        "未报送",
        "已报送但无法使用",
    }
    comp = pd.DataFrame(
        [
            {
                "level": "district",
                "group": "全区",
                "group_name": "全区",
                "expected": 2,
                "received": 0,
                "on_time": 0,
                "late": 0,
                "unusable": 1,
                "missing": 1,
                "reporting_rate": 0.0,
                "on_time_rate": 0.0,
            }
        ]
    )
    text = "".join(completeness_commentary(comp, _units()))
    assert "已报送但无法使用1个" in text and "报表无法使用、需重新报送：金家村" in text
