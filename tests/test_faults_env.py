"""Faults of the surroundings give a Chinese cause and fix, an exit code, no traceback
(issue 19, point 7)."""

from __future__ import annotations

import errno
import socket

import pytest
from test_batch_fakes import FAKE_STAGES, make_district

import pipeline.batch.run as run_mod
from pipeline.batch import EXIT_FAILED, EXIT_OK, run_round
from pipeline.batch.faults import FAULTS, RunFault, fault_from_exception
from pipeline.batch.manifest import last_run
from pipeline.cli import main


def _run(cfg, **kw):
    return run_round(cfg, "R1", jobs=1, stages=FAKE_STAGES, **kw)


def test_every_fault_has_a_code_a_cause_and_a_fix():
    for kind, (code, what, fix) in FAULTS.items():
        assert code == EXIT_FAILED and "{path}" in what and fix
        assert RunFault(kind, "/x", "c").message.endswith("。")


def test_os_errors_are_recognised_through_causes():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/x.parquet")
        except OSError as inner:
            raise RuntimeError("stage failed") from inner
    except RuntimeError as exc:
        fault = fault_from_exception(exc)
    assert fault is not None and fault.kind == "disk_full" and "/data/x.parquet" in fault.message
    assert fault_from_exception(ValueError("x")) is None


def test_missing_roster_under_run_is_a_message_and_a_record(tmp_path, capsys):
    cfg = make_district(tmp_path)
    cfg.paths.roster.unlink()
    out = _run(cfg)
    assert (
        out.exit_code == EXIT_FAILED
        and "名册文件" in out.message
        and "scorecard demo" in out.message
    )
    assert last_run(cfg.paths.processed, "R1")["error"] == "roster_missing"
    code = main(["--config", str(cfg.source), "run", "--round", "R1", "--jobs", "1"])
    err = capsys.readouterr()
    assert code == EXIT_FAILED and "Traceback" not in err.err + err.out


def test_reports_that_cannot_be_written_fail_before_anything_runs(tmp_path):
    cfg = make_district(tmp_path)
    cfg.paths.reports.parent.mkdir(parents=True, exist_ok=True)
    cfg.paths.reports.write_text(
        "not a folder"
    )  # as unwritable as a read-only mount, even for root
    out = _run(cfg)
    assert out.exit_code == EXIT_FAILED and "无法写入" in out.message and "只读" in out.message


def test_a_read_only_file_system_is_named(tmp_path, monkeypatch):
    cfg = make_district(tmp_path)

    def erofs(*a, **kw):
        raise OSError(errno.EROFS, "Read-only file system", str(cfg.paths.reports))

    monkeypatch.setattr("pipeline.batch.faults.tempfile.mkstemp", erofs)
    out = _run(cfg)
    assert out.exit_code == EXIT_FAILED and "只读文件系统" in out.message


def test_a_full_disk_for_the_run_record_costs_a_warning_not_the_run(tmp_path, monkeypatch, caplog):
    cfg = make_district(tmp_path)
    assert _run(cfg).exit_code in (EXIT_OK, 3)

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", "record.json")

    monkeypatch.setattr(run_mod, "append_run_record", full)
    out = _run(cfg)  # nothing to do: skipped
    assert out.status == "skipped" and out.exit_code == EXIT_OK
    assert any("磁盘空间已满" in r.getMessage() for r in caplog.records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_fails_fast_with_a_message(tmp_path):
    cfg = make_district(tmp_path)
    out = _run(cfg, scheduler=f"tcp://127.0.0.1:{_free_port()}")
    assert (
        out.exit_code == EXIT_FAILED
        and "Dask 调度器" in out.message
        and "连接被拒绝" in out.message
    )
    assert out.failed_stage == "setup"


@pytest.mark.parametrize("errno_", [errno.ENOSPC, errno.EROFS])
def test_the_cli_turns_disk_faults_into_messages(tmp_path, monkeypatch, capsys, errno_):
    cfg = make_district(tmp_path)

    def boom(args):
        raise OSError(errno_, "x", "/somewhere")

    from pipeline import cli

    monkeypatch.setattr(cli, "build_parser", _parser_with(cli, boom))
    assert cli.main(["--config", str(cfg.source), "status", "--round", "R1"]) == EXIT_FAILED
    assert "/somewhere" in capsys.readouterr().err


def _parser_with(cli, fn):
    real = cli.build_parser

    def build():
        p = real()
        for action in p._subparsers._group_actions:
            for name, sub in action.choices.items():
                if name == "status":
                    sub.set_defaults(func=fn)
        return p

    return build
