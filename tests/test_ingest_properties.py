"""Property tests: random cell values of every column kind through length limits, cleaning and
validation (issue 19, point 10). Nothing raises; every value not kept has a finding; no kept
text is longer than its column allows."""

from __future__ import annotations

import math
from datetime import date, datetime, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.form import load_form
from pipeline.ingest.clean import is_blank
from pipeline.ingest.lengths import cut_layout
from pipeline.ingest.sheets import Layout, RawRow
from pipeline.ingest.validate import Context, validate_keyvalue, validate_table

FORM = load_form(1)
CTX = Context.build("r.xlsx", 2026, date(2026, 5, 1), FORM)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# what calamine can hand over for a cell: text, numbers, bools, dates, times, nothing
TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789.-/年月日 ", max_size=12),
    st.sampled_from(
        [
            "是",
            "否",
            "√",
            "×",
            "已完成",
            "进行中",
            "2026-07-01",
            "7月2日",
            "=1+1",
            "#N/A",
            " ",
            "合计",
        ]
    ),
    st.builds(lambda n, c: c * n, st.integers(150, 3000), st.sampled_from(["长", "x", "😀"])),
)
VALUES = st.one_of(
    st.none(),
    TEXTS,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(date(1800, 1, 1), date(2200, 1, 1)),
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
    st.times(),
)


def _layout(spec, rows: list[list[object]], keyvalue: bool) -> Layout:
    keys = [c.key for c in spec.columns]
    raw = [
        RawRow(i + 1, {k: (v, j) for j, (k, v) in enumerate(zip(keys, vals, strict=False))})
        for i, vals in enumerate(rows)
    ]
    if keyvalue:  # one field per row, the value in column B
        raw = [
            RawRow(i + 1, {k: (vals[0], 1)})
            for i, (k, vals) in enumerate(zip(keys, rows, strict=False))
        ]
    return Layout(None if keyvalue else 0, {} if keyvalue else dict(enumerate(keys)), [], raw)


def _kept(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _check(spec, layout: Layout, records: list[dict], findings: list[dict], keyvalue: bool) -> None:
    header = {c.key: c.header for c in spec.columns}
    limit = {c.key: c.max_chars for c in spec.columns}
    by_row = {r["row"]: r for r in records}
    for rec in records:
        for key, value in rec.items():
            if isinstance(value, str) and key in limit:
                assert len(value) <= limit[key], (key, len(value))
    for raw in layout.rows:
        for key, (value, _) in raw.cells.items():
            if is_blank(value):
                continue
            rec = records[0] if keyvalue and records else by_row.get(raw.row + 1)
            here = [f for f in findings if f["row"] == raw.row + 1]
            if rec is None:  # the whole row was not taken: a finding says so
                assert any(f["row_rejected"] for f in here), (raw, findings)
            elif not _kept(rec.get(key)):
                assert any(f["column"] == header[key] for f in here), (key, value, findings)


@SETTINGS
@given(st.data())
def test_table_sheets_never_raise_and_every_dropped_value_has_a_finding(data):
    for spec in FORM.data_sheets:
        if spec.kind != "table":
            continue
        rows = data.draw(
            st.lists(
                st.lists(VALUES, min_size=len(spec.columns), max_size=len(spec.columns)), max_size=4
            ),
            label=spec.table,
        )
        layout = _layout(spec, rows, keyvalue=False)
        findings = cut_layout(CTX, spec.name, spec, layout, {})
        records, more, n = validate_table(CTX, spec.name, spec, layout)
        assert n == len(rows)
        _check(spec, layout, records, findings + more, keyvalue=False)


@SETTINGS
@given(st.data())
def test_keyvalue_sheets_never_raise_and_every_dropped_value_has_a_finding(data):
    for spec in FORM.data_sheets:
        if spec.kind != "keyvalue":
            continue
        rows = data.draw(
            st.lists(
                st.lists(VALUES, min_size=1, max_size=1),
                min_size=len(spec.columns),
                max_size=len(spec.columns),
            ),
            label=spec.table,
        )
        layout = _layout(spec, rows, keyvalue=True)
        findings = cut_layout(CTX, spec.name, spec, layout, {})
        rec, more, _ = validate_keyvalue(CTX, spec.name, spec, layout)
        _check(spec, layout, [rec] if rec else [], findings + more, keyvalue=True)


def test_times_of_day_are_values_too():
    assert isinstance(time(1, 2), time)  # calamine gives datetime.time for time-only cells
