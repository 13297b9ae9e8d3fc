"""Batch run mechanics with fake stages: lock, atomic publication, incremental runs,
manifest, exit codes, status. The real stages are exercised in test_batch_e2e.py."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_batch_fakes import FAKE_STAGES, HOOKS, calls, make_district, write_raw

from pipeline.batch import EXIT_FAILED, EXIT_FINDINGS, EXIT_LOCKED, EXIT_OK, round_status, run_round
from pipeline.batch.lock import round_lock
from pipeline.batch.manifest import last_run
from pipeline.batch.publish import (
    complete_publication,
    journal_path,
    publish,
    recover,
    staging_dir,
)
from pipeline.config import UnknownRoundError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def run(config, **kw):
    kw.setdefault("jobs", 1)
    kw.setdefault("stages", FAKE_STAGES)
    return run_round(config, "R1", **kw)


def snapshot(*folders: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under the folders."""
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out[str(p.relative_to(folder.parent))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def hidden_leftovers(config) -> list[str]:
    names = []
    for parent in (config.paths.processed, config.paths.reports):
        names += [p.name for p in parent.glob(".R1.*") if p.is_dir()]
    return names


@pytest.fixture(autouse=True)
def _no_hooks():
    HOOKS.clear()
    yield
    HOOKS.clear()


@pytest.fixture(autouse=True)
def _fixed_code_digest(monkeypatch):
    """The fingerprint hashes the package's files; others edit them while tests run."""
    monkeypatch.setattr("pipeline.batch.fingerprint.code_digest", lambda: "fixed")


def test_code_changes_are_part_of_the_fingerprint(district, monkeypatch):
    assert run(district).exit_code == EXIT_OK
    assert run(district).status == "skipped"
    monkeypatch.setattr("pipeline.batch.fingerprint.code_digest", lambda: "new code")
    assert run(district).status == "ok"


@pytest.fixture
def district(tmp_path):
    return make_district(tmp_path)


def test_first_run_publishes_tables_reports_manifest_and_record(district, tmp_path):
    out = run(district)
    assert out.status == "ok" and out.exit_code == EXIT_OK, out.summary()
    processed = district.paths.processed_round("R1")
    reports = district.paths.reports_round("R1")
    assert {p.stem for p in processed.glob("*.parquet")} == {
        "submissions",
        "units",
        "completeness",
        "findings",
        "scores",
    }
    assert (reports / "index.html").is_file()
    assert (reports / "feedback" / "U1.txt").is_file()
    assert out.index == reports / "index.html"
    assert str(out.index) in out.summary()
    assert f"结果已写入 {processed}" in out.summary() and ".tmp-" not in out.summary()
    # executed notebooks name the published folders, not the temporary build folders
    nb = json.loads((reports / "notebooks" / "district.ipynb").read_text(encoding="utf-8"))
    assert nb["parameters"] == {"processed_dir": str(processed), "out_dir": str(reports)}
    assert calls(tmp_path) == ["ingest", "score", "report"]
    assert hidden_leftovers(district) == []

    m = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    raw = district.paths.raw_round("R1")
    files = {f["name"]: f["sha256"] for f in m["inputs"]["files"]}
    assert files == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    assert m["config"]["campaign"]["name"] == "测试活动"
    assert m["versions"]["dependencies"]["pandas"]
    assert m["versions"]["grassroots-scorecard"]
    assert m["counts"]["files_by_status"] == {"accepted": 3}
    assert m["counts"]["units_by_reporting"] == {"late": 1, "missing": 1, "on_time": 2}
    assert m["counts"]["findings_by_severity"] == {"warning": 1}
    for stage in ("ingest", "score", "report"):
        assert set(m["timings"][stage]) == {"seconds", "peak_rss_mb"}
        assert m["timings"][stage]["peak_rss_mb"] > 0
    assert m["outcome"] == "ok" and m["exit_code"] == 0
    assert m["started"] <= m["finished"]
    assert m["outputs"]["index"] == "index.html"

    rec = last_run(district.paths.processed, "R1")
    assert rec["status"] == "ok" and rec["exit_code"] == 0 and rec["finished"]
    log_text = Path(rec["log"]).read_text(encoding="utf-8")
    assert "ingest 完成" in log_text and Path(rec["log"]).parent == district.paths.reports / ".logs"


def test_rerun_with_nothing_changed_does_no_work(district, tmp_path):
    assert run(district).exit_code == EXIT_OK
    before = snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1"))
    out = run(district)
    assert out.status == "skipped" and out.exit_code == EXIT_OK
    assert "没有变化" in out.summary() and "--force" in out.summary()
    assert calls(tmp_path) == ["ingest", "score", "report"]
    after = snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1"))
    assert after == before
    assert last_run(district.paths.processed, "R1")["status"] == "skipped"

    forced = run(district, force=True)
    assert forced.status == "ok"
    assert calls(tmp_path).count("ingest") == 2


@pytest.mark.parametrize("change", ["changed", "new", "removed", "roster", "config", "outputs"])
def test_a_change_triggers_work(district, tmp_path, change):
    assert run(district).exit_code == EXIT_OK
    if change == "changed":
        write_raw(tmp_path, "U2.xlsx", b"a corrected return of U2")
    elif change == "new":
        write_raw(tmp_path, "U4.xlsx", b"return of U4")
    elif change == "removed":
        (district.paths.raw_round("R1") / "U2.xlsx").unlink()
    elif change == "roster":
        with open(district.paths.roster, "a", encoding="utf-8") as fh:
            fh.write("U5,戊村,村\n")
    elif change == "config":
        toml = tmp_path / "scorecard.toml"
        toml.write_text(
            toml.read_text(encoding="utf-8") + "\n[scoring]\npeer_min = 7\n", encoding="utf-8"
        )
        from pipeline.config import load_config

        district = load_config(toml)
    elif change == "outputs":
        (district.paths.reports_round("R1") / "index.html").unlink()
    out = run(district)
    assert out.status == "ok", out.summary()
    assert calls(tmp_path).count("ingest") == 2
    m = json.loads((district.paths.reports_round("R1") / "manifest.json").read_text("utf-8"))
    names = {f["name"] for f in m["inputs"]["files"]}
    assert ("U4.xlsx" in names) == (change == "new")
    assert ("U2.xlsx" in names) == (change != "removed")
    assert (district.paths.reports_round("R1") / "index.html").is_file()


def test_force_reads_every_file_again_and_the_manifest_counts_reuse(district):
    seen = []

    def ingest(*args, **kw):
        seen.append(kw["reuse"])
        result = FAKE_STAGES["ingest"](*args, **kw)
        result.files_reused = 2
        return result

    stages = {**FAKE_STAGES, "ingest": ingest}
    out = run(district, stages=stages)
    assert out.counts["files_reused"] == 2
    m = json.loads((district.paths.reports_round("R1") / "manifest.json").read_text("utf-8"))
    assert m["counts"]["files_reused"] == 2
    run(district, stages=stages, force=True)
    assert seen == [True, False]


def test_force_draws_every_card_anew(district):
    """--force reaches the report stage too (its card and feedback caches are refreshed)."""
    seen = []

    def report(*args, **kw):
        seen.append(kw["reuse"])
        return FAKE_STAGES["report"](*args, **kw)

    stages = {**FAKE_STAGES, "report": report}
    run(district, stages=stages)
    run(district, stages=stages, force=True)
    assert seen == [True, False]


def test_worker_count_does_not_change_the_fingerprint(district, tmp_path):
    assert run(district, jobs=1).exit_code == EXIT_OK
    assert run(district, jobs=2).status == "skipped"


def test_rejected_files_complete_with_exit_code_3(district, tmp_path):
    write_raw(tmp_path, "bad-scan.xlsx", b"not a workbook")
    out = run(district)
    assert out.status == "findings" and out.exit_code == EXIT_FINDINGS
    assert "被拒收" in out.summary()
    assert (district.paths.reports_round("R1") / "manifest.json").is_file()  # published
    # a rerun with nothing changed is a no-op and exits 0
    assert run(district).exit_code == EXIT_OK


def test_a_failing_stage_publishes_nothing_and_exits_1(district, tmp_path):
    assert run(district).exit_code == EXIT_OK
    before = snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1"))
    write_raw(tmp_path, "U4.xlsx", b"return of U4")

    def boom(*a, **k):
        raise RuntimeError("模拟的评分错误")

    out = run(district, stages={**FAKE_STAGES, "score": boom})
    assert out.status == "failed" and out.exit_code == EXIT_FAILED
    assert out.failed_stage == "score" and "模拟的评分错误" in out.summary()
    assert "上次的结果保持不变" in out.summary()
    after = snapshot(district.paths.processed_round("R1"), district.paths.reports_round("R1"))
    assert after == before
    assert hidden_leftovers(district) == []
    rec = last_run(district.paths.processed, "R1")
    assert rec["status"] == "failed" and rec["failed_stage"] == "score"
    assert "Traceback" in Path(rec["log"]).read_text(encoding="utf-8")
    text = round_status(district, "R1").render()
    assert "失败" in text and "模拟的评分错误" in text
    # the next good run recomputes (the failed run published no manifest)
    assert run(district).status == "ok"


def test_report_failures_fail_the_run(district):
    from test_batch_fakes import FakeReportResult, fake_report

    def partial(*a, **k):
        fake_report(*a, **k)
        return FakeReportResult(index=None, failures=["units/U2.html: 图表出错"])

    out = run(district, stages={**FAKE_STAGES, "report": partial})
    assert out.exit_code == EXIT_FAILED and out.failed_stage == "report"
    assert "U2" in out.summary()
    assert not district.paths.reports_round("R1").exists()


def test_unknown_round_is_a_usage_error(district):
    with pytest.raises(UnknownRoundError):
        run_round(district, "R9", stages=FAKE_STAGES)


def test_a_held_lock_makes_a_second_run_exit_4(district, tmp_path):
    with round_lock(district.paths.processed, "R1"):
        out = run(district)
    assert out.status == "locked" and out.exit_code == EXIT_LOCKED
    assert "正在由另一个运行处理" in out.summary() and "--wait" in out.summary()
    assert calls(tmp_path) == []
    assert not district.paths.reports_round("R1").exists()
    # other rounds are not blocked
    with round_lock(district.paths.processed, "R2"):
        assert run(district).exit_code == EXIT_OK


def _start_blocked_run(district):
    """Run R1 in a thread that stops inside the score stage until released."""
    entered, release = threading.Event(), threading.Event()

    def hold():
        entered.set()
        assert release.wait(60)

    HOOKS["score"] = hold
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("out", run(district)))
    t.start()
    assert entered.wait(60)
    HOOKS.pop("score")
    return t, release, result


