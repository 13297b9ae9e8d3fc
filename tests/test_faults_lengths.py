"""Cell length limits per column kind (issue 19, point 2)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from test_ingest_support import make_config, make_return

from pipeline.form import load_form
from pipeline.ingest import ingest_round
from pipeline.ingest.lengths import cut_grid

R = "2026-07"


def _with_text(path: Path, placeholder: str, text: str) -> Path:
    """Put a text longer than Excel allows into a cell (openpyxl itself cuts at 32,767)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(".xml"):
                data = data.replace(placeholder.encode(), text.encode())
            zout.writestr(info, data)
    os.replace(tmp, path)
    return path


def test_every_column_has_a_limit_by_kind():
    info = load_form(1).sheet("info")
    assert info.column("theme").max_chars == 100 and info.column("theme").length == "theme"
    assert info.column("theme_note").max_chars == 2000
    assert info.column("unit_name").length == "name"
    assert all(c.max_chars > 0 for s in load_form(1).sheets for c in s.columns)


def test_the_grid_is_cut_at_read_time():
    rows = [["短", "x" * 50], [1, None]]
    assert cut_grid(rows, 10) == {(0, 1): 50}
    assert rows[0][1] == "x" * 10 and rows[1] == [1, None]


def test_a_huge_theme_is_cut_with_a_finding_and_the_return_kept(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    huge = "党建引领" * 250_000  # 1,000,000 characters: beyond the read cap and the theme's limit
    _with_text(make_return(raw / "太平社区.xlsx", theme="PLACEHOLDER"), "PLACEHOLDER", huge)
    res = ingest_round(cfg, R, jobs=1, progress=False)
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["太平社区.xlsx", "status"] == "accepted"
    theme = res.tables["info"]["theme"].iloc[0]
    assert len(theme) == 100 and huge.startswith(theme)
    f = res.tables["findings"]
    cut = f[f["code"] == "text_too_long"]
    assert len(cut) == 1 and cut["column"].iloc[0] == "theme"
    assert "1000000 字" in cut["message"].iloc[0] and "上限 100 字" in cut["message"].iloc[0]
    assert len(cut["value"].iloc[0]) < 50 and cut["cell"].iloc[0]
    assert sum(p.stat().st_size for p in res.out_dir.glob("*.parquet")) < 2_000_000
