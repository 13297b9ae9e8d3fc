"""Check once, fail once: a missing font, folder or kernel stops the report stage before any
notebook."""

from __future__ import annotations

import pytest

from pipeline import cli
from pipeline.doctor import Check
from pipeline.report import build_reports, preflight
from pipeline.report.preflight import ReportPrerequisiteError, check_report_prerequisites
from pipeline.report.runner import NOTEBOOKS_DIR
from tests.report_fixtures import make_district

ROUND = "2026-08"
FONT_FIX = "重新安装项目依赖"


@pytest.fixture
def district(tmp_path):
    return make_district(tmp_path / "d", n_units=4)


def _no_font(monkeypatch):
    monkeypatch.setattr(
        preflight, "font_check", lambda: Check("中文字体", False, "图表无法使用中文字体", FONT_FIX)
    )


def test_all_prerequisites_present(district, tmp_path):
    assert (
        check_report_prerequisites(district, tmp_path / "out", NOTEBOOKS_DIR, ("district.ipynb",))
        == []
    )


def test_missing_font_stops_before_any_notebook(district, tmp_path, monkeypatch):
    _no_font(monkeypatch)
    started = []
    monkeypatch.setattr("pipeline.report.build.run_notebook", lambda job: started.append(job))
    out = tmp_path / "out"
    with pytest.raises(ReportPrerequisiteError) as err:
        build_reports(district, ROUND, out_dir=out)
    assert started == [] and not out.exists()
    assert [p.name for p in err.value.problems] == ["中文字体"]
    assert FONT_FIX in str(err.value)


def test_every_problem_is_named_once(district, tmp_path, monkeypatch):
    _no_font(monkeypatch)
    monkeypatch.setattr(
        preflight,
        "kernel_check",
        lambda name: Check("Jupyter 内核", False, f"未找到 {name}", "make install"),
    )
    readonly = tmp_path / "ro"
    readonly.write_text("a file, not a folder")
    problems = check_report_prerequisites(
        district, readonly / "out", tmp_path / "nowhere", ("district.ipynb",)
    )
    assert [p.name for p in problems] == ["报告 notebook", "报告目录", "Jupyter 内核", "中文字体"]


def test_cli_prints_the_problem_once(district, monkeypatch, capsys):
    _no_font(monkeypatch)
    code = cli.main(["--config", str(district.source), "report", "--round", ROUND])
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED
    assert err.count(FONT_FIX) == 1, err
