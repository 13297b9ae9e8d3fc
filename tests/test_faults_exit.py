"""Exit codes of `scorecard run --round all` (issue 19, point 4)."""

from __future__ import annotations

import pytest
from test_batch_fakes import make_district

import pipeline.batch
from pipeline.batch.outcome import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_LOCKED,
    EXIT_OK,
    RunOutcome,
    combined_exit_code,
)
from pipeline.cli import main


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], EXIT_OK),
        ([0, 0], EXIT_OK),
        ([3, 0], EXIT_FINDINGS),
        ([3, 1], EXIT_FAILED),
        ([1, 3], EXIT_FAILED),
        ([4, 3], EXIT_LOCKED),
        ([4, 1, 3], EXIT_FAILED),
    ],
)
def test_failure_outranks_findings(codes, expected):
    assert combined_exit_code(codes) == expected


def test_run_all_exits_1_when_one_round_failed_and_another_had_findings(
    tmp_path, monkeypatch, capsys
):
    cfg = make_district(tmp_path)
    status = {"R1": "failed", "R2": "findings"}

    def fake_run(config, rid, **kw):
        return RunOutcome(round_id=rid, status=status[rid], message=f"{rid} {status[rid]}")

    monkeypatch.setattr(pipeline.batch, "run_round", fake_run)
    assert main(["--config", str(cfg.source), "run", "--round", "all"]) == EXIT_FAILED
    status.update(R1="findings", R2="ok")
    assert main(["--config", str(cfg.source), "run", "--round", "all"]) == EXIT_FINDINGS