def test_concurrent_run_exits_4_without_touching_anything(district, tmp_path):
    t, release, first = _start_blocked_run(district)
    try:
        assert f"进程 {os.getpid()}" in round_status(district, "R1").render()  # 正在运行
        second = run(district)
    finally:
        release.set()
        t.join(60)
    assert second.exit_code == EXIT_LOCKED
    assert first["out"].exit_code == EXIT_OK
    assert calls(tmp_path) == ["ingest", "score", "report"]  # the second run did nothing
    assert hidden_leftovers(district) == []


def test_concurrent_run_with_wait_runs_after_the_first(district, tmp_path):
    t, release, first = _start_blocked_run(district)
    second = {}
    t2 = threading.Thread(target=lambda: second.setdefault("out", run(district, wait=True)))
    t2.start()
    time.sleep(0.5)
    assert t2.is_alive()  # waiting for the lock
    release.set()
    t.join(60)
    t2.join(60)
    assert first["out"].exit_code == EXIT_OK
    # it ran after the first one finished, saw nothing had changed, did no work
    assert second["out"].status == "skipped"
    assert calls(tmp_path) == ["ingest", "score", "report"]


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_batch_fakes import FAKE_STAGES
from pipeline.batch import run_round
from pipeline.config import load_config
out = run_round(load_config(sys.argv[1]), "R1", jobs=1, stages=FAKE_STAGES)
print(out.summary())
sys.exit(out.exit_code)
"""


@pytest.mark.parametrize("stage", ["score", "report"])
def test_killed_run_leaves_previous_outputs_intact(district, tmp_path, stage):
    assert run(district).exit_code == EXIT_OK
    processed = district.paths.processed_round("R1")
    reports = district.paths.reports_round("R1")
    before = snapshot(processed, reports)
    write_raw(tmp_path, "U4.xlsx", b"return of U4")  # so the next run has work to do

    script = tmp_path / "run_r1.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS)), encoding="utf-8")
    marker = tmp_path / "in-stage"
    env = {**os.environ, "FAKE_SLOW_STAGE": stage, "FAKE_MARKER": str(marker)}
    out_log = tmp_path / "killed-run.log"
    with open(out_log, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(district.source)],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(600):
                if marker.exists() or proc.poll() is not None:
                    break
                time.sleep(0.1)
            assert marker.exists(), out_log.read_text(encoding="utf-8", errors="replace")
            assert hidden_leftovers(district)  # the run was building in temporary folders
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(processed, reports) == before  # last good outputs intact
    assert "files=3" in (reports / "index.html").read_text(encoding="utf-8")
    assert not any(p.name.startswith(".") for p in processed.iterdir())
    assert "正在运行" not in round_status(district, "R1").render()  # the dead holder does not count

    # the next run cleans up, takes the lock (the dead process released it) and publishes
    out = run(district)
    assert out.status == "ok", out.summary()
    assert "files=4" in (reports / "index.html").read_text(encoding="utf-8")
    assert hidden_leftovers(district) == []
    log_text = Path(out.log).read_text(encoding="utf-8")
    assert "临时目录" in log_text


KILL_BETWEEN_SWAPS_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_batch_fakes import FAKE_STAGES
import pipeline.batch.fingerprint as fingerprint
import pipeline.batch.publish as pub
from pipeline.batch import run_round
fingerprint.code_digest = lambda: "fixed"  # as in the test process
from pipeline.config import load_config
real, n = pub.publish, []
def publish(staged, target, *a, **kw):
    n.append(target)
    if len(n) == 2:  # the tables are swapped in, the reports not yet: die
        os.kill(os.getpid(), signal.SIGKILL)
    return real(staged, target, *a, **kw)
pub.publish = publish
run_round(load_config(sys.argv[1]), "R1", jobs=1, stages=FAKE_STAGES)
"""


