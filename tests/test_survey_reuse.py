"""Reuse of the survey's rows (`pipeline.survey.reuse`): unchanged exports are not
read again, a changed export or roster is, and the tables are the same either way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_survey import HEADER, _config, _roster

from pipeline.survey import run as survey_run
from pipeline.survey.reuse import cache_folder
from pipeline.survey.run import survey_round

R = "2026-07"


@pytest.fixture(autouse=True)
def _fixed_code_digest(monkeypatch):
    """The key hashes the package's files; others may edit them while tests run."""
    monkeypatch.setattr("pipeline.survey.reuse.code_digest", lambda: "fixed")


def _rows(n: int) -> list[list]:
    return [
        [f"P{i:03d}", "太平社区", f"2026-07-10 09:{i:02d}:00", "满意", "满意", "基本满意", "", ""]
        for i in range(n)
    ]


def _export(folder: Path, rows: list[list]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=HEADER).to_excel(folder / "wjx.xlsx", index=False)


def _not_read(*args, **kwargs):
    raise AssertionError("the exports were read again")


def _survey(cfg, tmp_path: Path, roster: pd.DataFrame | None = None, **kw):
    return survey_round(
        cfg,
        R,
        processed_dir=tmp_path / "processed",
        survey_dir=tmp_path / "survey",
        roster=_roster() if roster is None else roster,
        **kw,
    )


def _same(a, b) -> None:
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)


def test_unchanged_exports_are_not_read_again(tmp_path: Path, monkeypatch) -> None:
    cfg = _config(tmp_path)
    _export(tmp_path / "survey", _rows(8))
    first = _survey(cfg, tmp_path)
    kept = cache_folder(cfg.paths.processed, R)
    assert len(list(kept.iterdir())) == 1
    with monkeypatch.context() as m:
        m.setattr(survey_run, "read_rows", _not_read)
        again = _survey(cfg, tmp_path)
    _same(first, again)


def test_a_changed_export_or_roster_is_read_again(tmp_path: Path, monkeypatch) -> None:
    cfg = _config(tmp_path)
    _export(tmp_path / "survey", _rows(8))
    first = _survey(cfg, tmp_path)
    _export(tmp_path / "survey", _rows(9))  # one more respondent
    after = _survey(cfg, tmp_path)
    assert len(after.tables["survey_responses"]) == len(first.tables["survey_responses"]) + 1
    kept = cache_folder(cfg.paths.processed, R)
    assert len(list(kept.iterdir())) == 1  # one entry per round: the old one is gone

    roster = _roster()
    roster.loc[roster["unit_name"] == "太平社区", "unit_name"] = "太平新社区"
    with monkeypatch.context() as m:
        m.setattr(survey_run, "read_rows", _not_read)
        with pytest.raises(AssertionError, match="read again"):
            _survey(cfg, tmp_path, roster=roster)


def test_reuse_off_reads_again(tmp_path: Path, monkeypatch) -> None:
    cfg = _config(tmp_path)
    _export(tmp_path / "survey", _rows(8))
    _survey(cfg, tmp_path)
    with monkeypatch.context() as m:
        m.setattr(survey_run, "read_rows", _not_read)
        with pytest.raises(AssertionError, match="read again"):
            _survey(cfg, tmp_path, reuse=False)


def test_a_damaged_entry_is_read_again(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    _export(tmp_path / "survey", _rows(8))
    first = _survey(cfg, tmp_path)
    for p in cache_folder(cfg.paths.processed, R).iterdir():
        p.write_bytes(b"not a pickle")
    _same(first, _survey(cfg, tmp_path))
