"""Wall time and peak memory of a stage (this process and its child processes)."""

from __future__ import annotations

import resource
import threading
import time
from types import TracebackType

import psutil

MB = 1024 * 1024


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        total += proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


class StageMeter:
    """Context manager: `.seconds` and `.peak_rss_mb` (sampled every `interval` s).

    The peak is the largest sum of resident memory of this process and its
    children seen while the stage ran (a sampled figure: a spike shorter than
    the interval can be missed).
    """

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.seconds = 0.0
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc = psutil.Process()
        self._peak = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _tree_rss(self._proc))
            self._stop.wait(self.interval)

    def __enter__(self) -> StageMeter:
        self._t0 = time.perf_counter()
        self._peak = _tree_rss(self._proc)
        self._thread = threading.Thread(target=self._sample, name="stage-meter", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, _tree_rss(self._proc))
        self.seconds = time.perf_counter() - self._t0
        self.peak_rss_mb = round(self._peak / MB, 1)

    def to_dict(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 3), "peak_rss_mb": self.peak_rss_mb}


def max_rss_mb() -> dict[str, float]:
    """Lifetime peaks from getrusage (Linux reports KiB): this process, largest child."""
    return {
        "self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
