"""`run_round` with the real stages on the 60-unit demo district, locally and on a
local Dask cluster (same tables). Slow-ish: each test is one or two full runs."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from pipeline.batch import EXIT_FINDINGS, EXIT_OK, round_status, run_round
from pipeline.config import load_config
from pipeline.tables import INGEST_TABLES, SCORE_TABLES, read_tables

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("batch_e2e")]


def copy_district(demo_dir: Path, dest: Path):
    """The demo district's inputs only (config, roster, raw returns), mtimes kept."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {"processed", "reports", "calls.log"}
        return {n for n in names if n in skip or n.startswith(".")}

    shutil.copytree(demo_dir, dest, ignore=ignore)
    config = load_config(dest / "scorecard.toml")
    assert config.paths.raw.is_relative_to(dest), "the demo config must use relative paths"
    return config


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order (by every column's text), so row order does not matter."""
    if df.empty:
        return df.reset_index(drop=True)
    key = df.astype(str)
    order = key.sort_values(list(key.columns), kind="mergesort").index
    return df.loc[order].reset_index(drop=True)


@pytest.fixture(scope="session")
def _pinned_code_digest():
    """The fingerprint hashes the package's files; others may edit them while tests run."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("pipeline.batch.fingerprint.code_digest", lambda: "fixed")
        yield


@pytest.fixture(autouse=True)
def _fixed_code_digest(_pinned_code_digest):
    yield


@dataclass
class LocalRun:
    config: object
    round_id: str
    exit_code: int
    index: str | None


@pytest.fixture(scope="session")
def local_run(demo_dir, tmp_path_factory, _pinned_code_digest) -> LocalRun:
    """One full local run of the demo's first round, shared by all xdist workers."""
    root = tmp_path_factory.getbasetemp().parent
    folder, done = root / "batch-e2e-local", root / "batch-e2e-local.json"
    with FileLock(str(root / "batch-e2e-local.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            config = copy_district(demo_dir, folder)
            rid = config.rounds_in_order()[0].id
            out = run_round(config, rid, jobs=2)
            assert out.exit_code in (EXIT_OK, EXIT_FINDINGS), out.summary()
            done.write_text(
                json.dumps({"round": rid, "exit_code": out.exit_code, "index": str(out.index)}),
                encoding="utf-8",
            )
    info = json.loads(done.read_text(encoding="utf-8"))
    config = load_config(folder / "scorecard.toml")
    return LocalRun(config, info["round"], info["exit_code"], info["index"])


def test_run_end_to_end_publishes_everything(local_run):
    config, rid = local_run.config, local_run.round_id
    assert local_run.exit_code in (EXIT_OK, EXIT_FINDINGS)
    processed = config.paths.processed_round(rid)
    reports = config.paths.reports_round(rid)
    assert {p.stem for p in processed.glob("*.parquet")} >= {*INGEST_TABLES, *SCORE_TABLES}
    assert (reports / "index.html").is_file() and local_run.index == str(reports / "index.html")
    m = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert m["counts"]["units"] >= 60
    assert len(m["inputs"]["files"]) == sum(
        1 for p in config.paths.raw_round(rid).rglob("*") if p.is_file()
    )
    assert {"ingest", "score", "report"} <= set(m["timings"])
    # nothing published points into the temporary build folders
    for p in reports.rglob("*"):
        if p.suffix in (".html", ".json", ".ipynb") and p.name != "manifest.json":
            assert ".tmp-" not in p.read_text(encoding="utf-8", errors="replace"), p
    leftovers = [
        p.name
        for p in (*processed.parent.iterdir(), *reports.parent.iterdir())
        if ".tmp-" in p.name
    ]
    assert leftovers == []
    text = round_status(config, rid).render()
    assert "报送情况: 应报" in text and "最近一次运行" in text


def test_rerun_with_nothing_changed_skips(local_run):
    config, rid = local_run.config, local_run.round_id
    # other xdist workers run the same round on this shared folder: wait for the lock
    again = run_round(config, rid, jobs=2, wait=True)
    assert again.status == "skipped" and again.exit_code == EXIT_OK, again.summary()


def test_cli_run_and_status(local_run, capsys):
    from pipeline.cli import main

    config, rid = local_run.config, local_run.round_id
    assert main(["--config", str(config.source), "run", "--round", rid, "--wait"]) == EXIT_OK
    assert "没有变化" in capsys.readouterr().out
    assert main(["--config", str(config.source), "status", "--round", rid]) == EXIT_OK
    assert "未报单位" in capsys.readouterr().out


def _index_only(
    config, round_id, processed_dir=None, out_dir=None, jobs=None, executor=None, reuse=True
):
    """A stand-in report stage (the real one is covered above): saves two minutes."""
    Path(out_dir, "index.html").write_text("<p>stand-in</p>", encoding="utf-8")


def test_second_round_compares_with_the_first(local_run):
    config = local_run.config
    second = config.rounds_in_order()[1].id
    out = run_round(config, second, jobs=2, stages={"report": _index_only})
    assert out.exit_code in (EXIT_OK, EXIT_FINDINGS), out.summary()
    changes = read_tables(config.paths.processed_round(second), ["changes"])["changes"]
    assert not changes.empty


def test_dask_cluster_gives_the_same_tables_as_a_local_run(local_run, demo_dir, tmp_path):
    import distributed

    config, rid = local_run.config, local_run.round_id
    other = copy_district(demo_dir, tmp_path / "district")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        out = run_round(other, rid, scheduler=cluster.scheduler_address)
    assert out.exit_code == local_run.exit_code, out.summary()
    m = json.loads((other.paths.reports_round(rid) / "manifest.json").read_text("utf-8"))
    assert m["execution"]["scheduler"] == cluster.scheduler_address
    mine = read_tables(config.paths.processed_round(rid))
    theirs = read_tables(other.paths.processed_round(rid))
    assert sorted(theirs) == sorted(mine)
    for name in mine:
        pd.testing.assert_frame_equal(canonical(theirs[name]), canonical(mine[name]), obj=name)
    assert (other.paths.reports_round(rid) / "index.html").is_file()
