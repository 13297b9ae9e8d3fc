"""Reports: the whole report set for a demo district, unit cards included.

Builds a demo district (`generate_demo`, both rounds ingested and scored; not
timed), then times `build_reports` for the last round with 2 processes:
total wall time, the district/type notebooks, the unit-card batches (one
kernel start per batch, many cards each), summary.xlsx, and the cost per unit
card both as part of the run (card-batch seconds / cards) and rendered
in-process (the marginal cost of one more card). 200 units; 60 with --quick.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

SEED = 20260719


def _district(work: Path, n_units: int):
    from pipeline.config import load_config
    from pipeline.demo import generate_demo
    from pipeline.ingest import ingest_round
    from pipeline.score import score_round

    folder = work / f"district-{n_units}"
    if folder.exists():
        shutil.rmtree(folder)
    generate_demo(config=None, out_dir=folder, seed=SEED, n_units=n_units)
    config = load_config(folder / "scorecard.toml")
    for r in config.rounds_in_order():
        ingest_round(config, r.id, jobs=2, progress=False)
        score_round(config, r.id)
    return config


def _card_marginal(config, round_id: str, n: int = 20) -> float:
    from pipeline.report.cards import render_unit_card
    from pipeline.report.context import open_round

    ctx = open_round(config.source, round_id)
    ids = ctx.table("scores")["unit_id"].tolist()[: n + 1]
    render_unit_card(ctx, ids[0])  # warm-up: fonts, caches
    t0 = time.perf_counter()
    for uid in ids[1:]:
        render_unit_card(ctx, uid)
    return (time.perf_counter() - t0) / max(1, len(ids) - 1)


def run(work: Path, quick: bool = False) -> str:
    from pipeline.report import build_reports

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    n_units = 60 if quick else int(os.environ.get("BENCH_REPORT_UNITS", "200"))
    t0 = time.perf_counter()
    config = _district(work, n_units)
    setup = time.perf_counter() - t0
    round_id = config.rounds_in_order()[-1].id
    out = work / "reports"
    if out.exists():
        shutil.rmtree(out)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = build_reports(config, round_id, out_dir=out, jobs=2)
    total = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    cards = sum(v for k, v in result.timings.items() if k.startswith("unit-cards-"))
    batches = sum(1 for k in result.timings if k.startswith("unit-cards-"))
    pages = {k: v for k, v in result.timings.items() if k == "district" or k.startswith("type-")}
    marginal = _card_marginal(config, round_id)
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    rows = [
        (
            "roster units / unit cards (one per unit expected to report)",
            f"{n_units} / {result.unit_pages}",
        ),
        ("report set, wall time (2 processes)", f"{total:.1f} s"),
        ("notebook phase, wall time", f"{result.timings.get('notebooks', 0):.1f} s"),
        (f"district + {len(pages) - 1} type notebooks, summed", f"{sum(pages.values()):.1f} s"),
        (f"unit-card batches ({batches}), summed", f"{cards:.1f} s"),
        (
            "per unit card within the run (batch seconds / cards)",
            f"{cards / max(1, result.unit_pages) * 1000:.0f} ms",
        ),
        ("per unit card, marginal (in-process render)", f"{marginal * 1000:.0f} ms"),
        ("summary.xlsx", f"{result.timings.get('summary_xlsx', 0):.2f} s"),
        ("failures", str(len(result.failures))),
        ("output size", f"{size_mb:.1f} MB"),
        ("(not timed) demo + ingest + score of both rounds", f"{setup:.0f} s"),
        (
            "1-min load average before / after (2 cores; other work inflates times)",
            f"{load_before:.1f} / {load_after:.1f}",
        ),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        "## Reports: the report set with unit cards\n\n"
        f"`build_reports` on a {n_units}-unit demo district (round {round_id}), "
        "papermill notebooks in 2 processes; unit cards are written in batches "
        "from one kernel per batch, so a card costs its rendering time, not a kernel start.\n\n"
        "| measure | value |\n| --- | --- |\n" + table + "\n"
    )


if __name__ == "__main__":
    import sys

    print(
        run(
            Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-report"),
            quick="--quick" in sys.argv,
        )
    )
