"""One crafted cell never stops a round (issue 19, point 1).

A cell at XFD1048576 makes calamine allocate ~550 GB and abort the process.
The sheet's extent is checked before it is read; a reader that dies anyway
costs only its file, with --jobs 1 too, and no later stage reuses a broken pool.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_batch_fakes import FAKE_STAGES, make_district
from test_ingest_support import make_config, make_return

from pipeline.batch import run_round
from pipeline.executors import is_broken, open_executor
from pipeline.ingest import ingest_round
from pipeline.ingest.extent import check_extent, column_index
from pipeline.ingest.read import Limits, ReadError

R = "2026-07"
FAR = ("too_many_rows", "dimension_too_large", "cell_out_of_range")


def _far_cell(path: Path, sheet: str = "基本情况", cell: str = "XFD1048576") -> Path:
    """A real return with one more cell far away, in a sheet the pipeline reads."""
    make_return(path)
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = "x"
    wb.save(path)
    return path


def _set_dimension(path: Path, ref: str) -> Path:
    """Rewrite every sheet's <dimension ref> (a file whose dimension lies)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
            zout.writestr(info, data)
    os.replace(tmp, path)
    return path


def test_column_letters():
    assert column_index("A") == 0 and column_index("Z") == 25 and column_index("AA") == 26
    assert column_index("XFD") == 16383


def test_a_far_cell_is_refused_before_the_sheet_is_read(tmp_path):
    p = _far_cell(tmp_path / "far.xlsx")
    with pytest.raises(ReadError) as err:
        check_extent(p.read_bytes(), ["基本情况"], Limits())
    assert err.value.reason in FAR


def test_a_dimension_that_hides_a_far_cell_is_still_caught(tmp_path):
    p = _set_dimension(_far_cell(tmp_path / "far.xlsx"), "A1:B2")
    with pytest.raises(ReadError) as err:
        check_extent(p.read_bytes(), ["基本情况"], Limits())
    assert err.value.reason in FAR and "XFD1048576" in err.value.message
    p = _set_dimension(_far_cell(tmp_path / "wide.xlsx", cell="XFD5"), "A1:B2")
    with pytest.raises(ReadError) as err:
        check_extent(p.read_bytes(), ["基本情况"], Limits(max_rows=100))
    assert err.value.reason == "cell_out_of_range" and "XFD5" in err.value.message


def test_a_dimension_that_claims_the_whole_sheet_is_refused(tmp_path):
    p = _set_dimension(make_return(tmp_path / "r.xlsx"), "A1:XFD1048576")
    with pytest.raises(ReadError) as err:
        check_extent(p.read_bytes(), ["基本情况"], Limits())
    assert err.value.reason == "too_many_rows" and "XFD1048576" in err.value.message
    p = _set_dimension(make_return(tmp_path / "w.xlsx"), "A1:XFD100")
    with pytest.raises(ReadError) as err:
        check_extent(p.read_bytes(), ["基本情况"], Limits(max_rows=100))
    assert err.value.reason == "dimension_too_large"
    check_extent(make_return(tmp_path / "ok.xlsx").read_bytes(), ["基本情况", "活动记录"], Limits())


def test_far_cells_in_other_sheets_are_not_read_at_all(tmp_path):
    p = make_return(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(p)
    wb.create_sheet("备注")["XFD1048576"] = "x"
    wb.save(p)
    check_extent(p.read_bytes(), ["基本情况"], Limits())


def test_with_jobs_1_the_crafted_file_is_rejected_and_the_round_goes_on(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    _far_cell(raw / "太平社区.xlsx")
    make_return(raw / "金家村.xlsx", unit_name="金家村")
    res = ingest_round(cfg, R, jobs=1, progress=False)
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["太平社区.xlsx", "status"] == "rejected"
    assert subs.loc["太平社区.xlsx", "reason"] in FAR
    assert subs.loc["金家村.xlsx", "status"] == "accepted"


@pytest.mark.slow
def test_a_reader_that_aborts_costs_only_its_file_with_jobs_1(tmp_path):
    """Limits raised so the check lets the file through: calamine really aborts, in its own
    process."""
    cfg = make_config(tmp_path)
    text = cfg.source.read_text(encoding="utf-8")
    text = text.replace("max_rows = 20000", "max_rows = 2000000").replace(
        "max_columns = 256", "max_columns = 20000"
    )
    cfg.source.write_text(text, encoding="utf-8")
    from pipeline.config import load_config

    cfg = load_config(cfg.source)
    raw = cfg.paths.raw_round(R)
    _far_cell(raw / "太平社区.xlsx")
    make_return(raw / "金家村.xlsx", unit_name="金家村")
    res = ingest_round(cfg, R, jobs=1, progress=False)  # this process survives
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["太平社区.xlsx", "status"] == "rejected"
    assert "异常退出" in subs.loc["太平社区.xlsx", "message"]
    assert subs.loc["金家村.xlsx", "status"] == "accepted"


def _die() -> None:
    os._exit(9)


def _ok() -> int:
    return 42


def test_no_later_stage_reuses_a_broken_pool(tmp_path):
    cfg = make_district(tmp_path)
    seen = {}

    def ingest(config, round_id, executor=None, **kw):
        try:
            executor.submit(_die).result()
        except Exception:
            pass
        seen["broken"] = is_broken(executor)
        return FAKE_STAGES["ingest"](config, round_id, executor=None, **kw)

    def report(config, round_id, executor=None, **kw):
        seen["report"] = executor.submit(_ok).result()
        return FAKE_STAGES["report"](config, round_id, executor=None, **kw)

    out = run_round(cfg, "R1", jobs=2, stages={**FAKE_STAGES, "ingest": ingest, "report": report})
    assert seen == {"broken": True, "report": 42}
    assert out.status in ("ok", "findings")


def test_is_broken_is_false_for_a_live_pool():
    with open_executor(2) as ex:
        assert ex.submit(_ok).result() == 42 and not is_broken(ex)
