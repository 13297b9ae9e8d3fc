"""One run per round at a time: a file lock in the processed root.

`round_lock` holds `data/processed/.<round>.lock` (an OS-level lock: it is
released when the process dies, even by SIGKILL) and writes who holds it
beside it, so a second run can say which process it is waiting for.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import EXIT_LOCKED, ScorecardError

log = logging.getLogger(__name__)


class RoundLockedError(ScorecardError):
    """Another run holds this round's lock."""

    exit_code = EXIT_LOCKED

    def __init__(self, round_id: str, lock_path: Path, holder: dict | None):
        self.round_id = round_id
        self.lock_path = lock_path
        self.holder = holder or {}
        who = ""
        if self.holder:
            who = (
                f"（主机 {self.holder.get('host', '?')} 上的进程 {self.holder.get('pid', '?')}，"
                f"开始于 {self.holder.get('started', '?')}）"
            )
        super().__init__(
            f"轮次 {round_id} 正在由另一个运行处理{who}，本次未运行。"
            f"请稍后再试，或加 --wait 等它结束后再运行。锁文件: {lock_path}"
        )


def lock_path(processed_root: Path, round_id: str) -> Path:
    return Path(processed_root) / f".{round_id}.lock"


def _holder_path(path: Path) -> Path:
    return path.with_name(path.name + ".info")


def read_holder(path: Path) -> dict | None:
    try:
        return json.loads(_holder_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def running_holder(processed_root: Path, round_id: str) -> dict | None:
    """Who is running this round now, if anyone (best effort, without taking the lock).

    The holder file is removed when a run ends; after a SIGKILL it stays, so a
    holder on this host whose process is gone does not count.
    """
    holder = read_holder(lock_path(processed_root, round_id))
    if not holder:
        return None
    if holder.get("host") == socket.gethostname():
        import psutil

        if not psutil.pid_exists(int(holder.get("pid", -1))):
            return None
    return holder


@contextmanager
def round_lock(
    processed_root: Path, round_id: str, wait: bool = False, stale: dict | None = None
) -> Iterator[Path]:
    """Hold the round's lock; raise RoundLockedError at once, or wait when `wait`.

    The holder file names this process, its process group and its run token
    (`children.py`). A holder file found on taking the lock is a run that was
    killed without cleaning up (SIGKILL, power loss): it is put into `stale`."""
    path = lock_path(processed_root, round_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = read_holder(path)
        if not wait:
            raise RoundLockedError(round_id, path, holder) from None
        log.info("轮次 %s 已有运行在进行（%s），等待其结束…", round_id, holder or "?")
        lock.acquire(timeout=-1)
    try:
        left = read_holder(path)
        if left and stale is not None:
            stale.update(left)
        info = {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "token": os.environ.get("SCORECARD_RUN_TOKEN"),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            _holder_path(path).write_text(json.dumps(info), encoding="utf-8")
        except OSError:  # informative only
            pass
        yield path
    finally:
        try:
            _holder_path(path).unlink(missing_ok=True)
        except OSError:
            pass
        lock.release()
