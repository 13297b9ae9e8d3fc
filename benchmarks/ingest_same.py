"""Same ingestion before and after a change: every read, finding, cell and table, compared.

A speed change to the reader must not change a single result. This script
takes a snapshot of everything ingestion produces for a folder of returns:
each file's `parse_return` (every field: status, reason, message, typed
records, findings with cell references and values, sheets, cells, rows read)
and every table `ingest_round` writes (submissions, findings, units, the
clean tables). Take one snapshot with the old code and one with the new, then
compare them:

    # the old code: a commit unpacked beside, e.g. `git archive <commit> | tar -x -C /tmp/base`
    S=benchmarks/ingest_same.py   # run by path, so PYTHONPATH alone says whose `pipeline` runs
    PYTHONPATH=/tmp/base python $S dump --demo 400 /tmp/old-demo.pickle
    PYTHONPATH=$PWD      python $S dump --demo 400 /tmp/new-demo.pickle
    PYTHONPATH=$PWD      python $S compare /tmp/old-demo.pickle /tmp/new-demo.pickle

    # the real-world corpus (../shared/realfiles, or SCORECARD_REALFILES)
    PYTHONPATH=/tmp/base python $S dump --files ../shared/realfiles /tmp/old-real.pickle
    PYTHONPATH=$PWD      python $S dump --files ../shared/realfiles /tmp/new-real.pickle
    PYTHONPATH=$PWD      python $S compare /tmp/old-real.pickle /tmp/new-real.pickle

`--demo N` generates (once, under `--work`) the same demo district the
ingestion benchmark reads; generate it with the old code first (a demo written
by newer code may carry config keys the old code does not know). Values are
compared by their `repr`, so 1 and 1.0, or a date and a datetime, differ;
tables with `assert_frame_equal` (dtypes too). `compare` prints every
difference and exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROSTER_CSV = (
    "单位编码,单位名称,别名,单位类型,上级单位编码,业务关键词,应报\nSQ0101,太平社区,,社区,,,是\n"
)


def _corpus_config(work: Path, files: Path):
    """A config whose first round holds copies of every file of `files` (links are refused)."""
    import pipeline
    from pipeline.config import load_config

    repo = Path(pipeline.__file__).resolve().parents[1]  # the checkout whose code is measured
    text = (repo / "scorecard.toml").read_text(encoding="utf-8")
    text = text.replace('roster = "data/roster.xlsx"', 'roster = "data/roster.csv"')
    (work / "data").mkdir(parents=True, exist_ok=True)
    (work / "data" / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    (work / "scorecard.toml").write_text(text, encoding="utf-8")
    config = load_config(work / "scorecard.toml")
    rid = config.rounds_in_order()[0].id
    raw = config.paths.raw_round(rid)
    raw.mkdir(parents=True, exist_ok=True)
    for p in sorted(files.iterdir()):
        if p.is_file():
            shutil.copy2(p, raw / p.name)
    return config, rid


def snapshot(config, round_id: str, work: Path) -> dict:
    """Every file's read (as repr of its fields) and every table of the round."""
    from pipeline.executors import InlineExecutor
    from pipeline.form import load_form
    from pipeline.ingest import ingest_round, parse_return
    from pipeline.ingest.guard import run_isolated
    from pipeline.ingest.listing import list_round
    from pipeline.ingest.read import Limits

    entries, _ = list_round(config.paths.raw_round(round_id), config.survey.folder)
    limits = Limits.from_config(config)
    form = load_form(config.campaign.form_version)
    calls = [((e.path, config, round_id, limits, e.label, form), {}) for e in entries]
    # each file in a child process: a hostile file may abort its reader
    outcomes = run_isolated(parse_return, calls, limits.timeout_seconds * 2 + 30)
    parsed = {}
    for e, (how, value) in zip(entries, outcomes, strict=True):
        parsed[e.label] = repr(asdict(value)) if how == "ok" else f"<{how}: {value}>"
    res = ingest_round(
        config,
        round_id,
        executor=InlineExecutor(),
        out_dir=work / "out",
        feedback_dir=work / "feedback",
        progress=False,
        reuse=False,
    )
    return {
        "parsed": parsed,
        "tables": res.tables,
        "feedback": sorted(p.name for p in res.feedback_files),
    }


def compare(old: dict, new: dict) -> list[str]:
    """Every difference between two snapshots (empty when they are the same)."""
    import pandas as pd

    out = []
    for label in sorted(set(old["parsed"]) | set(new["parsed"])):
        a, b = old["parsed"].get(label), new["parsed"].get(label)
        if a != b:
            out.append(f"parse_return({label}):\n  old {a}\n  new {b}")
    for name in sorted(set(old["tables"]) | set(new["tables"])):
        a, b = old["tables"].get(name), new["tables"].get(name)
        if a is None or b is None:
            out.append(f"table {name}: only in {'new' if a is None else 'old'}")
            continue
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as exc:
            out.append(f"table {name}: {exc}")
    if old["feedback"] != new["feedback"]:
        out.append(f"feedback files: {old['feedback']} != {new['feedback']}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/ingest_same.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", type=int, metavar="UNITS")
    src.add_argument("--files", type=Path, metavar="FOLDER")
    d.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ingest-same")
    d.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        diffs = compare(pickle.loads(args.old.read_bytes()), pickle.loads(args.new.read_bytes()))
        old = pickle.loads(args.old.read_bytes())
        for line in diffs:
            print(line)
        print(
            f"{len(old['parsed'])} files, {len(old['tables'])} tables: "
            + (f"{len(diffs)} differences" if diffs else "identical")
        )
        return 1 if diffs else 0
    args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        tmp = Path(tmp)
        if args.demo:
            from benchmarks.bench_ingest import _files

            config, rid, _ = _files(args.work, args.demo)
        else:
            config, rid = _corpus_config(tmp / "corpus", args.files)
        snap = snapshot(config, rid, tmp)
    args.out.write_bytes(pickle.dumps(snap))
    print(f"{len(snap['parsed'])} files, {len(snap['tables'])} tables -> {args.out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
