"""Fault injection on a copy of the demo round (issue 19, point 10): the probes of the issue
at once, on real-looking returns. Each bad file costs only itself; every other file is
decided as before; scoring runs on what was kept."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from test_faults_lengths import _with_text

from pipeline.config import load_config
from pipeline.ingest import ingest_round
from pipeline.ingest.parse import is_stray
from pipeline.score import score_round
from pipeline.tables import read_table

R = "2026-07"
pytestmark = pytest.mark.slow


def _far(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb[wb.sheetnames[1]]["XFD1048576"] = "x"  # 基本情况, a sheet the pipeline reads
    wb.save(path)


def _theme(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = next(ws for ws in wb.worksheets if ws.title.startswith("基本"))
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == "活动主题":
                ws.cell(row=cell.row, column=cell.column + 1, value="PLACEHOLDER")
    wb.save(path)
    _with_text(path, "PLACEHOLDER", "主题" * 500_000)


@pytest.fixture
def faulty(demo_ingested, tmp_path):
    src = Path(demo_ingested.source).parent
    shutil.copy(src / "scorecard.toml", tmp_path / "scorecard.toml")
    shutil.copy(src / "roster.xlsx", tmp_path / "roster.xlsx")
    raw = tmp_path / "raw" / R
    shutil.copytree(src / "raw" / R, raw, symlinks=True)
    names = sorted(
        p.name
        for p in raw.iterdir()
        if p.suffix == ".xlsx" and not is_stray(p.name) and "副本" not in p.name
    )
    far, gbk, theme = names[0], names[1], names[2]
    _far(raw / far)
    os.rename(raw / gbk, os.fsdecode(os.fsencode(raw) + b"/" + gbk.encode("gbk")))
    _theme(raw / theme)
    (raw / "passwd.xlsx").symlink_to("/etc/passwd")
    (raw / "gone.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    return load_config(tmp_path / "scorecard.toml"), {"far": far, "gbk": gbk, "theme": theme}


def test_every_probe_costs_only_its_own_file(faulty, demo_ingested):
    cfg, names = faulty
    res = ingest_round(cfg, R, jobs=1, progress=False)
    subs = res.tables["submissions"].set_index("file")
    f = res.tables["findings"]
    assert subs.loc[names["far"], "status"] == "rejected"
    assert subs.loc[names["far"], "reason"] in (
        "too_many_rows",
        "dimension_too_large",
        "cell_out_of_range",
    )
    assert subs.loc[names["gbk"], "status"] != "rejected"  # shown as decoded, read as usual
    assert "filename_recoded" in set(f.loc[f["file"] == names["gbk"], "code"])
    cut = f[(f["file"] == names["theme"]) & (f["code"] == "text_too_long")]
    assert len(cut) == 1
    assert (
        subs.loc["passwd.xlsx", "reason"] == "link_outside"
        and subs.loc["gone.xlsx", "reason"] == "link_dangling"
    )

    before = read_table(demo_ingested.paths.processed_round(R), "submissions").set_index("file")
    touched = {names["far"], names["gbk"], names["theme"]}
    units = set(
        before.loc[list(touched), "unit_id"].dropna()
    )  # their copies and corrections change too
    for name, row in before.iterrows():
        if name not in touched and row["unit_id"] not in units:
            assert subs.loc[name, "status"] == row["status"], name

    scored = score_round(cfg, R)  # scoring runs on what was kept, the cut theme included
    assert scored.summary()
    info = res.tables["info"]
    assert info["theme"].str.len().max() <= 100
