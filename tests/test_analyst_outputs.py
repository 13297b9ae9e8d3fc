"""The analyst's outputs on one built report set: print layout (PDF page counts)."""

from __future__ import annotations

import math
import re
from html import escape as html_escape

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
        assert "单位名称" in page or "单位编码" in page, (
            f"page {i} has no unit name column:\n{page[:400]}"
        )
        assert f"第 {i} 页" in page or "第" in page  # footer with page numbers


@pytest.mark.libreoffice
def test_feedback_workbook_prints_on_one_page(built, tmp_path):
    config, _, _ = built
    t = read_tables(config.paths.processed_round(ROUND))
    written = write_feedback(
        t["findings"], t["submissions"], t["units"], tmp_path / "fb", "8月检查"
    )
    one = next(p for p in written if p.name not in ("未报送单位.xlsx", "未识别单位的文件.xlsx"))
    pages = pdf_pages(xlsx_to_pdf(one, tmp_path))
    assert len(pages) == 1, len(pages)
    assert "问题说明" in pages[0] and "单元格" in pages[0]


@pytest.mark.browser
def test_district_page_prints_with_table_headers_on_every_table_page(built, tmp_path):
    config, _, out = built
    # Charts keep their text as text (unit names on a heatmap's axis): hide it in a
    # copy beside the page so that only the tables' own text is counted below. The
    # layout is unchanged (visibility keeps every box), so the pages break alike.
    page = (out / "district.html").read_text(encoding="utf-8")
    hidden = "<style>svg text { visibility: hidden; }</style></head>"
    probe = out / "district-tables-only.html"
    probe.write_text(page.replace("</head>", hidden, 1), encoding="utf-8")
    try:
        pages = pdf_pages(html_to_pdf(probe, tmp_path))
    finally:
        probe.unlink()
    assert len(pages) <= 18, len(pages)  # 184 units; grew with the 整改/典型/满意度 sections
    names = read_tables(config.paths.processed_round(ROUND), ["scores"])["scores"][
        "unit_name"
    ].tolist()
    table_pages = [
        i
        for i, text in enumerate(pages, start=1)
        if sum(n in text for n in names if n.isalnum()) >= 5  # a page of a table of units
    ]
    assert len(table_pages) >= 2, table_pages  # the unit table spans pages
    for i in table_pages:
        assert "单位名称" in pages[i - 1], f"page {i}: table without its header row"


# --- pages per 街道 and 镇 ----------------------------------------------------


def test_area_pages_for_every_parent_unit(built):
    config, _, out = built
    scores = read_tables(config.paths.processed_round(ROUND), ["scores"])["scores"]
    parents = set(scores["parent_id"].dropna())
    assert parents and len(parents) == 4  # two 街道 and two 镇 have sub-units
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "辖区情况" in index
    for pid in parents:
        page = out / "areas" / f"{pid}.html"
        html = page.read_text(encoding="utf-8")
        assert f"areas/{pid}.html" in index
        kids = scores[scores["parent_id"] == pid]
        for name in kids["unit_name"]:
            assert html_escape(name, quote=False) in html
        others = scores[(scores["parent_id"] != pid) & scores["parent_id"].notna()]["unit_name"]
        assert not any(f"<td>{html_escape(n, quote=False)}</td>" in html for n in others)
        assert (
            "报送率" in html and "整改事项" not in html
        )  # no rectification table in this district


def test_area_page_shows_rectification_items_when_the_table_exists(built, tmp_path):
    import pandas as pd

    from pipeline.report.areas import rectification_frame
    from pipeline.report.context import open_round
    from pipeline.tables import write_table

    config, _, _ = built
    ctx = open_round(config.source, ROUND)
    pid = ctx.table("scores")["parent_id"].dropna().iloc[0]
    kid = ctx.table("scores").loc[ctx.table("scores")["parent_id"] == pid, "unit_id"].iloc[0]
    folder = tmp_path / "p"
    for name, t in ctx.tables.items():
        write_table(t, folder, name)
    write_table(
        pd.DataFrame(
            {
                "unit_id": [kid, "NOT-MINE"],
                "weakness": ["weak_basics", "weak_basics"],
                "status": ["open", "open"],
            }
        ),
        folder,
        "rectification",
    )
    ctx = open_round(config.source, ROUND, processed_dir=folder)
    rect = rectification_frame(ctx, pid)
    assert (
        rect is not None
        and len(rect) == 1
        and "单位名称" in rect.columns
        and "基础较薄弱" in rect["不足"].tolist()
    )


# --- the one-page briefing ----------------------------------------------------


def test_briefing_is_the_first_link_of_index(built):
    _, _, out = built
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"', index.split("<main>", 1)[1])
    assert links[0] == "briefing.html"
    html = (out / "briefing.html").read_text(encoding="utf-8")
    for label in (
        "报送率",
        "拟通报单位",
        "进展不平衡",
        "基础较薄弱",
        "主题不鲜明",
        "认识不够深",
        "拟通报名单",
    ):
        assert label in html, label
    assert "比上一轮" in html or "与上一轮持平" in html  # change since the previous round
    assert html.count("<img") >= 2


@pytest.mark.browser
def test_briefing_pdf_fits_two_a4_pages(built, tmp_path):
    _, _, out = built
    pdf = out / "briefing.pdf"
    if not pdf.is_file():  # built without a browser: print the HTML here
        pdf = html_to_pdf(out / "briefing.html", tmp_path)
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2, len(pages)
    assert "报送率" in pages[0]


# --- trends over every round ---------------------------------------------------


def test_unit_card_shows_every_round(built):
    _, _, out = built
    html = (out / "units" / "U001.html").read_text(encoding="utf-8")
    assert "各轮变化" in html and "<svg" in html
    section = html.split("各轮变化", 1)[1]
    assert "7月调研" in section and "8月检查" in section


def test_district_page_shows_weaknesses_round_by_round(built):
    _, _, out = built
    html = (out / "district.html").read_text(encoding="utf-8")
    assert "四项不足逐轮变化" in html
    section = html.split("四项不足逐轮变化", 1)[1]
    assert "7月调研" in section and "基础较薄弱预警" in section
