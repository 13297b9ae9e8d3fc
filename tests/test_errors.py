"""One ScorecardError base: exit codes and messages mapped in one place; report tracebacks in
the run log."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.batch.faults import RunFault
from pipeline.batch.lock import RoundLockedError
from pipeline.batch.logs import run_logging
from pipeline.config import ConfigError, UnknownRoundError
from pipeline.demo.district import DemoSizeError
from pipeline.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE, TRACEBACK_LOGGER, ScorecardError
from pipeline.report.preflight import ReportPrerequisiteError
from pipeline.report.runner import NOTEBOOKS_DIR, NotebookJob, run_notebook
from pipeline.roster import RosterError
from pipeline.templates import UnknownUnitError


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigError(Path("x.toml"), []), EXIT_USAGE),
        (UnknownRoundError("未知的轮次 2099-01"), EXIT_USAGE),
        (UnknownUnitError("单位编码 'X' 不在单位名册中"), EXIT_USAGE),
        (DemoSizeError(3), EXIT_USAGE),
        (RosterError("r.xlsx", []), EXIT_FAILED),
        (ReportPrerequisiteError([]), EXIT_FAILED),
        (RunFault("read_only", "/data", "只读文件系统"), EXIT_FAILED),
        (RoundLockedError("2026-08", Path("/tmp/x.lock"), None), EXIT_LOCKED),
    ],
)
def test_every_pipeline_error_is_a_scorecard_error_with_its_exit_code(exc, code):
    assert isinstance(exc, ScorecardError) and exc.exit_code == code
    assert exc.cli_message().strip()


def test_the_cli_maps_any_scorecard_error_by_its_exit_code_and_message(monkeypatch, capsys):
    class Odd(ScorecardError):
        exit_code = 7

    def boom(args):
        raise Odd("某个错误")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(
        parser, "parse_args", lambda argv: argparse.Namespace(verbose=False, func=boom)
    )
    assert cli.main([]) == 7
    err = capsys.readouterr().err
    assert "错误: 某个错误" in err and "Traceback" not in err


def test_a_failed_cell_is_recognised_by_type_and_keeps_its_traceback(tmp_path, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def fake(input_path, output_path, **kwargs):
        raise PapermillExecutionError(
            2,
            5,
            "raise ValueError('坏')",
            "ValueError",
            "坏",
            ["\x1b[0;31m---------\x1b[0m", "Cell In[5], line 1", "ValueError: 坏"],
        )

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    job = NotebookJob(
        "x",
        NOTEBOOKS_DIR / "unit.ipynb",
        tmp_path / "x.ipynb",
        {},
        "grassroots-scorecard",
        60,
        tmp_path,
    )
    outcome = run_notebook(job)
    assert not outcome.ok and outcome.attempts == 1
    assert outcome.cell_index == 2 and outcome.exec_count == 5
    assert outcome.error == "ValueError: 坏"
    assert "Cell In[5], line 1" in outcome.traceback and "\x1b[" not in outcome.traceback


def test_an_exception_that_only_looks_like_a_cell_failure_is_not_one(tmp_path, monkeypatch):
    import papermill

    class Impostor(RuntimeError):  # has the attributes, not the type
        cell_index, exec_count, ename, evalue = 1, 1, "X", "y"

    def fake(input_path, output_path, **kwargs):
        raise Impostor("kernel went away")

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    job = NotebookJob(
        "x",
        NOTEBOOKS_DIR / "unit.ipynb",
        tmp_path / "x.ipynb",
        {},
        "grassroots-scorecard",
        60,
        tmp_path,
    )
    outcome = run_notebook(job)
    assert outcome.exec_count is None and "Impostor: kernel went away" in outcome.error
    assert "Traceback (most recent call last)" in outcome.traceback


def test_report_tracebacks_reach_the_run_log_but_not_the_terminal(tmp_path, capsys):
    from pipeline.report import build  # attaches a NullHandler and stops propagation

    with run_logging(tmp_path, "2026-08", datetime.now(UTC)) as log_path:
        build.TRACEBACK_LOG.error(
            "报告 %s 失败的完整回溯:\n%s", "type-村", "Traceback ...\nRuntimeError: 故意失败"
        )
        logging.getLogger("pipeline.report.build").error("报告 type-村 失败: 故意失败")
    text = log_path.read_text(encoding="utf-8")
    assert "RuntimeError: 故意失败" in text and "报告 type-村 失败: 故意失败" in text
    assert "Traceback" not in capsys.readouterr().err
    assert logging.getLogger(TRACEBACK_LOGGER) is build.TRACEBACK_LOG
