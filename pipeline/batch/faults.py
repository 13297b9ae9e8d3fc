"""Faults of the run's surroundings, each with a Chinese cause and fix and one exit code.

A read-only or full disk, a missing roster, an unreachable Dask scheduler:
these are not bugs, so the user gets a message saying what is wrong and what
to do, never a traceback. `FAULTS` is the one table (kind -> exit code, what,
fix); `RunFault` carries one instance; `fault_from_exception` recognises one in
an exception raised deeper down; `preflight` checks the surroundings before a
run takes its lock.
"""

from __future__ import annotations

import errno
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.batch.outcome import EXIT_FAILED
from pipeline.errors import ScorecardError

# kind -> (exit code, what happened {path} {cause}, how to fix it)
FAULTS: dict[str, tuple[int, str, str]] = {
    "read_only": (
        EXIT_FAILED,
        "目录 {path} 无法写入（{cause}）",
        "请检查该目录所在磁盘是否以只读方式挂载、运行用户是否有写权限，修复后重新运行",
    ),
    "disk_full": (
        EXIT_FAILED,
        "磁盘空间已满，无法写入 {path}",
        "请清理磁盘（例如 reports/.logs 中的旧日志、已结束轮次的报告）后重新运行",
    ),
    "roster_missing": (
        EXIT_FAILED,
        "名册文件 {path} 不存在",
        "请把名册放到该位置，或在 scorecard.toml 的 [paths] roster 中指定名册文件"
        "（演示可先运行 scorecard demo）",
    ),
    "scheduler_unreachable": (
        EXIT_FAILED,
        "无法连接 Dask 调度器 {path}（{cause}）",
        "请确认调度器已启动、地址和端口正确、防火墙放行，"
        "或去掉 --scheduler 和配置 [batch] scheduler 改在本机运行",
    ),
}
CONNECT_SECONDS = 5.0


@dataclass
class RunFault(ScorecardError):
    kind: str
    path: str
    cause: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.message)
        self.exit_code = FAULTS[self.kind][0]

    @property
    def message(self) -> str:
        _, what, fix = FAULTS[self.kind]
        return f"{what.format(path=self.path, cause=self.cause)}。{fix}。"

    def __str__(self) -> str:
        return self.message


def _cause(exc: OSError) -> str:
    return {errno.EROFS: "只读文件系统", errno.EACCES: "没有写权限", errno.EPERM: "不允许写入"}.get(
        exc.errno or 0, exc.strerror or type(exc).__name__
    )


def fault_from_exception(exc: BaseException, path: Path | str | None = None) -> RunFault | None:
    """The fault an exception (or one it was raised from) stands for, or None."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, RunFault):
            return cur
        if isinstance(cur, OSError) and cur.errno in (errno.ENOSPC, errno.EDQUOT):
            return RunFault("disk_full", str(cur.filename or path or "?"))
        if isinstance(cur, OSError) and cur.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return RunFault("read_only", str(cur.filename or path or "?"), _cause(cur))
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def check_writable(folder: Path) -> None:
    """RunFault unless a file can be created in `folder` (made if missing)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise fault_from_exception(exc, folder) or RunFault(
            "read_only", str(folder), _cause(exc)
        ) from None


def check_scheduler(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """RunFault unless something accepts a TCP connection at the scheduler's address (fast)."""
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=seconds):
            pass
    except OSError as exc:
        cause = (
            "连接超时"
            if isinstance(exc, TimeoutError)
            else (
                "连接被拒绝，该端口没有调度器在监听"
                if isinstance(exc, ConnectionRefusedError)
                else (exc.strerror or str(exc))
            )
        )
        raise RunFault("scheduler_unreachable", address, cause) from None


def preflight(config, scheduler: str | None) -> None:
    """The surroundings a run needs: writable data and report folders, the roster, the scheduler."""
    check_writable(config.paths.processed)
    check_writable(config.paths.reports)
    if not Path(config.paths.roster).is_file():
        raise RunFault("roster_missing", str(config.paths.roster))
    if scheduler:
        check_scheduler(scheduler)
