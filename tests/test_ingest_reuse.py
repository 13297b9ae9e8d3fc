"""Reuse of earlier reads (`pipeline.ingest.reuse`): an unchanged return is not
read again, a changed one is, and the tables are the same as reading everything."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.config import Config, load_config
from pipeline.ingest import ingest_round
from pipeline.ingest.feedback import cache_folder as feedback_cache_folder
from pipeline.ingest.parse import ParsedReturn
from pipeline.ingest.reuse import ReadCache, cache_folder

R = "2026-07"


@pytest.fixture(autouse=True)
def _fixed_code_digest(monkeypatch):
    """The key hashes the package's files; others may edit them while tests run."""
    monkeypatch.setattr("pipeline.ingest.reuse.code_digest", lambda: "fixed")


@pytest.fixture
def district(demo_dir: Path, tmp_path: Path) -> Config:
    """A private copy of the demo district's roster, config and first-round returns."""
    dest = tmp_path / "d"
    dest.mkdir()
    for name in ("scorecard.toml", "roster.xlsx"):
        shutil.copy2(demo_dir / name, dest / name)
    shutil.copytree(demo_dir / "raw" / R, dest / "raw" / R)  # copytree keeps modification times
    return load_config(dest / "scorecard.toml")


def _ingest(config: Config, tmp_path: Path, name: str, **kw):
    return ingest_round(
        config,
        R,
        jobs=1,
        out_dir=tmp_path / name / "processed",
        feedback_dir=tmp_path / name / "feedback",
        progress=False,
        **kw,
    )


def _assert_same_tables(a, b) -> None:
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)


def _entries(config: Config) -> list[Path]:
    return sorted(cache_folder(config.paths.processed, R).glob("*.pickle"))


def _resave(path: Path) -> None:
    """The unit sends its return again: same workbook, saved anew (other bytes)."""
    wb = openpyxl.load_workbook(path)
    wb.active["A1"] = "重新报送"
    wb.save(path)


def _returns(raw: Path) -> int:
    """Files in the round's folder that ingestion reads (not the residents' survey subfolder)."""
    return sum(1 for p in raw.rglob("*") if p.is_file() and p.relative_to(raw).parts[0] != "survey")


def test_unchanged_returns_are_not_read_again(district: Config, tmp_path: Path) -> None:
    n_files = _returns(district.paths.raw_round(R))
    first = _ingest(district, tmp_path, "first")
    assert first.files_reused == 0
    assert len(_entries(district)) == n_files  # every read is kept (none is transient here)

    again = _ingest(district, tmp_path, "again")
    assert again.files_reused == n_files
    assert "沿用上次的读取结果" in again.summary()
    _assert_same_tables(first, again)


def _no_workbook(*args, **kwargs):
    raise AssertionError("a feedback workbook was written, not copied from the cache")


def test_unchanged_feedback_workbooks_are_copied_not_rewritten(
    district: Config, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr("pipeline.ingest.feedback.code_digest", lambda: "fixed")
    first = _ingest(district, tmp_path, "first")
    assert first.feedback_files
    kept = feedback_cache_folder(district.paths.processed, R, "ingest")
    assert len(list(kept.glob("*.xlsx"))) == len(first.feedback_files)
    with monkeypatch.context() as m:  # nothing is written: every workbook is copied
        m.setattr("pipeline.ingest.feedback.xlsxwriter.Workbook", _no_workbook)
        again = _ingest(district, tmp_path, "again")
    assert {p.name: p.read_bytes() for p in again.feedback_files} == {
        p.name: p.read_bytes() for p in first.feedback_files
    }
    fresh = _ingest(district, tmp_path, "fresh", reuse=False)
    assert [p.name for p in fresh.feedback_files] == [p.name for p in first.feedback_files]


def test_one_changed_return_is_read_again_and_gives_the_fresh_result(
    district: Config, tmp_path: Path
) -> None:
    raw = district.paths.raw_round(R)
    first = _ingest(district, tmp_path, "first")
    subs = first.tables["submissions"]
    changed = str(
        subs.loc[(subs["status"] == "accepted") & subs["file"].str.endswith(".xlsx"), "file"].iloc[
            0
        ]
    )
    _resave(raw / changed)
    new = raw / "补报_新单位.xlsx"
    shutil.copy2(raw / changed, new)

    n_files = _returns(raw)
    after = _ingest(district, tmp_path, "after")
    assert after.files_reused == n_files - 2  # the changed return and the new file are read
    fresh = _ingest(district, tmp_path, "fresh", reuse=False)
    assert fresh.files_reused == 0
    _assert_same_tables(after, fresh)

    # the entry of the old version of the changed file is gone: one entry per file
    assert len(_entries(district)) == n_files


def test_a_changed_reading_context_reads_everything_again(district: Config, tmp_path: Path) -> None:
    _ingest(district, tmp_path, "first")
    stricter = district.model_copy(
        update={
            "ingest": district.ingest.model_copy(update={"max_rows": district.ingest.max_rows - 1})
        }
    )
    assert _ingest(stricter, tmp_path, "stricter").files_reused == 0


def test_new_code_reads_everything_again(district: Config, tmp_path: Path, monkeypatch) -> None:
    _ingest(district, tmp_path, "first")
    monkeypatch.setattr("pipeline.ingest.reuse.code_digest", lambda: "new code")
    assert _ingest(district, tmp_path, "new").files_reused == 0


def test_touching_a_file_reads_it_again(district: Config, tmp_path: Path) -> None:
    """The received time comes from the modification time, so it is part of the key."""
    import os

    _ingest(district, tmp_path, "first")
    raw = district.paths.raw_round(R)
    path = sorted(p for p in raw.rglob("*.xlsx") if p.relative_to(raw).parts[0] != "survey")[
        0
    ]  # a return
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 86_400 * 10**9))
    n_files = _returns(district.paths.raw_round(R))
    assert _ingest(district, tmp_path, "touched").files_reused == n_files - 1


def test_a_damaged_entry_is_read_again(district: Config, tmp_path: Path) -> None:
    first = _ingest(district, tmp_path, "first")
    entries = _entries(district)
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(b"")
    again = _ingest(district, tmp_path, "again")
    assert again.files_reused == len(entries) - 2
    _assert_same_tables(first, again)


def test_reuse_off_keeps_nothing(district: Config, tmp_path: Path) -> None:
    _ingest(district, tmp_path, "fresh", reuse=False)
    assert _entries(district) == []


def test_transient_results_are_not_kept(tmp_path: Path) -> None:
    cache = ReadCache(tmp_path / "c", "ctx")
    timed_out = ParsedReturn(
        "a.xlsx", 1, "0" * 64, 0.0, status="rejected", reason="timeout", transient=True
    )
    assert not cache.put("k1", timed_out)
    assert cache.get("k1") is None
    ok = ParsedReturn("b.xlsx", 1, "1" * 64, 0.0)
    assert cache.put("k2", ok)
    assert cache.get("k2") == ok
    (cache.folder / ".tmp-leftover.pickle").write_bytes(b"half")
    assert cache.prune({"k2"}) == 1
    assert [p.name for p in cache.folder.iterdir()] == ["k2.pickle"]


def test_a_cache_that_cannot_be_written_never_fails_ingestion(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ReadCache(blocker / "c", "ctx")  # a folder under a file: cannot be created
    assert not cache.put("k", ParsedReturn("b.xlsx", 1, "1" * 64, 0.0))
    assert cache.get("k") is None