def test_run_killed_between_the_two_swaps_is_completed_by_the_next_run(district, tmp_path):
    assert run(district).exit_code == EXIT_OK
    processed = district.paths.processed_round("R1")
    reports = district.paths.reports_round("R1")
    write_raw(tmp_path, "U4.xlsx", b"return of U4")
    script = tmp_path / "kill_between.py"
    script.write_text(KILL_BETWEEN_SWAPS_SCRIPT.format(tests=str(TESTS)), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), str(district.source)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode(errors="replace")
    # the state a reader would see now: new tables, old reports, and the journal
    assert journal_path(district.paths.processed, "R1").is_file()
    assert "files=3" in (reports / "index.html").read_text(encoding="utf-8")

    out = run(district)  # completes the killed run's publication, then finds nothing to do
    assert out.status == "skipped", out.summary()
    assert "files=4" in (reports / "index.html").read_text(encoding="utf-8")
    m = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert m["outputs"]["processed_tables"] == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(processed.glob("*.parquet"))
    }
    assert not journal_path(district.paths.processed, "R1").exists()
    assert hidden_leftovers(district) == []
    assert "发布时中断" in Path(out.log).read_text(encoding="utf-8")


def test_complete_publication_finishes_every_pending_swap(tmp_path):
    pairs = []
    for name in ("processed", "reports"):
        target = tmp_path / name / "R1"
        target.mkdir(parents=True)
        (target / "x").write_text("old", encoding="utf-8")
        staged = staging_dir(target)
        (staged / "x").write_text("new", encoding="utf-8")
        pairs.append((staged, target))
    (pairs[1][1] / "templates").mkdir()
    journal = journal_path(tmp_path / "processed", "R1")
    journal.write_text(
        json.dumps({"pairs": [[str(a), str(b)] for a, b in pairs]}), encoding="utf-8"
    )
    publish(*pairs[0])  # killed after the first swap
    notes = complete_publication(journal)
    assert len(notes) == 1 and not journal.exists()
    for _, target in pairs:
        assert (target / "x").read_text(encoding="utf-8") == "new"
    assert (pairs[1][1] / "templates").is_dir()  # carried over
    assert complete_publication(journal) == []  # nothing pending: nothing done


