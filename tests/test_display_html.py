"""The report's HTML tables are written directly, exactly as pandas' `to_html` would.

`html_table` and `html_tables_by` build the table markup themselves (pandas'
formatter cost seconds per 100,000 cells); these tests hold them to pandas'
output on awkward text (markup, ampersands, runs of spaces, tabs and newlines,
ideographic spaces, CJK), so pages look the same and stay escaped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.report.display import display_cells, html_table, html_tables_by


def _pandas_table(df: pd.DataFrame) -> str:
    text = display_cells(df).to_html(index=False, escape=True, border=0, classes="data")
    return f'<div class="table-wrap">{text}</div>'


TEXT = st.text(alphabet=st.sampled_from(list("ab 中文&<>\"'\t\n\r\u3000\xa0;#/")), max_size=12)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(1, 6))
    names = draw(st.lists(TEXT.filter(str.strip), min_size=n_cols, max_size=n_cols, unique=True))
    return pd.DataFrame(
        {c: draw(st.lists(TEXT, min_size=n_rows, max_size=n_rows)) for c in names},
        columns=names,
    )


@settings(max_examples=200, deadline=None)
@given(frames())
def test_html_table_matches_pandas(df: pd.DataFrame) -> None:
    assert html_table(df) == _pandas_table(df)


def test_html_table_matches_pandas_on_display_values() -> None:
    df = pd.DataFrame(
        {
            "单位": ["<script>alert(1)</script>", "A & B", "  前后空格  "],
            "得分": [61.25, np.nan, 3.0],
            "是否": [True, False, None],
            "人数": pd.array([3, None, 12], dtype="Int64"),
            "日期": [pd.Timestamp("2026-07-15"), pd.NaT, pd.Timestamp("2026-08-01 09:30")],
        }
    )
    assert html_table(df) == _pandas_table(df)
    assert "<script>" not in html_table(df)


@settings(max_examples=50, deadline=None)
@given(frames(), st.data())
def test_html_tables_by_is_html_table_of_each_group(df: pd.DataFrame, data: st.DataObject) -> None:
    keys = data.draw(st.lists(st.sampled_from("xyz"), min_size=len(df), max_size=len(df)))
    tables = html_tables_by(df, keys)
    assert set(tables) == set(keys)
    for k, text in tables.items():
        assert text == html_table(df[[key == k for key in keys]])
