"""open_executor's Dask branch: tasks on a cluster behave as on the local pool."""

from __future__ import annotations

from pathlib import Path

from pipeline.executors import open_executor


def _append(path: str) -> int:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("x")
    return Path(path).stat().st_size


def test_equal_tasks_on_a_cluster_each_run(tmp_path):
    """Tasks write files: two equal submissions are two runs, as on a process pool
    (Dask's default, pure=True, would give both the first one's result)."""
    import distributed

    out = tmp_path / "log.txt"
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        with open_executor(2, scheduler=cluster.scheduler_address) as ex:
            first = ex.submit(_append, str(out)).result()
            second = ex.submit(_append, str(out)).result()
    assert (first, second) == (1, 2)
    assert out.read_text(encoding="utf-8") == "xx"
