"""The one code registry: documented exactly, every code reachable, Chinese wherever people read."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.codes import (
    REGISTRY,
    Finding,
    Reason,
    Reporting,
    RunError,
    Severity,
    all_codes,
    counts_zh,
    label,
)

REPO = Path(__file__).resolve().parents[1]
SECTION = "### Code registry (`pipeline/codes.py`)"


def _documented() -> dict[str, str]:
    text = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert SECTION in text
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = re.findall(r"^\|\s*[a-z_ ]+\s*\|\s*`([a-z_]+)`\s*\|\s*([^|]+?)\s*\|", body, flags=re.M)
    return dict(rows)


def test_data_dictionary_lists_exactly_the_registered_codes_with_their_labels():
    assert _documented() == all_codes()


def test_every_code_named_anywhere_in_the_data_dictionary_is_registered():
    text = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    part = text.split("### Reason codes of `submissions.reason`", 1)[1].split("### sheets", 1)[0]
    named = set(
        re.findall(r"`([a-z]+(?:_[a-z]+)+|ok|encrypted|truncated|unreadable|timeout)`", part)
    )
    named -= {
        "superseded_by",
        "row_rejected",
        "max_file_mb",
        "max_uncompressed_mb",
        "max_rows",
        "timeout_seconds",
    }
    named = {n for n in named if not n.startswith(("ingest", "name_match"))}
    assert named <= set(all_codes()), named - set(all_codes())


def test_every_reason_and_finding_code_can_be_emitted():
    """Each code is produced somewhere in the pipeline (by its string or its enum member)."""
    src = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (REPO / "pipeline").rglob("*.py")
        if p.name != "codes.py" and "demo" not in p.parts
    )
    for enum in (Reason, Finding, Reporting, RunError):
        for m in enum:
            assert f'"{m.value}"' in src or f"{enum.__name__}.{m.name}" in src, (
                f"{m.value} is never produced"
            )


def test_labels_are_chinese_and_one_term_per_severity():
    for enum in REGISTRY:
        for m in enum:
            assert re.search(r"[\u4e00-\u9fff]", m.label), m
    assert {m.label for m in Severity} == {"错误", "需核实"}
    assert Reporting("received_unusable").label == "已报送但无法使用"
    assert (
        counts_zh({"not_a_workbook": 1, "encrypted": 2}, Reason)
        == "文件已加密 2，不是 Excel 报表 1"
    )
    assert label("no_such_code") == "no_such_code" and label(None) == ""


def test_string_values_are_the_tables_contract():
    assert [m.value for m in Reporting] == [
        "on_time",
        "late",
        "received_unusable",
        "missing",
        "not_expected",
    ]
    assert Reason.OK_WITH_FINDINGS == "ok_with_findings" and Finding.BAD_DATE == "bad_date"
