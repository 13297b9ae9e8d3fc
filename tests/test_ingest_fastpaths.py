"""The reader's quick paths give the results of the exact ones (issue 17: speed, same results).

Each quick path is checked against what it stands in for: the bulk extent
pass against the exact scan, the formula byte scan against the XML parse,
the bound column cleaner against `_clean`, the one-pass total/footer test
against the two rules it joins, and the pool threshold against the pool.
The whole-round comparison old code vs new is `benchmarks/ingest_same.py`.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, datetime, time

import pytest
from test_ingest_support import make_config, make_return

from pipeline.executors import InlineExecutor, is_cold_pool, open_executor
from pipeline.form import load_form
from pipeline.ingest import ingest_round
from pipeline.ingest.clean import is_blank, normalise_header
from pipeline.ingest.extent import check_part, within_limits
from pipeline.ingest.formulas import uncached_formulas
from pipeline.ingest.package import Package
from pipeline.ingest.read import Limits, ReadError
from pipeline.ingest.sheets import _FOOTER, _total_or_footer
from pipeline.ingest.validate import Context, _clean, cleaner
from pipeline.roster import normalise_text

FORM = load_form(1)


def _sheet_xml(cells: list[str], rows: list[int], dim: str | None = None) -> bytes:
    body = "".join(f'<row r="{r}"/>' for r in rows) + "".join(
        f'<c r="{ref}"><v>1</v></c>' for ref in cells
    )
    d = f'<dimension ref="{dim}"/>' if dim else ""
    return f"<worksheet>{d}<sheetData>{body}</sheetData></worksheet>".encode()


def _exact_passes(xml: bytes, limits: Limits) -> bool:
    try:
        check_part(io.BytesIO(xml), "s", limits)
    except ReadError:
        return False
    return True


@pytest.mark.parametrize("seed", range(40))
def test_the_bulk_extent_pass_never_lets_through_what_the_exact_scan_refuses(seed):
    rnd = random.Random(seed)
    limits = Limits(max_rows=rnd.choice([50, 100, 20000]), max_columns=rnd.choice([4, 26, 256]))
    letters = ["A", "Z", "AA", "AZ", "IV", "XFD", "b"]
    cells = [f"{rnd.choice(letters)}{rnd.randint(1, 300)}" for _ in range(rnd.randint(0, 30))]
    rows = [rnd.randint(1, 300) for _ in range(rnd.randint(0, 5))]
    dim = rnd.choice([None, "A1:C3", "A1:XFD1048576", f"A1:{rnd.choice(letters)}90"])
    xml = _sheet_xml(cells, rows, dim)
    exact = _exact_passes(xml, limits)
    quick = within_limits(io.BytesIO(xml), limits)
    assert not quick or exact, (xml, limits)  # quick says fine only when the exact scan does
    if exact and dim in (None, "A1:C3"):  # and on plain sheets it agrees (no needless rescans)
        assert quick


def test_a_number_too_long_for_int_goes_to_the_exact_scan():
    xml = _sheet_xml([], [1]).replace(b"<sheetData>", b'<x r="' + b"9" * 5000 + b'"/><sheetData>')
    assert within_limits(io.BytesIO(xml), Limits()) is False
    assert _exact_passes(xml, Limits())


def _xlsx_with(sheet_xml: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buf.getvalue()


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.mark.parametrize(
    "body, found",
    [
        ('<c r="B2"><f>HYPERLINK("x","学习")</f></c>', {(1, 1): '=HYPERLINK("x","学习")'}),
        ('<c r="B2"><f>1+1</f><v>2</v></c>', None),  # cached: not reported
        ('<c r="C3"><v>1</v></c>', None),  # no formula: the parse is skipped
        ('<c r="A1"><f t="shared" ref="A1:A2" si="0">A9</f></c>', {(0, 0): "=A9"}),
    ],
)
def test_the_formula_byte_scan_skips_only_sheets_without_formulas(body, found):
    data = _xlsx_with(f"<worksheet {NS}><sheetData><row r='1'>{body}</row></sheetData></worksheet>")
    got = uncached_formulas(data, ["S"], Package(data))
    assert got == ({"S": found} if found else {})
    assert got == uncached_formulas(data, ["S"])  # with or without a shared package


def test_a_prefixed_or_utf16_sheet_still_goes_to_the_parser():
    x = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = f'<x:worksheet xmlns:x="{x}"><x:sheetData><x:row><x:c r="A1"><x:f>1+2</x:f></x:c>'
    xml += "</x:row></x:sheetData></x:worksheet>"
    assert uncached_formulas(_xlsx_with(xml.encode()), ["S"]) == {"S": {(0, 0): "=1+2"}}
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16")
    assert uncached_formulas(_xlsx_with(utf16), ["S"]) == {"S": {(0, 0): "=1+2"}}


VALUES = [
    None,
    "",
    "  ",
    "是",
    "否",
    "是的",
    "没做",
    "已完成",
    "已 完 成",
    "进行中",
    "12",
    "１２",
    "12人",
    "80%",
    "1,200",
    "十二",
    "-3",
    "2026年7月15日",
    "7月15日",
    "20260715",
    "46000",
    "x",
    0,
    1,
    2,
    12,
    -1,
    99999,
    0.0,
    -0.0,
    1.0,
    12.5,
    46000.0,
    float("nan"),
    True,
    False,
    date(2026, 7, 15),
    datetime(2026, 7, 15, 10, 30),
    time(10, 30),
]


def test_the_bound_cleaner_equals_clean_for_every_column_and_value():
    ctx = Context.build("r.xlsx", 2026, date(2026, 5, 1), FORM)
    for spec in FORM.data_sheets:
        for col in spec.columns:
            clean = cleaner(ctx, spec, col)
            for _ in range(2):  # the second time from what was kept
                for v in VALUES:
                    assert repr(clean(v)) == repr(_clean(ctx, spec, col, v)), (col.key, v)


def _is_total(cells, markers):
    for v in cells:
        if isinstance(v, str) and v.strip():
            return normalise_text(v) in markers
        if not is_blank(v):
            return False
    return False


def _is_footer(cells):
    filled = [v for v in cells if not is_blank(v)]
    return 0 < len(filled) <= 3 and isinstance(filled[0], str) and bool(_FOOTER.match(filled[0]))


@pytest.mark.parametrize("seed", range(30))
def test_the_one_pass_total_or_footer_test_is_the_two_rules(seed):
    rnd = random.Random(seed)
    markers = {normalise_text(m) for m in FORM.total_row_markers}
    pool = [
        "",
        " ",
        None,
        "合计",
        "总 计",
        "填表人：张三",
        "注:无",
        "活动",
        3,
        0.0,
        date(2026, 7, 1),
    ]
    for _ in range(50):
        cells = [rnd.choice(pool) for _ in range(rnd.randint(0, 6))]
        assert _total_or_footer(cells, markers) == (
            _is_total(cells, markers) or _is_footer(cells)
        ), cells


def test_normalise_header_keeps_its_rules():
    assert normalise_header("活动日期（年月日）") == normalise_header("活动日期")
    assert normalise_header("x" * 64) == ""
    assert normalise_header("  ") == "" and normalise_header(None) == ""
    assert normalise_header(12) == "12"


def test_a_small_round_is_not_read_by_a_cold_pool(tmp_path):
    """Below `pool_min_files` a cold pool is left alone (its workers never start)."""
    cfg = make_config(tmp_path)
    make_return(cfg.paths.raw_round("2026-07") / "太平社区.xlsx")
    with open_executor(2) as pool:
        assert is_cold_pool(pool)
        res = ingest_round(cfg, "2026-07", executor=pool, progress=False)
        assert is_cold_pool(pool)  # no worker was started for one file
    assert (res.tables["submissions"]["status"] == "accepted").all()
    assert not is_cold_pool(InlineExecutor())


def test_a_round_at_the_threshold_uses_the_pool(tmp_path):
    cfg = make_config(tmp_path)
    src = cfg.source.read_text(encoding="utf-8")
    cfg.source.write_text(
        re.sub(r"pool_min_files = \d+", "pool_min_files = 1", src), encoding="utf-8"
    )
    from pipeline.config import load_config

    cfg = load_config(cfg.source)
    assert cfg.ingest.pool_min_files == 1
    make_return(cfg.paths.raw_round("2026-07") / "太平社区.xlsx")
    with open_executor(2) as pool:
        res = ingest_round(cfg, "2026-07", executor=pool, progress=False)
        assert not is_cold_pool(pool)  # one file, threshold 1: the pool read it
    assert (res.tables["submissions"]["status"] == "accepted").all()
