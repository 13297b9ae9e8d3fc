"""Feedback workbooks from the feedback cache: an unchanged workbook is copied, not rewritten."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pipeline.ingest.feedback import FeedbackCache, cache_folder, write_feedback
from pipeline.report.context import open_round
from tests.report_fixtures import make_district

ROUND = "2026-08"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("fb") / "d", n_units=6, types=("社区", "村"))
    return open_round(config.source, ROUND).tables


def _write(tables, out: Path, store: FeedbackCache | None, findings=None) -> dict[str, bytes]:
    write_feedback(
        tables["findings"] if findings is None else findings,
        tables["submissions"],
        tables["units"],
        out,
        round_name="8月检查",
        store=store,
    )
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.xlsx"))}


def _sheets(data: bytes, tmp: Path) -> dict[str, bytes]:
    """The workbook's parts except its file properties (which hold the time it was written)."""
    p = tmp / "x.xlsx"
    p.write_bytes(data)
    with zipfile.ZipFile(p) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_unchanged_workbook_is_copied_and_changed_one_rewritten(tables, tmp_path):
    store = FeedbackCache(tmp_path / "cache")
    first = _write(tables, tmp_path / "a", store)
    assert store.written == len(first) and store.kept == 0
    again = FeedbackCache(tmp_path / "cache")
    assert _write(tables, tmp_path / "b", again) == first  # byte for byte
    assert again.kept == len(first) and again.written == 0

    f = tables["findings"].copy()
    uid = str(f["unit_id"].dropna().iloc[0])
    f.loc[f["unit_id"] == uid, "message"] = "重新报送后仍有问题"
    third = FeedbackCache(tmp_path / "cache")
    changed = _write(tables, tmp_path / "c", third, findings=f)
    differ = {k for k in first if first[k] != changed[k]}
    assert len(differ) == 1 and third.written == 1 and third.kept == len(first) - 1
    # the cache holds what this run used, nothing more
    assert len(list((tmp_path / "cache").glob("*.xlsx"))) == len(first)

    # cached and uncached give the same sheets (file properties hold the write time)
    plain = _write(tables, tmp_path / "d", None, findings=f)
    for name in changed:
        assert _sheets(changed[name], tmp_path) == _sheets(plain[name], tmp_path), name


def test_refresh_writes_everything(tables, tmp_path):
    _write(tables, tmp_path / "a", FeedbackCache(tmp_path / "cache"))
    refresh = FeedbackCache(tmp_path / "cache", read=False)
    out = _write(tables, tmp_path / "b", refresh)
    assert refresh.kept == 0 and refresh.written == len(out)


def test_each_stage_keeps_its_own(tmp_path):
    assert cache_folder(tmp_path, ROUND, "report") != cache_folder(tmp_path, ROUND, "ingest")
    assert cache_folder(tmp_path, ROUND, "report").is_relative_to(tmp_path / ".cache")
