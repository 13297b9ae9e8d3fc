"""The real-world corpus (../shared/realfiles): every file read or rejected with a specific reason.

None of these files is a return, so a readable one ends as `missing_sheet`
(read, but not the form); the rest name what is wrong with them. No crash,
no hang (each file has the reader's own time limit, and the test a hard one),
memory bounded.
"""

from __future__ import annotations

import resource
import shutil

import pytest
from conftest import REALFILES
from test_ingest_support import make_config

from pipeline.executors import InlineExecutor
from pipeline.ingest import ingest_round
from pipeline.ingest.read import FileTimeout, Limits, ReadError, read_workbook, time_limit

pytestmark = pytest.mark.skipif(
    not REALFILES.is_dir(),
    reason=(
        f"{REALFILES} is not present (set SCORECARD_REALFILES to the folder of real spreadsheets)"
    ),
)

SPECIFIC = {
    "missing_sheet",
    "encrypted",
    "truncated",
    "not_a_workbook",
    "unreadable",
    "too_large",
    "too_many_rows",
    "timeout",
    "not_a_return",
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.timeout(300)
def test_every_real_file_is_read_or_rejected_with_a_reason(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round("2026-07")
    raw.mkdir(parents=True)
    files = sorted(p for p in REALFILES.iterdir() if p.is_file())
    for p in files:  # copies: links out of the round folder are refused (link_outside)
        shutil.copy2(p, raw / p.name)
    before = _peak_mb()
    res = ingest_round(cfg, "2026-07", executor=InlineExecutor(), progress=False)
    grew = _peak_mb() - before
    subs = res.tables["submissions"].set_index("file")
    assert len(subs) == len(files)
    assert subs["reason"].isin(SPECIFIC).all(), subs.loc[~subs["reason"].isin(SPECIFIC), "reason"]
    assert subs["message"].str.len().gt(0).all()
    assert not subs["message"].str.contains("Traceback").any()
    assert (subs["status"] == "rejected").all()  # none of them is a return
    read = (subs["reason"] == "missing_sheet").sum()
    assert read >= 175  # calamine reads 181 of the 200 workbooks
    for name, reason in [
        ("pcal__password.xlsx", "encrypted"),
        ("pcal__password.xls", "encrypted"),
        ("roo__encrypted-letmein.ods", "encrypted"),
        ("derived__trunc60__cnxg__模板.xlsx", "truncated"),
        ("derived__trunc50__cnlm__汇总表.xls", "truncated"),
        ("derived__trunc50__cal__merged_cells.ods", "truncated"),
        ("cal__issue_594_dos.ods", "too_large"),
        ("pcal__empty_file.xlsx", "not_a_workbook"),
        ("cn12__销售出库.xls", "not_a_workbook"),
    ]:
        assert subs.loc[name, "reason"] == reason, name
    assert grew < 1500, f"peak memory grew by {grew:.0f} MB"


@pytest.mark.timeout(300)
def test_the_raw_reader_reads_every_sheet_or_names_the_fault():
    """Every sheet of every file through the reader itself (not only the form's sheets)."""
    limits = Limits(timeout_seconds=20)
    outcomes: dict[str, str] = {}
    before = _peak_mb()
    for p in sorted(REALFILES.iterdir()):
        try:
            with time_limit(limits.timeout_seconds):
                _, grids = read_workbook(p.read_bytes(), limits)
            outcomes[p.name] = "read"
            assert all(isinstance(g.rows, list) for g in grids.values())
        except ReadError as exc:
            assert exc.reason in SPECIFIC and exc.message
            outcomes[p.name] = exc.reason
        except FileTimeout:
            outcomes[p.name] = "timeout"
    assert sum(v == "read" for v in outcomes.values()) >= 175
    assert _peak_mb() - before < 1500


def test_html_and_escaped_text_in_real_files_stays_text():
    p = REALFILES / "roo__html-escape.ods"
    _, grids = read_workbook(p.read_bytes(), Limits())
    values = [c for row in grids["escaped_chars"].rows for c in row if c != ""]
    assert "<" in values and "&" in values and all(isinstance(v, str) for v in values)
