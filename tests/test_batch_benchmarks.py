"""The benchmark runner (`python -m benchmarks`): sections, merging, failures."""

from __future__ import annotations

import sys
import types

import pytest

import benchmarks.__main__ as runner


@pytest.fixture
def fake_benches(monkeypatch):
    import os

    for key in [k for k in os.environ if k.startswith("BENCH_")]:
        monkeypatch.delenv(key)
    mods = {}
    for name in ("alpha", "beta"):
        mod = types.ModuleType(f"benchmarks.bench_{name}")
        mod.run = lambda work, quick=False, name=name: f"## {name}\n\n| n |\n| --- |\n| {quick} |\n"
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        mods[name] = mod
    monkeypatch.setattr(runner, "discover", lambda: ["alpha", "beta"])
    return mods


def test_writes_every_section_with_command_machine_and_date(fake_benches, tmp_path):
    out = tmp_path / "b.md"
    assert runner.main(["--quick", "--out", str(out), "--work", str(tmp_path / "w")]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Machine" in text and "usable cores" in text and "GiB" in text
    assert "## alpha" in text and "## beta" in text and "| True |" in text
    assert text.count("_Produced by `python -m benchmarks --quick") == 2
    assert "UTC" in text


def test_every_section_names_the_commit_it_measured(fake_benches, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_git", lambda: "abc1234")
    out = tmp_path / "b.md"
    assert runner.main(["--out", str(out), "--work", str(tmp_path / "w")]) == 0
    sections = dict(runner.SECTION.findall(out.read_text(encoding="utf-8")))
    assert sorted(sections) == ["alpha", "beta"]
    for body in sections.values():
        assert "_Produced by `python -m benchmarks --out" in body
        assert " at commit abc1234 on " in body


def test_the_commit_is_this_checkouts_head():
    import re

    head = runner.benchmarks.git("rev-parse", "--short", "HEAD").decode().strip()
    assert re.fullmatch(r"[0-9a-f]{7,}( \(with uncommitted changes\))?", runner._git())
    assert runner._git().startswith(head)


def test_bench_settings_are_part_of_the_recorded_command(fake_benches, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_E2E_SIZES", "200,2000,20000")
    out = tmp_path / "b.md"
    assert runner.main(["--only", "alpha", "--out", str(out), "--work", str(tmp_path / "w")]) == 0
    text = out.read_text(encoding="utf-8")
    assert (
        "Last command: `BENCH_E2E_SIZES=200,2000,20000 python -m benchmarks --only alpha --out"
        in text
    )
    assert (
        "_Produced by `BENCH_E2E_SIZES=200,2000,20000 python -m benchmarks --only alpha --out"
        in text
    )


def test_only_refreshes_some_sections_and_a_failure_keeps_old_figures(fake_benches, tmp_path):
    out = tmp_path / "b.md"
    args = ["--out", str(out), "--work", str(tmp_path / "w")]
    assert runner.main(args) == 0
    fake_benches["beta"].run = lambda work, quick=False: "## beta\n\nnew figures\n"
    assert runner.main(["--only", "beta", *args]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## alpha" in text and "new figures" in text

    def boom(work, quick=False):
        raise RuntimeError("disk full")

    fake_benches["beta"].run = boom
    assert runner.main(["--only", "beta", *args]) == 1
    text = out.read_text(encoding="utf-8")
    assert "new figures" in text and "failed (RuntimeError: disk full)" in text
    assert "python -m benchmarks --only beta --out" in text and "` at commit " in text


def test_cluster_sizing_keeps_fixed_costs_fixed_and_counts_whole_batches():
    from benchmarks import bench_cluster as bc

    # a figure that costs 10 s at any size stays 10 s; one linear in units scales
    assert bc.extrapolate((200, 10.0), (2000, 10.0), 20000) == 10.0
    assert bc.extrapolate((200, 2.0), (2000, 20.0), 20000) == 200.0
    assert bc.extrapolate((200, 30.0), (2000, 20.0), 20000) == 20.0  # noise never lowers it
    # 20,000 cards come in 80 batches of 250 (MAX_CARDS_PER_BATCH): 10 s each on 1 worker
    assert bc.batches_for(20000, 2) == 80
    figures = dict(card_work=800.0, page_work=0.0, longest_page=0.0, serial=100.0)
    assert bc.run_wall(20000, 1, **figures) == 900.0
    assert bc.run_wall(20000, 3, **figures) == 100.0 + 27 * 10.0  # ceil(80 / 3) rounds
    assert bc.workers_needed(20000, budget=500.0, **figures) == 2  # 100 + 40 * 10
    assert bc.workers_needed(20000, budget=200.0, **figures) == 8  # 100 + 10 * 10
    # the calling process alone over budget: no number of workers helps
    assert bc.workers_needed(20000, budget=90.0, **figures) is None
    # the longest page notebook is one task: more workers do not shorten it
    slow_page = {**figures, "longest_page": 300.0}
    assert bc.workers_needed(20000, budget=399.0, **slow_page) is None
    assert bc.workers_needed(20000, budget=400.0, **slow_page) == 3
    # the pages the calling process writes while the notebooks run: overlapped, not added
    busy = {**figures, "overlapped": 150.0}
    assert bc.run_wall(20000, 8, **busy) == 100.0 + 150.0  # longer than 10 rounds of 10 s
    assert bc.run_wall(20000, 2, **busy) == 100.0 + 40 * 10.0
