"""Running one notebook with papermill, in whatever process the executor gives.

`run_notebook(job)` executes `job.notebook` into `job.output` with an explicit
kernel, absolute paths and a per-cell timeout, retries once when the kernel
failed to start, and returns a `NotebookOutcome` (plain data, picklable)
naming the failing cell when a cell failed. It never raises for a notebook
failure: errors are data.
"""

from __future__ import annotations

import logging
import re
import time
import traceback as tb
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PACKAGED_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
"""Where a wheel install puts the notebooks (pyproject maps notebooks/ to pipeline/notebooks)."""
SOURCE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
"""The top-level notebooks/ of a source checkout (editable install)."""
NOTEBOOKS_DIR = PACKAGED_NOTEBOOKS if PACKAGED_NOTEBOOKS.is_dir() else SOURCE_NOTEBOOKS
"""The notebooks that ship with this copy of the package."""


def notebooks_dir(configured: Path | None) -> Path:
    """The report notebooks: `[paths] notebooks` where the config sets it, else the shipped copy."""
    return Path(configured) if configured is not None else NOTEBOOKS_DIR


@dataclass(frozen=True)
class NotebookJob:
    name: str  # e.g. district, type-社区, unit-cards-1
    notebook: Path  # the source notebook (absolute)
    output: Path  # the executed copy (absolute)
    parameters: dict[str, Any]
    kernel: str
    cell_timeout: int
    cwd: Path
    start_timeout: int = 60


@dataclass
class NotebookOutcome:
    name: str
    output: Path
    ok: bool
    seconds: float
    attempts: int = 1
    cell_index: int | None = None
    cell_source: str = ""
    error: str = ""
    exec_count: int | None = None
    traceback: str = ""  # the full traceback, for the run log (reports/.logs), never for a page

    def where(self) -> str:
        """The failing cell as a reader finds it in the executed notebook."""
        if self.cell_index is None:
            return "内核启动或执行超时"
        label = (
            f"单元格 In [{self.exec_count}]"
            if self.exec_count
            else f"第{self.cell_index + 1}个单元格"
        )
        return f"{label}: {self.cell_source}"

    def describe(self) -> str:
        return f"{self.output.name}（{self.where()}）{self.error}"


def _kernel_manager_class(log_path: Path):
    """A kernel manager whose kernel writes its own stdout/stderr to `log_path`.

    Keeps ipykernel's start-up chatter out of the user's terminal while keeping
    anything a crashing kernel says next to the executed notebook.
    """
    from jupyter_client import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        # jupyter_client declares start_kernel sync (run_sync); the async manager's is a coroutine
        async def start_kernel(self, **kw: Any) -> Any:  # type: ignore[override]
            with open(log_path, "ab") as handle:  # the kernel keeps its own copy of the fd
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                return await super().start_kernel(**kw)

    return LoggedKernelManager


def _failed_cell(output: Path) -> tuple[int | None, str, bool]:
    """(index, first source line, any cell started) from papermill's cell metadata."""
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:
        return None, "", False
    started = False
    failed: tuple[int | None, str] = (None, "")
    for i, cell in enumerate(nb.cells):
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        if status in ("running", "completed", "failed"):
            if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
                started = True
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if (status in ("failed", "running") or errored) and failed[0] is None:
            src = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
            failed = (i, src[:80])
    return failed[0], failed[1], started


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _error_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):  # a cell raised: the notebook's own exception
        return f"{exc.ename}: {exc.evalue}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def _traceback_text(exc: BaseException) -> str:
    """The traceback of a failure: the notebook cell's when a cell raised, else the runner's."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError) and exc.traceback:
        return _ANSI.sub("", "\n".join(exc.traceback))
    return "".join(tb.format_exception(exc)).rstrip()


def run_notebook(job: NotebookJob) -> NotebookOutcome:
    """Execute one notebook; one retry if the kernel did not start."""
    import papermill as pm

    job.output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        try:
            pm.execute_notebook(
                str(job.notebook),
                str(job.output),
                parameters=job.parameters,
                kernel_name=job.kernel,
                cwd=str(job.cwd),
                progress_bar=False,
                log_output=False,
                start_timeout=job.start_timeout,
                execution_timeout=job.cell_timeout,
                kernel_manager_class=_kernel_manager_class(job.output.with_suffix(".kernel.log")),
            )
            return NotebookOutcome(job.name, job.output, True, time.perf_counter() - t0, attempts)
        except Exception as exc:
            from papermill.exceptions import PapermillExecutionError

            index, source, started = _failed_cell(job.output)
            # papermill ships no types: the failed cell's fields, when a cell failed
            cell_error: Any = exc if isinstance(exc, PapermillExecutionError) else None
            if cell_error is not None:
                index = cell_error.cell_index
            if index is None and not started and attempts == 1 and not _no_such_kernel(exc):
                log.warning("%s: 内核启动失败（%s），重试一次", job.name, _error_text(exc))
                continue
            error = _error_text(exc)
            if isinstance(exc, TimeoutError) and index is not None:
                error = (
                    f"单元格执行超过 {job.cell_timeout} 秒"
                    f"（report.cell_timeout_seconds），已中止: {error}"
                )
            if index is None:  # the kernel itself failed: what did it say?
                error += _log_tail(job.output.with_suffix(".kernel.log"))
            return NotebookOutcome(
                job.name,
                job.output,
                False,
                time.perf_counter() - t0,
                attempts,
                cell_index=index,
                cell_source=source,
                error=error,
                exec_count=cell_error.exec_count if cell_error is not None else None,
                traceback=_traceback_text(exc),
            )


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        tail = [
            x
            for x in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if x.strip() and "without encryption" not in x
        ][-lines:]
    except OSError:
        return ""
    return f"（内核输出：{' / '.join(tail)}）" if tail else ""


def _no_such_kernel(exc: BaseException) -> bool:
    return type(exc).__name__ == "NoSuchKernel"
