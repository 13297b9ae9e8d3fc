"""Where parallel work runs: local processes, in-process, or a Dask cluster.

Ingestion (one task per file) and report rendering (one task per batch of
pages) submit plain picklable functions to a `concurrent.futures.Executor`.
`open_executor` picks it: a Dask distributed client's executor when a
scheduler address is given, a process pool for jobs > 1, in-process otherwise.
The calling code is the same on all three.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class InlineExecutor(Executor):
    """Runs each task at submit time in this process (jobs=1, debugging, tests)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        fut: Future[R] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller via the future
            fut.set_exception(exc)
        return fut


def default_jobs(jobs: int | None) -> int:
    """None or 0 means all cores."""
    if not jobs:
        return max(
            1,
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1,
        )
    return max(1, int(jobs))


@contextmanager
def open_executor(jobs: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor for `jobs` local processes, or for the Dask cluster at `scheduler`."""
    if scheduler:
        from distributed import Client

        client = Client(scheduler, set_as_default=False)
        try:
            # pure=False: every task writes files (pages, parsed returns), so two equal
            # submissions must both run, and no argument is hashed to make a task key
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    n = default_jobs(jobs)
    if n == 1:
        yield InlineExecutor()
        return
    import multiprocessing

    # forkserver: safe with threads in the parent (tqdm, matplotlib), cheap enough for our tasks
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        try:
            yield pool
        except BaseException as exc:
            if not isinstance(exc, Exception):  # SIGTERM / Ctrl-C: do not wait for running tasks
                stop_pool(pool)
            raise


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (their own children are ended by the run)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()
        except Exception:
            pass


def is_broken(executor: Executor) -> bool:
    """A process pool that lost a worker (it refuses every later task)."""
    return (
        bool(getattr(executor, "_broken", False))
        if isinstance(executor, ProcessPoolExecutor)
        else False
    )


def is_cold_pool(executor: Executor) -> bool:
    """A local process pool whose workers have not started yet (its first task pays their start)."""
    return isinstance(executor, ProcessPoolExecutor) and not getattr(executor, "_processes", None)


def map_unordered(
    executor: Executor, fn: Callable[[T], R], items: Iterable[T]
) -> Iterator[tuple[T, Future[R]]]:
    """Submit fn(item) for each item; yield (item, future) as they complete."""
    futures = {executor.submit(fn, item): item for item in items}
    for fut in as_completed(futures):
        yield futures[fut], fut
