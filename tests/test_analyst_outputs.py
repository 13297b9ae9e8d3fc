"""The analyst's outputs on one built report set: print layout (PDF page counts)."""

from __future__ import annotations

import math

import pytest

from pipeline.ingest.feedback import write_feedback
from pipeline.report import build_reports
from pipeline.tables import read_tables
from tests.analyst_fixtures import html_to_pdf, make_parented_district, pdf_pages, xlsx_to_pdf

pytestmark = pytest.mark.xdist_group("analyst-build")

ROUND = "2026-08"
N_UNITS = 80


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("analyst")
    config = make_parented_district(root / "district", n_units=N_UNITS)
    result = build_reports(config, ROUND, jobs=2)
    assert not result.failures, result.failures
    return config, result, config.paths.reports_round(ROUND)


@pytest.mark.libreoffice
def test_summary_xlsx_prints_one_page_wide_with_names_on_every_page(built, tmp_path):
    _, _, out = built
    pages = pdf_pages(xlsx_to_pdf(out / "summary.xlsx", tmp_path))
    # 5 sheets; the longest has N_UNITS rows: at least ~30 rows fit an A4 page
    assert len(pages) <= 5 + math.ceil(N_UNITS / 30), len(pages)
    for i, page in enumerate(pages, start=1):
        assert "单位名称" in page or "单位编码" in page, f"page {i} has no unit name column:\n{page[:400]}"
        assert f"第 {i} 页" in page or "第" in page  # footer with page numbers


@pytest.mark.libreoffice
def test_feedback_workbook_prints_on_one_page(built, tmp_path):
    config, _, _ = built
    t = read_tables(config.paths.processed_round(ROUND))
    written = write_feedback(t["findings"], t["submissions"], t["units"], tmp_path / "fb", "8月检查")
    one = next(p for p in written if p.name not in ("未报送单位.xlsx", "未识别单位的文件.xlsx"))
    pages = pdf_pages(xlsx_to_pdf(one, tmp_path))
    assert len(pages) == 1, len(pages)
    assert "问题说明" in pages[0] and "单元格" in pages[0]


@pytest.mark.browser
def test_district_page_prints_with_table_headers_on_every_table_page(built, tmp_path):
    config, _, out = built
    pages = pdf_pages(html_to_pdf(out / "district.html", tmp_path))
    assert len(pages) <= 14, len(pages)
    names = read_tables(config.paths.processed_round(ROUND), ["scores"])["scores"]["unit_name"].tolist()
    for i, page in enumerate(pages, start=1):
        if sum(n in page for n in names if n.isalnum()) >= 5:  # a page of a table of units
            assert "单位名称" in page, f"page {i}: table without its header row"
