"""The one result protocol of the batch stages, and the round's paths resolved once.

`scorecard run` reads a stage's result only through `StageResult`
(pipeline/batch/stages.py): every real stage result implements it, a stage
returning something else fails the run, and run.py does not probe results.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pytest
from test_batch_fakes import (
    FAKE_STAGES,
    FakeIngestResult,
    FakeReportResult,
    FakeScoreResult,
    fake_report,
    make_district,
    write_raw,
)

from pipeline.batch import EXIT_FAILED, EXIT_FINDINGS, run_round
from pipeline.batch.fingerprint import compute_fingerprint
from pipeline.batch.manifest import last_run
from pipeline.batch.paths import RoundPaths
from pipeline.batch.stages import NoResult, StageResult, as_stage_result
from pipeline.ingest.run import IngestResult
from pipeline.report.build import ReportFailure, ReportResult
from pipeline.score.run import ScoreResult
from pipeline.survey.run import ScoreWithSurvey

BATCH = Path(__file__).resolve().parents[1] / "pipeline" / "batch"


@pytest.fixture(autouse=True)
def _fixed_code_digest(monkeypatch):
    """The fingerprint hashes the package's files; others edit them while tests run."""
    monkeypatch.setattr("pipeline.batch.fingerprint.code_digest", lambda: "fixed")


@pytest.fixture
def district(tmp_path):
    return make_district(tmp_path)


def _ingest_result(tmp_path: Path, rejected: bool) -> IngestResult:
    subs = pd.DataFrame(
        {
            "file": ["a.xlsx", "b.xlsx"],
            "status": ["accepted", "rejected" if rejected else "ignored"],
        }
    )
    findings = pd.DataFrame({"file": ["a.xlsx"], "severity": ["warning"]})
    tables = {"submissions": subs, "findings": findings}
    return IngestResult("R1", tables, tmp_path, tmp_path / "feedback", files_reused=1)


def _check(result: object) -> StageResult:
    """The result satisfies the protocol, and each member has the protocol's type."""
    assert isinstance(result, StageResult), type(result).__name__
    assert isinstance(result.has_errors, bool)
    assert isinstance(result.counts, Mapping)
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in result.counts.items())
    assert isinstance(result.failures, Sequence) and not isinstance(result.failures, str)
    assert result.index is None or isinstance(result.index, Path)
    assert callable(result.summary)
    return result


def test_every_real_stage_result_is_a_stage_result(tmp_path):
    ingest = _check(_ingest_result(tmp_path, rejected=True))
    assert ingest.has_errors and ingest.counts == {"files_reused": 1}
    assert not ingest.failures and ingest.index is None
    assert not _check(_ingest_result(tmp_path, rejected=False)).has_errors

    score = _check(ScoreResult("R1", tmp_path))
    assert not score.has_errors and not score.failures and score.counts == {}
    with_survey = _check(ScoreWithSurvey(score, None))
    assert not with_survey.has_errors and with_survey.index is None

    failure = ReportFailure("district.ipynb", "内核启动", "超时")
    report = _check(ReportResult("R1", tmp_path, tmp_path / "index.html", failures=[failure]))
    assert report.index == tmp_path / "index.html" and list(report.failures) == [failure]
    assert not report.has_errors and report.counts == {}
    assert "超时" in report.summary()


def test_the_fakes_results_are_stage_results_too(tmp_path):
    _check(FakeIngestResult(tables={}, has_errors=False))
    _check(FakeScoreResult(tables={}))
    _check(FakeReportResult(index=None))
    _check(NoResult())


def test_as_stage_result_accepts_none_and_refuses_anything_else():
    assert as_stage_result("report", None) == NoResult()
    with pytest.raises(TypeError, match="score returned dict"):
        as_stage_result("score", {"summary": "评分完成"})


def test_a_stage_that_returns_no_stage_result_fails_the_run(district):
    def score(*a, **k):
        FAKE_STAGES["score"](*a, **k)
        return "评分完成"  # not a StageResult

    out = run_round(district, "R1", jobs=1, stages={**FAKE_STAGES, "score": score})
    assert out.exit_code == EXIT_FAILED and out.failed_stage == "score"
    assert "StageResult" in out.summary()
    assert not district.paths.reports_round("R1").exists()


