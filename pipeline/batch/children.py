"""A run owns its children: it ends them when stopped, and ends what a killed run left.

Every process a run starts (pool workers, the forkserver, papermill's notebook
kernels, which run in sessions of their own) inherits the environment variable
`SCORECARD_RUN_TOKEN`, set once per run process to `<host>:<pid>:<start time>`.
So the run can find all of them, even a kernel whose worker died and that is
no longer its descendant:

- SIGTERM (what `timeout` and systemd send) is turned into `RunTerminated`
  (SIGINT already is KeyboardInterrupt); the run records itself as
  interrupted, keeps the last published outputs and `end_children` ends every
  descendant and every process carrying its token;
- the round lock's holder file names the token and process group; a run that
  finds the holder file of a run killed by SIGKILL ends the processes that
  still carry the dead run's token (`end_leftovers`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

log = logging.getLogger(__name__)

TOKEN_VAR = "SCORECARD_RUN_TOKEN"
GRACE_SECONDS = 3.0


class RunTerminated(BaseException):
    """SIGTERM received: stop the run like Ctrl-C does (a BaseException, not an error)."""


def run_token() -> str:
    """This process's token, set in the environment so every child inherits it.

    A token inherited from a parent (another run) is replaced: it names this process."""
    me = psutil.Process()
    token = f"{socket.gethostname()}:{me.pid}:{int(me.create_time())}"
    os.environ[TOKEN_VAR] = token
    return token


def processes_with(token: str) -> list[psutil.Process]:
    """Live processes (other than this one) whose environment carries `token`."""
    out = []
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        try:
            if p.environ().get(TOKEN_VAR) == token:
                out.append(p)
        except (psutil.Error, OSError):
            continue
    return out


def end_processes(procs: list[psutil.Process], grace: float = GRACE_SECONDS) -> int:
    """SIGTERM, then SIGKILL after `grace` seconds; how many were ended."""
    procs = [p for p in {p.pid: p for p in procs}.values() if p.pid != os.getpid()]
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=grace)
    return len(procs)


def end_children(token: str | None = None) -> int:
    """End every descendant of this process and every process carrying this run's token."""
    try:
        procs = psutil.Process().children(recursive=True)
    except psutil.Error:
        procs = []
    token = token or os.environ.get(TOKEN_VAR)
    if token:
        procs += processes_with(token)
    return end_processes(procs) if procs else 0


def end_leftovers(holder: dict | None) -> int:
    """After a run killed by SIGKILL: end what still carries its token (same host only)."""
    if not holder or holder.get("host") != socket.gethostname() or not holder.get("token"):
        return 0
    if psutil.pid_exists(int(holder.get("pid", -1))) and holder.get("pid") != os.getpid():
        try:
            if psutil.Process(int(holder["pid"])).environ().get(TOKEN_VAR) == holder["token"]:
                return 0  # still alive (the lock says otherwise only on another machine)
        except (psutil.Error, OSError):
            pass
    left = processes_with(holder["token"])
    return end_processes(left) if left else 0


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While the block runs, SIGTERM raises RunTerminated in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise RunTerminated()

    old = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
