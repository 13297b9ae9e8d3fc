"""Fake stages and a tiny district for the batch tests (no tests here).

The fakes have the real stages' signatures and write tables with the real
names and key columns, fast. Each call appends its stage name to
`<root>/calls.log` so a test can tell whether a run did any work. Environment
variables let a subprocess run stall in one stage (to be killed there):
FAKE_SLOW_STAGE=<stage> and FAKE_MARKER=<file touched when that stage starts>.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.batch.fingerprint import file_sha256
from pipeline.config import Config, load_config
from pipeline.tables import read_table, write_table

CONFIG_TOML = """
[paths]
roster = "data/roster.csv"
raw = "data/raw"
processed = "data/processed"
reports = "reports"

[campaign]
name = "测试活动"
start = 2026-05-01

[[rounds]]
id = "R1"
name = "第一轮"
stage = "第二阶段"
as_of = 2026-07-15
deadline = 2026-07-18
inspection = 2026-07-19

[[rounds]]
id = "R2"
name = "第二轮"
stage = "第二阶段"
as_of = 2026-08-25
deadline = 2026-08-28
inspection = 2026-08-31
"""

ROSTER = "unit_id,unit_name,unit_type\nU1,甲社区,社区\nU2,乙社区,社区\nU3,丙村,村\nU4,丁村,村\n"

# Hooks for in-process tests: stage name -> callable run at the start of that stage.
HOOKS: dict[str, object] = {}
_hook_lock = threading.Lock()


def make_district(root: Path, files: dict[str, bytes] | None = None) -> Config:
    """A config, roster and raw returns for round R1 under `root`."""
    root = Path(root)
    (root / "data" / "raw" / "R1").mkdir(parents=True, exist_ok=True)
    (root / "scorecard.toml").write_text(CONFIG_TOML, encoding="utf-8")
    (root / "data" / "roster.csv").write_text(ROSTER, encoding="utf-8")
    if files is None:
        files = {"U1.xlsx": b"return of U1", "U2.xlsx": b"return of U2", "U3.xlsx": b"late U3"}
    for name, content in files.items():
        write_raw(root, name, content)
    return load_config(root / "scorecard.toml")


def write_raw(root: Path, name: str, content: bytes, round_id: str = "R1") -> Path:
    p = Path(root) / "data" / "raw" / round_id / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content)
    return p


def calls(root: Path) -> list[str]:
    p = Path(root) / "calls.log"
    return p.read_text(encoding="utf-8").split() if p.exists() else []


def _enter(config: Config, stage: str) -> None:
    root = Path(config.source).parent
    with _hook_lock, open(root / "calls.log", "a", encoding="utf-8") as fh:
        fh.write(stage + "\n")
    hook = HOOKS.get(stage)
    if callable(hook):
        hook()
    if os.environ.get("FAKE_SLOW_STAGE") == stage:
        marker = os.environ.get("FAKE_MARKER")
        if marker:
            Path(marker).touch()
        time.sleep(600)


# The fakes' results implement the one result protocol of the stages
# (pipeline/batch/stages.StageResult), as the real ones do.


@dataclass
class FakeIngestResult:
    tables: dict[str, pd.DataFrame]
    has_errors: bool
    out_dir: Path | None = None
    files_reused: int | None = None  # a test sets it; None: not counted
    failures: tuple[str, ...] = ()
    index: Path | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {} if self.files_reused is None else {"files_reused": self.files_reused}

    def summary(self) -> str:
        return f"读取 {len(self.tables['submissions'])} 个文件，结果已写入 {self.out_dir}"


@dataclass
class FakeScoreResult:
    tables: dict[str, pd.DataFrame]
    has_errors: bool = False
    failures: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    index: Path | None = None

    def summary(self) -> str:
        return "评分完成"


@dataclass
class FakeReportResult:
    index: Path | None
    failures: list[str] = field(default_factory=list)
    has_errors: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "报告完成"


def fake_ingest(
    config,
    round_id,
    jobs=None,
    raw_dir=None,
    out_dir=None,
    feedback_dir=None,
    roster=None,
    executor=None,
    progress=None,
    reuse=True,
):
    _enter(config, "ingest")
    raw = Path(raw_dir or config.paths.raw_round(round_id))
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    if executor is not None:  # do the per-file work where the run says, like the real stage
        hashes = [f.result() for f in [executor.submit(file_sha256, p) for p in files]]
        with open(Path(config.source).parent / "executors.log", "a", encoding="utf-8") as fh:
            fh.write(type(executor).__name__ + "\n")
    else:
        hashes = [file_sha256(p) for p in files]
    sub = pd.DataFrame(
        {
            "file": [p.name for p in files],
            "sha256": hashes,
            "unit_id": [p.stem if not p.stem.startswith("bad") else None for p in files],
            "status": ["rejected" if p.stem.startswith("bad") else "accepted" for p in files],
        }
    )
    roster = pd.read_csv(config.paths.roster, dtype=str)
    got = set(sub.loc[sub["status"] == "accepted", "unit_id"])
    units = roster.assign(
        expected=True,
        submitted=roster["unit_id"].isin(got),
        received_at=pd.Timestamp("2026-07-17T02:00", tz="UTC"),
    )
    units["reporting"] = [
        ("late" if uid == "U3" else "on_time") if uid in got else "missing"
        for uid in units["unit_id"]
    ]
    n = len(units)
    rec = int(units["submitted"].sum())
    late = int((units["reporting"] == "late").sum())
    completeness = pd.DataFrame(
        {
            "level": ["district", "unit_type", "unit_type"],
            "group": ["全区", "社区", "村"],
            "group_name": ["全区", "社区", "村"],
            "expected": [n, 2, 2],
            "received": [rec, 2, rec - 2],
            "on_time": [rec - late, 2, rec - 2 - late],
            "late": [late, 0, late],
            "missing": [n - rec, 0, n - rec],
            "reporting_rate": [rec / n * 100, 100.0, (rec - 2) / 2 * 100],
            "on_time_rate": [(rec - late) / n * 100, 100.0, (rec - 2 - late) / 2 * 100],
        }
    )
    bad = sub[sub["status"] == "rejected"]
    findings = pd.DataFrame(
        {
            "file": [*bad["file"], "U1.xlsx"],
            "severity": ["error"] * len(bad) + ["warning"],
            "code": ["not_a_workbook"] * len(bad) + ["bad_date"],
        }
    )
    tables = {
        "submissions": sub,
        "units": units,
        "completeness": completeness,
        "findings": findings,
    }
    for name, df in tables.items():
        write_table(df, out_dir, name)
    if feedback_dir is not None:
        Path(feedback_dir).mkdir(parents=True, exist_ok=True)
        for uid in sorted(got):
            (Path(feedback_dir) / f"{uid}.txt").write_text("反馈", encoding="utf-8")
    return FakeIngestResult(tables=tables, has_errors=not bad.empty, out_dir=Path(out_dir))


def fake_score(config, round_id, processed_dir=None, previous_dir=None):
    _enter(config, "score")
    units = read_table(processed_dir, "units")
    scores = units[["unit_id", "unit_name"]].assign(
        scored=units["submitted"], previous=str(previous_dir) if previous_dir else ""
    )
    write_table(scores, processed_dir, "scores")
    return FakeScoreResult(tables={"scores": scores})


def fake_report(
    config, round_id, processed_dir=None, out_dir=None, jobs=None, executor=None, reuse=True
):
    _enter(config, "report")
    sub = read_table(processed_dir, "submissions")
    out = Path(out_dir)
    (out / "units").mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("".join(sub["sha256"]).encode()).hexdigest()
    (out / "index.html").write_text(f"<p>files={len(sub)} digest={digest}</p>", encoding="utf-8")
    nb = out / "notebooks"
    nb.mkdir(exist_ok=True)
    params = {"processed_dir": str(Path(processed_dir)), "out_dir": str(out)}
    (nb / "district.ipynb").write_text(json.dumps({"parameters": params}), encoding="utf-8")
    for uid in sub["unit_id"].dropna():
        (out / "units" / f"{uid}.html").write_text(uid, encoding="utf-8")
    return FakeReportResult(index=out / "index.html")


FAKE_STAGES = {"ingest": fake_ingest, "score": fake_score, "report": fake_report}
