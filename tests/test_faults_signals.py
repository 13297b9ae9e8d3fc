"""A run owns its children (issue 19, point 5): SIGTERM ends them and records the run as
interrupted; after SIGKILL the next run ends what the dead run left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from test_batch import REPO, TESTS, run, snapshot
from test_batch_fakes import make_district, write_raw

from pipeline.batch.children import TOKEN_VAR, end_processes, processes_with, run_token
from pipeline.batch.manifest import last_run, read_json, runs_path

SCRIPT = """
import os, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_batch_fakes import FAKE_STAGES
from pipeline.batch import run_round
from pipeline.batch.children import RunTerminated
from pipeline.config import load_config

from test_faults_signals import spawn_and_sleep

def report(config, round_id, executor=None, **kw):
    if {jobs} > 1:  # the kernel's parent is a pool worker; this process waits for it
        executor.submit(spawn_and_sleep).result()
    spawn_and_sleep()

try:
    stages = {{**FAKE_STAGES, "report": report}}
    run_round(load_config(sys.argv[1]), "R1", jobs={jobs}, stages=stages)
except RunTerminated:
    sys.exit(1)
"""


def spawn_and_sleep() -> None:
    """Like a notebook kernel: a child in a session of its own, out of the process group's
    reach."""
    kid = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    Path(os.environ["KID_PID"]).write_text(str(kid.pid))
    Path(os.environ["FAKE_MARKER"]).touch()
    time.sleep(600)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start(district, tmp_path: Path, jobs: int = 1):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), jobs=jobs), encoding="utf-8")
    marker, kid = tmp_path / "in-report", tmp_path / "kid.pid"
    env = {**os.environ, "FAKE_MARKER": str(marker), "KID_PID": str(kid)}
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(district.source)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert marker.exists(), (tmp_path / "run.log").read_text(errors="replace")
    return proc, int(kid.read_text()), log


def _cmd(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _token_of(pid: int) -> str:
    return psutil.Process(pid).environ()[TOKEN_VAR]


@pytest.fixture
def district(tmp_path):
    cfg = make_district(tmp_path)
    assert run(cfg).exit_code == 0
    write_raw(tmp_path, "U4.xlsx", b"return of U4")  # the next run has work to do
    return cfg


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_ends_the_children_records_interrupted_and_keeps_outputs(district, tmp_path, jobs):
    before = snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1"))
    proc, kid, log = _start(district, tmp_path, jobs)
    token = _token_of(proc.pid)
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 1
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
    for _ in range(50):
        if not _alive(kid):
            break
        time.sleep(0.1)
    assert not _alive(kid)
    left = processes_with(token)
    _, alive = psutil.wait_procs(left, timeout=15)  # ended ones may still be on their way out
    assert [
        (p.pid, _cmd(p)) for p in alive
    ] == []  # no worker, forkserver or kernel of the run is left
    rec = last_run(district.paths.processed, "R1")
    assert rec["status"] == "interrupted" and "SIGTERM" in rec["message"]
    assert (
        snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1")) == before
    )


def test_after_sigkill_the_next_run_ends_what_the_dead_run_left(district, tmp_path):
    proc, kid, log = _start(district, tmp_path)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        log.close()
    assert _alive(kid)  # the orphan goes on: nothing in the dead run could stop it
    try:
        out = run(district)
        assert out.status == "ok", out.summary()
        assert not _alive(kid)
        history = read_json(runs_path(district.paths.processed, "R1"))["history"]
        assert history[0]["status"] == "interrupted" and history[0]["error"] == "killed"
        assert "1 个进程" in history[0]["message"]
    finally:
        if _alive(kid):
            os.kill(kid, signal.SIGKILL)


def test_the_token_names_this_process_and_finds_its_children(tmp_path):
    token = run_token()
    assert os.environ[TOKEN_VAR] == token and str(os.getpid()) in token
    kid = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        for _ in range(50):
            if any(p.pid == kid.pid for p in processes_with(token)):
                break
            time.sleep(0.1)
        assert any(p.pid == kid.pid for p in processes_with(token))
        assert (
            end_processes(processes_with(token)) >= 1
        )  # end_children() would also end pytest's own helpers
        assert kid.wait(10) is not None
    finally:
        if kid.poll() is None:
            kid.kill()
