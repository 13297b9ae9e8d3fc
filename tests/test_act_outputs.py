"""The action stage's outputs: the 通报 draft (.docx), feedback 整改清单 for every scored unit,
summary sheets."""

from __future__ import annotations

import re
import subprocess

import openpyxl
import pandas as pd
import pytest
from docx import Document

from pipeline.report.context import open_round
from pipeline.report.notice_docx import PHONE, build_notice_docx
from pipeline.report.xlsx import write_summary
from pipeline.tables import read_tables

INJECTED_THEME = '=HYPERLINK("http://x.test","点我")<script>alert(1)</script>'
INJECTED_ACTIVITY = "<b>加装电梯</b>座谈会 @SUM(A1:A9) +1-2"
PLANTED_PHONE = "13912345678"


def _text(doc: Document) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    for s in doc.sections:
        parts += [p.text for p in s.footer.paragraphs]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def second(demo_scored):
    config = demo_scored
    rid = config.rounds_in_order()[1].id
    tables = read_tables(config.paths.processed_round(rid))
    return config, rid, tables


@pytest.fixture(scope="module")
def notice_doc(second, tmp_path_factory):
    config, rid, tables = second
    t = {k: v.copy() for k, v in tables.items()}
    ex = t["exemplary"]
    uid = str(ex["unit_id"].iloc[0])
    # a hostile unit: a theme and an activity that look like formulas / HTML, with a phone number
    t["exemplary"].loc[ex.index[0], "practice"] = f"「{INJECTED_ACTIVITY} 电话{PLANTED_PHONE}」"
    t["exemplary"].loc[ex.index[-1], "practice"] = f"活动主题「{INJECTED_THEME}」"
    path = tmp_path_factory.mktemp("docx") / "通报.docx"
    build_notice_docx(config, rid, t, path)
    return config, rid, tables, uid, path


def test_docx_reads_back_with_notice_and_exemplary_units(notice_doc):
    config, _, tables, _, path = notice_doc
    doc = Document(str(path))
    text = _text(doc)
    assert text.startswith(f"关于{config.campaign.name}")
    notice = tables["notice"]
    assert len(notice) and all(str(n) in text for n in notice["unit_name"])
    assert all(str(n) in text for n in tables["exemplary"]["unit_name"].unique())
    for head in (
        "一、基本情况",
        "二、存在的主要问题",
        "三、表扬",
        "四、通报批评",
        "五、整改要求",
        "附件",
    ):
        assert head in text
    # the annex table: every scored unit with its grade and items
    annex = doc.tables[-1]
    assert [c.text for c in annex.rows[0].cells] == ["序号", "单位", "类型", "等次", "需整改事项"]
    assert len(annex.rows) - 1 == int(tables["scores"]["scored"].sum())
    # plain document: one PAGE field in the footer, no other fields, no macros, no hyperlinks
    body = doc.element.body.xml
    assert "w:fldChar" not in body and "w:fldSimple" not in body and "w:hyperlink" not in body
    assert "PAGE" in doc.sections[0].footer._element.xml
    assert path.suffix == ".docx" and "vbaProject" not in str(doc.part.package.parts)


def test_docx_has_no_personal_data_and_injected_text_is_inert(notice_doc):
    _, _, tables, _, path = notice_doc
    text = _text(Document(str(path)))
    info = tables["info"]
    personal = {
        str(x) for c in ("contact", "secretary", "phone") if c in info for x in info[c].dropna()
    }
    personal = {p for p in personal if len(p) >= 2}
    assert personal, "the demo returns carry contact names and phones"
    leaked = [p for p in personal if p in text]
    assert not leaked, leaked[:5]
    assert PLANTED_PHONE not in text and not PHONE.search(text.replace("号码已隐去", ""))
    assert (
        INJECTED_THEME in text and INJECTED_ACTIVITY in text
    )  # kept verbatim as text, never interpreted


@pytest.mark.libreoffice
def test_docx_converts_to_pdf_with_libreoffice(notice_doc, tmp_path, soffice):
    _, _, _, _, path = notice_doc
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / (path.stem + ".pdf")
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"


def test_every_scored_unit_gets_a_feedback_workbook_with_its_items(second, demo_dir, tmp_path):
    from pipeline.report.build import _action_outputs

    config, rid, tables = second
    ctx = open_round(demo_dir / "scorecard.toml", rid, config.paths.processed_round(rid))
    written = _action_outputs(config, ctx, tmp_path, rid)
    assert any(p.suffix == ".docx" and "通报" in p.name for p in written)
    s = tables["scores"]
    scored = s[s["scored"]]
    books = {p.stem: p for p in (tmp_path / "feedback").glob("*.xlsx")}
    from pipeline.ingest.feedback import safe_filename

    rect = tables["rectification"]
    for r in scored.itertuples():
        book = openpyxl.load_workbook(books[safe_filename(r.unit_name)], read_only=True)
        assert book.sheetnames[:2] == ["退回修改清单", "整改清单"]
        rows = list(book["整改清单"].iter_rows(min_row=5, values_only=True))
        mine = rect[rect["unit_id"] == r.unit_id]
        assert len(rows) == len(mine)
        if len(mine):
            assert set(x[5] for x in rows) == set(mine["status_label"])
            assert all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", str(x[8])) for x in rows)
        book.close()


def test_summary_has_grade_and_rectification_sheets(second, tmp_path):
    config, rid, tables = second
    path = write_summary(
        tables, tmp_path / "summary.xlsx", config.scoring.thresholds.as_dict(), rid
    )
    book = openpyxl.load_workbook(path, read_only=True)
    assert {"等次", "整改情况", "整改率", "典型经验"} <= set(book.sheetnames)
    items = list(book["整改情况"].iter_rows(min_row=3, values_only=True))
    assert len(items) == len(tables["rectification"])
    grades = list(book["等次"].iter_rows(min_row=3, values_only=True))
    assert len(grades) == int(tables["scores"]["scored"].sum())
    rates = pd.DataFrame(list(book["整改率"].iter_rows(min_row=3, values_only=True)))
    assert "全区" in set(rates[0]) and "上轮通报单位" in set(rates[0])
