"""build_reports end to end on a small fabricated district (real papermill kernel).

One build per module: the unit-type notebook is made to fail for one type, so
the same run shows that the failure is named (notebook and cell) and that
every other report still comes out.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from pipeline.report import build_reports
from pipeline.report.runner import NOTEBOOKS_DIR
from tests.report_fixtures import EVIL_NAME, FORMULA_NAME, make_district

# one worker builds the report set once for the whole module (pytest -n 2 --dist loadgroup)
pytestmark = pytest.mark.xdist_group("report-build")

ROUND = "2026-08"
BROKEN_TYPE = "村"
BOOM = f'if unit_type == "{BROKEN_TYPE}":\n    raise RuntimeError("故意失败")'


def _broken_notebooks(folder: Path) -> Path:
    shutil.copytree(NOTEBOOKS_DIR, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    path = folder / "unit_type.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(BOOM))
    nbformat.write(nb, str(path))
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    config = make_district(root / "district", n_units=6, types=("社区", "村"))
    out = config.paths.reports_round(ROUND)
    (out / "feedback").mkdir(parents=True)
    (out / "feedback" / "社区单位02.xlsx").write_bytes(b"PK")
    (out / "units").mkdir()
    (out / "units" / "GONE.html").write_text("a unit from an earlier run", encoding="utf-8")
    result = build_reports(config, ROUND, jobs=2, notebooks_dir=_broken_notebooks(root / "nb"))
    return config, result, out


def test_failure_names_notebook_and_cell(built):
    _, result, _ = built
    assert len(result.failures) == 1, result.failures
    f = result.failures[0]
    assert f.notebook == f"type-{BROKEN_TYPE}.ipynb"
    assert 'if unit_type == "村"' in f.cell and "单元格 In [" in f.cell
    assert "RuntimeError" in f.error and "故意失败" in f.error
    assert "type-村.ipynb" in result.summary()


def test_other_reports_still_come_out(built):
    _config, result, out = built
    assert result.index == out / "index.html" and result.index.is_file()
    assert str(result.index) in result.summary()
    for name in ("district.html", "type-社区.html", "summary.xlsx"):
        assert (out / name).is_file(), name
    broken = (out / f"type-{BROKEN_TYPE}.html").read_text(encoding="utf-8")
    assert "本报告生成时出错" in broken
    units = sorted(p.stem for p in (out / "units").glob("*.html"))  # GONE.html cleared
    assert (out / "feedback" / "社区单位02.xlsx").is_file()  # ingestion's files are kept
    assert units == [f"U{i:03d}" for i in range(1, 7)]
    assert result.unit_pages == 6
    executed = {p.name for p in (out / "notebooks").glob("*.ipynb")}
    assert executed == {"district.ipynb", "type-社区.ipynb", "type-村.ipynb", "unit-cards-1.ipynb"}
    assert (
        out / "notebooks" / "district.kernel.log"
    ).is_file()  # kernel chatter kept out of the terminal
    index = result.index.read_text(encoding="utf-8")
    assert 'href="district.html"' in index and 'href="units/U001.html"' in index
    assert "feedback/%E7%A4%BE%E5%8C%BA%E5%8D%95%E4%BD%8D02.xlsx" in index and "社区单位02" in index
    assert "有 1 项报告生成失败" in index


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*.html")) + sorted((out / "units").glob("*.html"))


def test_html_is_offline_without_code_and_prints(built):
    _, _, out = built
    for page in _pages(out):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page.name
        refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
        external = [r for r in refs if re.match(r"^(https?:)?//", r)]
        assert not external, (page.name, external[:3])
        assert "@import" not in text and "url(http" not in text
        assert "@media print" in text
        assert "No description has been provided" not in text, page.name
        assert "open_round(" not in text and "import " not in text, page.name
    district = (out / "district.html").read_text(encoding="utf-8")
    # charts inline; nbconvert re-serialises the page (BeautifulSoup sorts attributes)
    charts = re.findall(r'<svg\b[^>]*\bclass="chart"[^>]*>', district)
    assert len(charts) >= 5 and all('aria-label="' in c for c in charts), charts[:2]
    assert "一、报送完整性" in district and "四项不足" in district


def test_unit_text_is_escaped_in_html(built):
    _, _, out = built
    for page in _pages(out):
        text = page.read_text(encoding="utf-8")
        assert EVIL_NAME not in text, page.name
        assert "<b>活动</b>" not in text
    card = (out / "units" / "U002.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "district.html").read_text(
        encoding="utf-8"
    )


def test_summary_xlsx_keeps_formula_like_text_as_text(built):
    import openpyxl

    _, _, out = built
    path = out / "summary.xlsx"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode("utf-8"), name
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["汇总表", "迟报缺报", "填报差错", "通报名单"]
    ws = wb["汇总表"]
    assert ws.freeze_panes == "E3" and ws.auto_filter.ref
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells[FORMULA_NAME].data_type == "s"
    assert cells[EVIL_NAME].data_type == "s"
    assert ws.conditional_formatting, "flags should be highlighted"
    values = [c.value for row in wb["填报差错"].iter_rows() for c in row]
    assert "=1+1" in values and "@SUM(A1)" in values and "-请填写活动主题" in values
    assert ws.column_dimensions["D"].width >= 10


def test_retry_once_when_kernel_does_not_start(tmp_path, monkeypatch):
    import papermill

    from pipeline.report.runner import NotebookJob, run_notebook

    calls = []

    def fake(input_path, output_path, **kwargs):
        calls.append(kwargs["kernel_name"])
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        Path(output_path).write_text("{}", encoding="utf-8")

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    job = NotebookJob(
        "x",
        NOTEBOOKS_DIR / "unit.ipynb",
        tmp_path / "x.ipynb",
        {},
        "grassroots-scorecard",
        60,
        tmp_path,
    )
    outcome = run_notebook(job)
    assert outcome.ok and outcome.attempts == 2 and calls == ["grassroots-scorecard"] * 2


def test_unit_card_failure_is_per_unit(built, tmp_path):
    from pipeline.report.cards import write_unit_cards
    from pipeline.report.context import open_round

    config, _, _ = built
    ctx = open_round(config.source, ROUND)
    failures = write_unit_cards(ctx, ["U001", "NOPE"], tmp_path)
    assert [f["unit_id"] for f in failures] == ["NOPE"]
    assert (tmp_path / "U001.html").is_file()


@pytest.mark.browser
def test_pages_in_headless_chromium(built, tmp_path, chromium):
    from playwright import sync_api as playwright

    _, _, out = built
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
            viewport={"width": 1100, "height": 1400},
        )
        try:
            page = browser.new_page()
            page.route("**/*", guard)
            for target in (out / "index.html", out / "district.html", out / "units" / "U002.html"):
                page.goto(target.as_uri())
                page.wait_for_load_state("load")
                widths = page.evaluate(
                    "Array.from(document.querySelectorAll('img, svg.chart')).map(e =>"
                    " e.tagName == 'IMG' ? (e.complete ? e.naturalWidth : 0)"
                    " : e.getBoundingClientRect().width)"
                )  # charts: PNG images or inline SVG, each drawn with a size
                assert all(w > 0 for w in widths), (target.name, widths)
                if target.name != "index.html":
                    assert widths, target.name
                assert page.evaluate("document.querySelectorAll('script').length") == 0
            page.goto((out / "units" / "U002.html").as_uri())
            # the card's SVG charts keep their text as text, in a Chinese font stack
            texts = page.evaluate(
                "Array.from(document.querySelectorAll('svg.chart text')).map(t =>"
                " [t.textContent, getComputedStyle(t).fontFamily,"
                " t.getBoundingClientRect().width])"
            )
            assert any("本单位" in t for t, _, _ in texts), texts[:5]
            assert all("Noto Sans SC" in f and w > 0 for t, f, w in texts if t.strip()), texts[:5]
            shot = tmp_path / "unit-card.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4")  # prints without the breadcrumbs, charts kept whole
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
            assert (
                page.evaluate("getComputedStyle(document.querySelector('nav.crumbs')).display")
                == "none"
            )
            assert "单位画像" in page.title()
        finally:
            browser.close()
    assert not outside, outside


@pytest.mark.libreoffice
def test_summary_xlsx_converts_with_libreoffice(built, tmp_path, soffice):
    import subprocess

    _, _, out = built
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out / "summary.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "summary.pdf"
    assert pdf.is_file(), proc.stdout + proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


def test_cell_timeout_names_the_cell(tmp_path):
    from pipeline.report.runner import NotebookJob, run_notebook

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "grassroots-scorecard",
        "display_name": "x",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(60)"),
    ]
    src = tmp_path / "slow.ipynb"
    nbformat.write(nb, str(src))
    job = NotebookJob(
        "slow", src, tmp_path / "out" / "slow.ipynb", {}, "grassroots-scorecard", 2, tmp_path
    )
    outcome = run_notebook(job)
    assert not outcome.ok and outcome.attempts == 1
    assert outcome.cell_index == 1 and outcome.cell_source == "import time"
    assert "import time" in outcome.describe()
    assert "单元格执行超过 2 秒" in outcome.error, outcome.error


def test_failed_card_batch_leaves_no_dead_link(built, tmp_path):
    from pipeline.report.build import _placeholder_cards
    from pipeline.report.context import open_round
    from pipeline.report.runner import NotebookOutcome

    config, _, _ = built
    ctx = open_round(config.source, ROUND)
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "U001.html").write_text("written by the batch", encoding="utf-8")
    died = NotebookOutcome(
        "unit-cards-1",
        tmp_path / "unit-cards-1.ipynb",
        False,
        1.0,
        error="DeadKernelError: 内核退出",
    )
    _placeholder_cards(config, ctx, tmp_path, ["U001", "U002"], died)
    assert (tmp_path / "units" / "U001.html").read_text(encoding="utf-8") == "written by the batch"
    page = (tmp_path / "units" / "U002.html").read_text(encoding="utf-8")
    assert "单位画像生成失败" in page and "DeadKernelError" in page and EVIL_NAME not in page


def test_a_second_build_starts_no_card_kernel_for_unchanged_cards(built, tmp_path):
    """The report process computes the same card keys as a kernel (same renderer version),
    so unchanged cards are copied from the card cache and no card batch runs."""
    config, _, out = built
    again = build_reports(config, ROUND, out_dir=tmp_path / "again", jobs=2)
    assert not [k for k in again.timings if k.startswith("unit-cards")], again.timings
    assert again.unit_pages == 6
    assert again.card_cache.get("kept", {}).get("page") == 6, again.card_cache
    for page in sorted((out / "units").glob("*.html")):
        assert (tmp_path / "again" / "units" / page.name).read_bytes() == page.read_bytes()