def test_any_stage_can_fail_the_run_with_its_failures(district):
    def ingest(*a, **k):
        result = FAKE_STAGES["ingest"](*a, **k)
        result.failures = ("U2.xlsx: 无法读取",)
        return result

    out = run_round(district, "R1", jobs=1, stages={**FAKE_STAGES, "ingest": ingest})
    assert out.exit_code == EXIT_FAILED and out.failed_stage == "ingest"
    assert "1 个文件读取失败" in out.message and "U2.xlsx" in out.message
    assert not district.paths.processed_round("R1").exists()


def test_every_stage_adds_its_counts_and_errors(district):
    def score(*a, **k):
        result = FAKE_STAGES["score"](*a, **k)
        result.counts = {"units_scored": 2}
        result.has_errors = True
        return result

    out = run_round(district, "R1", jobs=1, stages={**FAKE_STAGES, "score": score})
    assert out.status == "findings" and out.exit_code == EXIT_FINDINGS
    assert out.counts["units_scored"] == 2
    m = json.loads((district.paths.reports_round("R1") / "manifest.json").read_text("utf-8"))
    assert m["counts"]["units_scored"] == 2
    assert last_run(district.paths.processed, "R1")["counts"]["units_scored"] == 2


def test_a_report_stage_returning_none_publishes_its_index_page(district):
    def report(*a, **k):
        fake_report(*a, **k)  # writes index.html, returns nothing

    out = run_round(district, "R1", jobs=1, stages={**FAKE_STAGES, "report": report})
    assert out.status == "ok"
    assert out.index == district.paths.reports_round("R1") / "index.html"
    assert out.stage_summaries["report"] == ""


def test_the_round_paths_are_resolved_once_per_run(district, monkeypatch):
    write_raw(district.source.parent, "U1.xlsx", b"R2 return of U1", round_id="R2")
    assert run_round(district, "R1", jobs=1, stages=FAKE_STAGES).status == "ok"
    made: list[RoundPaths] = []
    real = RoundPaths.of.__func__

    def of(cls, config, round_id):
        made.append(real(cls, config, round_id))
        return made[-1]

    monkeypatch.setattr(RoundPaths, "of", classmethod(of))
    out = run_round(district, "R2", jobs=1, stages=FAKE_STAGES)
    assert out.status == "ok" and len(made) == 1
    paths = made[0]
    assert paths.previous == district.paths.processed_round("R1")
    # the score stage was given the previous round's tables from that one object
    scores = pd.read_parquet(district.paths.processed_round("R2") / "scores.parquet")
    assert set(scores["previous"]) == {str(paths.previous)}


def test_the_fingerprint_of_a_round_id_and_of_its_paths_agree(district):
    paths = RoundPaths.of(district, "R1")
    assert compute_fingerprint(district, paths) == compute_fingerprint(district, "R1")


def test_no_previous_round_tables_means_no_previous_paths(district):
    assert RoundPaths.of(district, "R1").previous is None
    assert RoundPaths.of(district, "R2").previous is None  # R1 not published yet


def _probes(path: Path) -> list[str]:
    """getattr/hasattr calls in a module: how run.py used to read stage results."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "hasattr")
    ]


@pytest.mark.parametrize("module", ["run.py", "stages.py"])
def test_the_orchestrator_reads_results_through_the_protocol_only(module):
    assert _probes(BATCH / module) == []


def test_the_probe_check_sees_a_probe(tmp_path):
    p = tmp_path / "probe.py"
    p.write_text("x = getattr(result, 'files_reused', None)\n", encoding="utf-8")
    assert _probes(p) == ["probe.py:1"]


def test_run_locked_reads_as_a_short_sequence_of_steps():
    tree = ast.parse((BATCH / "run.py").read_text(encoding="utf-8"))
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_run_locked"]
    assert fn.end_lineno - fn.lineno + 1 <= 45
