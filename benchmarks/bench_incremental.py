"""Incremental runs: what one new or corrected return costs a `scorecard run`.

A demo district of 2,000 units (200 with --quick): a first `scorecard run`,
a rerun with nothing changed, then one accepted return re-sent (the workbook
saved anew, so its bytes and received time change) and the run again, then
one new file added and the run again. Per stage seconds and the number of
files whose earlier read was reused come from the run record.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.bench_e2e import SEED, _scorecard, snapshot_code

STAGES = ("fingerprint", "ingest", "score", "report")


def _resend(path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.active["A1"] = "（重新报送）"
    wb.save(path)


def run(work: Path, quick: bool = False) -> str:
    from pipeline.batch.manifest import last_run
    from pipeline.config import load_config

    work = Path(work)
    n = 200 if quick else 2000
    code, rev = snapshot_code(work)
    folder = work / f"demo-{n}"
    _, proc = _scorecard(code, "demo", "--units", str(n), "--seed", str(SEED), "--out", str(folder))
    if proc.returncode != 0:
        raise RuntimeError(f"scorecard demo failed:\n{proc.stderr[-3000:]}")
    cfg_path = folder / "scorecard.toml"
    config = load_config(cfg_path)
    rid = config.rounds_in_order()[0].id
    raw = config.paths.raw_round(rid)

    def go(label: str) -> dict:
        wall, proc = _scorecard(code, "--config", str(cfg_path), "run", "--round", rid)
        if proc.returncode not in (0, 3):
            raise RuntimeError(f"scorecard run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        rec = last_run(config.paths.processed, rid)
        return {"label": label, "wall": wall, "record": rec}

    steps = [go("first run")]
    steps.append(go("nothing changed"))
    subs_path = config.paths.processed_round(rid) / "submissions.parquet"
    import pandas as pd

    subs = pd.read_parquet(subs_path)
    accepted = subs[(subs["status"] == "accepted") & subs["file"].str.endswith(".xlsx")]["file"]
    changed = raw / str(accepted.iloc[len(accepted) // 2])
    _resend(changed)
    steps.append(go("one return re-sent"))
    shutil.copy(changed, raw / "补报_重复发送.xlsx")
    steps.append(go("one new file"))

    files = sum(1 for p in raw.rglob("*") if p.is_file())
    lines = [
        "## Incremental runs: one new or corrected return",
        "",
        f"A demo district of {n:,} units (round {rid}, {files:,} files at the end). Each row is one",
        "`scorecard run --round ROUND` in a fresh process, one after the other: the first run, a",
        "rerun with nothing changed, the same after one accepted return was saved anew (new",
        'bytes and received time), and after one more file arrived. "reused" counts files whose',
        "earlier read was kept (`data/processed/.cache/parsed/`); scores and reports depend on the",
        f"whole round and are rebuilt. Code as committed at {rev}.",
        "",
        "| run | outcome | files reused | " + " | ".join(f"{s} s" for s in STAGES) + " | run s |",
        "| --- | --- |" + " ---: |" * (len(STAGES) + 2),
    ]
    for st in steps:
        rec = st["record"]
        t = rec.get("timings", {})
        cells = [f"{(t.get(s) or {}).get('seconds', 0):,.1f}" if s in t else "-" for s in STAGES]
        reused = (rec.get("counts") or {}).get("files_reused")
        lines.append(
            f"| {st['label']} | {rec.get('status')} | {'-' if reused is None else f'{reused:,}'} | "
            + " | ".join(cells)
            + f" | {st['wall']:,.1f} |"
        )
    first_ingest = (steps[0]["record"]["timings"].get("ingest") or {}).get("seconds")
    again_ingest = (steps[2]["record"]["timings"].get("ingest") or {}).get("seconds")
    if first_ingest and again_ingest:
        lines += [
            "",
            f"Ingestion after one re-sent return takes {again_ingest / first_ingest:.0%} of the first "
            "run's; the report stage (one page per unit, every page showing district-wide ranks and "
            "comparisons) is what a changed round costs.",
        ]
    return "\n".join(lines) + "\n"