def test_a_journal_that_was_never_committed_is_ignored(tmp_path):
    journal = journal_path(tmp_path, "R1")
    (tmp_path / f".{journal.name}.k1l2m3.tmp").write_text(
        "{half", encoding="utf-8"
    )  # as atomic_path names it
    assert complete_publication(journal) == []
    assert list(tmp_path.iterdir()) == []


def test_recover_restores_the_old_folder_when_killed_between_renames(tmp_path):
    target = tmp_path / "R1"
    target.mkdir()
    (target / "index.html").write_text("old", encoding="utf-8")
    staged = staging_dir(target)
    (staged / "index.html").write_text("new", encoding="utf-8")
    os.rename(target, tmp_path / ".R1.old-deadbeef")  # the first rename happened, then death
    notes = recover(target)
    assert (target / "index.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1"]
    assert len(notes) == 2


def test_publish_swaps_and_keeps_templates(tmp_path):
    target = tmp_path / "R1"
    (target / "templates").mkdir(parents=True)
    (target / "templates" / "t.xlsx").write_bytes(b"template")
    (target / "old.html").write_text("old", encoding="utf-8")
    staged = staging_dir(target)
    (staged / "new.html").write_text("new", encoding="utf-8")
    publish(staged, target)
    assert sorted(p.name for p in target.iterdir()) == ["new.html", "templates"]
    assert (target / "templates" / "t.xlsx").read_bytes() == b"template"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1"]


