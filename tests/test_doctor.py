"""`scorecard doctor`: checks come back as data with fixes; problems are reported, never raised."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import doctor
from pipeline.doctor import Check, print_report, run_doctor

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def repo_checks() -> list[Check]:
    return run_doctor(str(REPO / "scorecard.toml"))


@pytest.fixture
def fast(monkeypatch):
    """Skip importing every dependency (slow) where a test does not look at it."""
    monkeypatch.setattr(doctor, "_dependencies", lambda: Check("依赖包", True, "skipped"))


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_repo_config_checks(repo_checks: list[Check]) -> None:
    names = [c.name for c in repo_checks]
    for expected in (
        "Python 版本",
        "依赖包",
        "Jupyter 内核",
        "中文字体",
        "配置文件",
        "单位名册",
        "LibreOffice",
        "Chromium",
    ):
        assert expected in names
    assert any("raw" in n for n in names) and any("reports" in n for n in names)
    checks = by_name(repo_checks)
    assert checks["Python 版本"].ok
    assert checks["依赖包"].ok, checks["依赖包"].detail  # the venv has everything
    assert checks["配置文件"].ok
    for c in repo_checks:
        assert c.detail
        if not c.ok:
            assert c.fix, f"{c.name} fails without saying how to fix it"
    for c in (checks["LibreOffice"], checks["Chromium"]):
        assert c.optional and c.ok  # information only


def test_print_report(repo_checks: list[Check], capsys) -> None:
    print_report(repo_checks)
    out = capsys.readouterr().out
    for c in repo_checks:
        assert c.name in out
    failed = [c for c in repo_checks if not c.ok]
    assert ("未通过" in out) == bool(failed)
    for c in failed:
        assert c.fix in out


def test_missing_kernel_is_reported(tmp_path: Path, fast) -> None:
    text = (REPO / "scorecard.toml").read_text(encoding="utf-8")
    path = tmp_path / "scorecard.toml"
    path.write_text(
        text.replace('kernel = "grassroots-scorecard"', 'kernel = "no-such-kernel"'),
        encoding="utf-8",
    )
    kernel = by_name(run_doctor(str(path)))["Jupyter 内核"]
    assert not kernel.ok
    assert "no-such-kernel" in kernel.detail
    assert "ipykernel install" in kernel.fix and "no-such-kernel" in kernel.fix


def test_bad_config_is_reported_not_raised(tmp_path: Path, fast) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text("[paths]\nroster = 3\n", encoding="utf-8")
    checks = run_doctor(str(path))
    config = by_name(checks)["配置文件"]
    assert not config.ok
    assert "paths.roster" in config.detail and "campaign" in config.detail
    assert config.fix
    assert "Jupyter 内核" in by_name(checks)  # the other checks still run (default kernel name)


def test_missing_config_file_is_reported(tmp_path: Path, fast) -> None:
    config = by_name(run_doctor(str(tmp_path / "none.toml")))["配置文件"]
    assert not config.ok and "不存在" in config.detail


def test_folders_and_roster(tmp_path: Path, fast) -> None:
    text = (REPO / "scorecard.toml").read_text(encoding="utf-8")
    path = tmp_path / "scorecard.toml"
    path.write_text(text, encoding="utf-8")
    checks = by_name(run_doctor(str(path)))
    raw = next(c for n, c in checks.items() if "raw" in n)
    assert not raw.ok and "mkdir" in raw.fix  # data/raw does not exist here
    assert all(
        c.ok for n, c in checks.items() if "processed" in n or "reports" in n
    )  # can be created
    roster = checks["单位名册"]
    assert not roster.ok and "scorecard demo" in roster.fix
    # a roster with problems: every problem shown
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "roster.csv").write_text(
        "单位编码,单位名称,单位类型,上级单位编码\nA,甲,村,\nA,乙,乡,Q\n", encoding="utf-8"
    )
    path.write_text(
        text.replace('roster = "data/roster.xlsx"', 'roster = "data/roster.csv"'), encoding="utf-8"
    )
    checks = by_name(run_doctor(str(path)))
    assert next(c for n, c in checks.items() if "raw" in n).ok
    roster = checks["单位名册"]
    assert not roster.ok
    for word in ("重复", "乡", "Q"):
        assert word in roster.detail


def test_font_module_missing_is_a_failed_check(monkeypatch, tmp_path: Path, fast) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pipeline.charts.fonts":
            raise ImportError("No module named 'pipeline.charts.fonts'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    font = by_name(run_doctor(str(REPO / "scorecard.toml")))["中文字体"]
    assert not font.ok and "pipeline.charts.fonts" in font.detail and font.fix


def test_optional_tools_missing_do_not_fail(monkeypatch, fast) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    checks = by_name(run_doctor(str(REPO / "scorecard.toml")))
    for name in ("LibreOffice", "Chromium"):
        assert checks[name].ok and checks[name].optional and checks[name].fix
