"""A file that hangs or kills its reader never stops the round."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from test_ingest_support import make_config, make_return

from pipeline.executors import InlineExecutor
from pipeline.ingest import ingest_round
from pipeline.ingest.guard import run_isolated


def _task(x: str) -> str:
    if x == "hang":
        time.sleep(60)
    if x == "die":
        os._exit(3)
    if x == "raise":
        raise ValueError("bad")
    return x * 2


def test_isolated_calls_survive_hangs_and_crashes():
    calls = [((x,), {}) for x in ("a", "hang", "die", "raise", "b")]
    out = run_isolated(_task, calls, seconds=3)
    assert out[0] == ("ok", "aa")
    assert out[1] == ("timeout", None)
    assert out[2] == ("crashed", 3)
    assert out[3][0] == "error" and "ValueError" in out[3][1]
    assert out[4] == ("ok", "bb")


class BreakingExecutor(InlineExecutor):
    """Like a process pool whose worker died while holding some files."""

    def submit(self, fn, /, *args, **kwargs):
        labels = [label for _, label in args[0]]
        if any(label.startswith("broken") for label in labels):
            fut: Future = Future()
            fut.set_exception(BrokenProcessPool("a worker died"))
            return fut
        return super().submit(fn, *args, **kwargs)


def test_files_of_a_broken_pool_are_read_again_alone(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round("2026-07")
    make_return(raw / "broken_太平社区.xlsx")
    make_return(raw / "金家村.xlsx", unit_name="金家村")
    res = ingest_round(cfg, "2026-07", executor=BreakingExecutor(), progress=False)
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["broken_太平社区.xlsx", "status"] == "accepted"
    assert subs.loc["金家村.xlsx", "status"] == "accepted"