def test_templates_survive_a_run(district):
    tpl = district.paths.reports_round("R1") / "templates"
    tpl.mkdir(parents=True)
    (tpl / "U1.xlsx").write_bytes(b"template")
    assert run(district).exit_code == EXIT_OK
    assert (tpl / "U1.xlsx").read_bytes() == b"template"
    assert run(district).status == "skipped"  # templates do not count as changed outputs


def test_status_before_any_run(district):
    text = round_status(district, "R1").render()
    assert "第一轮" in text and "还没有数据" in text and "无记录" in text
    assert "正在运行" not in text


def test_status_after_a_run(district, tmp_path):
    write_raw(tmp_path, "bad-scan.xlsx", b"not a workbook")
    assert run(district).exit_code == EXIT_FINDINGS
    st = round_status(district, "R1")
    text = st.render()
    assert "应报 4，已报 3（按时 2，迟报 1），未报 1" in text
    assert "迟报单位（1 个）" in text and "丙村（U3，收到于 2026-07-17 10:00）" in text
    assert "未报单位（1 个）" in text and "丁村（U4）" in text
    assert "错误 1 条，需核实 1 条；被拒收文件 1 份" in text
    assert "最近一次运行" in text and "退出码 3" in text
    assert "村: 应报 2" in text


def test_cli_status_prints_the_status(district, capsys):
    from pipeline.cli import main

    assert run(district).exit_code == EXIT_OK
    assert main(["--config", str(district.source), "status", "--round", "R1"]) == 0
    out = capsys.readouterr().out
    assert "报送情况" in out and "成功" in out


def test_scheduler_sends_stage_work_to_the_dask_cluster(tmp_path):
    import distributed

    local = make_district(tmp_path / "local")
    remote = make_district(tmp_path / "remote")
    assert run(local, jobs=1).exit_code == EXIT_OK
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        out = run(remote, jobs=None, scheduler=cluster.scheduler_address)
    assert out.exit_code == EXIT_OK, out.summary()
    assert (tmp_path / "local" / "executors.log").read_text().split() == ["InlineExecutor"]
    assert (tmp_path / "remote" / "executors.log").read_text().split() == ["ClientExecutor"]
    a = snapshot(local.paths.processed_round("R1"))
    b = snapshot(remote.paths.processed_round("R1"))
    assert list(a.values()) == list(b.values())  # byte-identical tables
