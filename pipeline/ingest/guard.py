"""Keeping one hostile file from stopping the round.

Three layers:

1. `read.time_limit`: a SIGALRM in the reading thread turns a slow file into
   `FileTimeout` (works whenever Python code runs).
2. `hard_stop`: in a worker process, a watchdog thread ends the process when
   a file is still not done long after its limit (native code that never
   returns to Python, e.g. a parser stuck in a loop). The pool then reports
   a broken worker for the files it held.
3. `run_isolated`: every file whose task failed that way is read again alone,
   in a fresh process with a hard time limit; one that hangs is killed and
   rejected (`timeout`), one that kills its process is rejected
   (`unreadable`), and every other file of the batch is read normally.

In-process runs (jobs=1) have layer 1 only.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HARD_STOP_EXIT = 70


@contextmanager
def hard_stop(seconds: float) -> Iterator[None]:
    """In a child process: exit the process if the block runs longer than `seconds`."""
    if seconds <= 0 or multiprocessing.parent_process() is None:
        yield
        return
    timer = threading.Timer(seconds, os._exit, args=(HARD_STOP_EXIT,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


STARTUP_SECONDS = 120.0


def _child(conn, fn: Callable, calls: list[tuple[tuple, dict]]) -> None:
    conn.send((-1, "ready", None))  # the per-call clock starts after process start-up and imports
    for i, (args, kwargs) in enumerate(calls):
        try:
            conn.send((i, "ok", fn(*args, **kwargs)))
        except BaseException as exc:  # reported to the parent, never raised past here
            conn.send((i, "error", f"{type(exc).__name__}: {exc}"[:300]))
    conn.close()


def run_isolated(
    fn: Callable, calls: list[tuple[tuple, dict]], seconds: float
) -> list[tuple[str, object]]:
    """Run fn on each call, one after the other, in a fresh process; outcome per call.

    Outcomes: ('ok', result) | ('error', text) | ('timeout', None) | ('crashed', exitcode)
    | ('nostart', None) when no process could start (the caller may run those calls in-process).
    A call that hangs past `seconds` is killed, one that kills its process is
    reported; either way a new process carries on with the calls after it.
    """
    ctx = multiprocessing.get_context("forkserver")
    out: list[tuple[str, object] | None] = [None] * len(calls)
    start = 0
    while start < len(calls):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, fn, calls[start:]), daemon=True)
        proc.start()
        send.close()
        try:
            failed = _collect(recv, proc, out, start, seconds)
        finally:
            recv.close()
            if proc.is_alive():
                proc.kill()
            proc.join(5)
        if failed is None:
            break
        start = failed + 1
    return [o if o is not None else ("crashed", None) for o in out]


def _collect(recv, proc, out: list, start: int, seconds: float) -> int | None:
    """Read the child's reports into `out`; the index of the call that failed it, or None."""
    try:
        ready = recv.poll(max(STARTUP_SECONDS, seconds)) and recv.recv()[1] == "ready"
    except EOFError:
        ready = False
    if not ready:
        for k in range(start, len(out)):
            out[k] = ("nostart", None)
        return None
    nxt = start
    while nxt < len(out):
        if not recv.poll(seconds):
            proc.kill()
            out[nxt] = ("timeout", None)
            return nxt
        try:
            i, how, value = recv.recv()
        except EOFError:
            proc.join(5)
            out[nxt] = ("crashed", proc.exitcode)
            return nxt
        out[start + i] = (how, value)
        nxt = start + i + 1
    return None
