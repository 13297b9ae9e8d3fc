"""A round's tables are read when first used (`pipeline.report.context.Tables`):
a kernel that draws cards or one type's page reads only the tables it uses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.report import context
from pipeline.report.context import Tables, copy_tables
from pipeline.tables import write_tables


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> tuple[Path, list[str]]:
    write_tables(
        {
            "scores": pd.DataFrame({"unit_id": ["A", "B"], "overall": [61.0, 70.0]}),
            "findings": pd.DataFrame({"unit_id": ["A"], "code": ["x"]}),
            "units": pd.DataFrame({"unit_id": ["A", "B"]}),
        },
        tmp_path,
    )
    reads: list[str] = []
    real = context.read_table

    def counted(where: Path, name: str) -> pd.DataFrame:
        reads.append(name)
        return real(where, name)

    monkeypatch.setattr(context, "read_table", counted)
    return tmp_path, reads


def test_a_table_is_read_once_when_first_used(folder) -> None:
    where, reads = folder
    t = Tables.on_disk(where, ["scores", "findings", "units", "survey_responses"])
    assert list(t) == ["scores", "findings", "units"]  # only what exists
    assert "findings" in t and "survey_responses" not in t and reads == []
    assert t["scores"]["overall"].tolist() == [61.0, 70.0]
    t["scores"]
    assert t.get("survey_responses") is None
    assert reads == ["scores"]


def test_copies_share_reads_not_assignments(folder) -> None:
    where, reads = folder
    t = Tables.on_disk(where, ["scores", "findings", "units"])
    c = copy_tables(t)
    narrowed = c["findings"].iloc[0:0]
    c["findings"] = narrowed
    del c["units"]
    assert t["findings"].shape[0] == 1 and c["findings"] is narrowed
    assert "units" in t and "units" not in c and list(c) == ["scores", "findings"]
    assert reads == ["findings"]  # the copy's read served the original too


def test_watched_notes_what_a_page_looked_at(folder) -> None:
    where, _ = folder
    t = Tables.on_disk(where, ["scores", "findings", "units"])
    w = t.watched()
    w.get("scores")
    _ = "units" in w
    assert w.read == {"scores", "units"} and t.read == set()
    assert isinstance(copy_tables({"a": pd.DataFrame()}), dict)
