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
