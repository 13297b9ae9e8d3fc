"""Reports: the whole report set for a demo district, unit cards included.

Builds a demo district (`generate_demo`, both rounds ingested and scored; not
timed), then times `build_reports` for the last round with 2 processes:
total wall time, the district/type notebooks, the unit-card batches (one
kernel start per batch, many cards each), summary.xlsx, and the cost per unit
card both as part of the run (card-batch seconds / cards: kernel start,
imports, tables and chart templates included) and rendered in-process in a
batch (the marginal cost of one more card). Then what the report set is made
of, in MB by kind, and whether the targets of issue 17 are met: a unit card
within the run at most `CARD_TARGET_S`, a 200-unit report set at most
`SIZE_TARGET_MB`. 200 units; 60 with --quick.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

SEED = 20260719
CARD_TARGET_S = 0.06  # per unit card within a run on 2 cores (issue 17, target 1)
SIZE_TARGET_MB = 12.0  # the report set of a 200-unit district (issue 17, target 4)
SIZE_TARGET_UNITS = 200
_CHART = re.compile(r'<svg class="chart".*?</svg>|src="data:image/png;base64,[^"]*"', re.S)


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


def _card_marginal(config, round_id: str, n: int = 40) -> float:
    """Seconds per card rendered in a batch context, after the batch's first card."""
    from pipeline.report.cards import narrow_to_units, render_unit_card
    from pipeline.report.context import open_round

    ctx = open_round(config.source, round_id)
    ids = ctx.table("scores")["unit_id"].tolist()[: n + 1]
    ctx = narrow_to_units(ctx, ids)
    render_unit_card(ctx, ids[0])  # warm-up: fonts, the first chart templates
    t0 = time.perf_counter()
    for uid in ids[1:]:
        render_unit_card(ctx, uid)
    return (time.perf_counter() - t0) / max(1, len(ids) - 1)


def _kind(rel: Path) -> str:
    top = rel.parts[0] if len(rel.parts) > 1 else ""
    if top == "units":
        return "unit cards (HTML)"
    if top == "notebooks":
        return "executed notebooks and logs"
    if top == "feedback":
        return "feedback workbooks (xlsx)"
    if rel.suffix == ".html":
        return "other pages (district, types, areas, index, briefing)"
    return {".xlsx": "summary.xlsx", ".docx": "notice (docx)", ".pdf": "briefing (pdf)"}.get(
        rel.suffix, "other"
    )


def report_sizes(out: Path) -> tuple[dict[str, float], float]:
    """MB by kind of file, and MB of charts (inline SVG or PNG data) inside the HTML pages."""
    sizes: dict[str, float] = {}
    charts = 0
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        kind = _kind(p.relative_to(out))
        sizes[kind] = sizes.get(kind, 0.0) + p.stat().st_size / 1e6
        if p.suffix == ".html":
            charts += sum(len(m.encode()) for m in _CHART.findall(p.read_text(encoding="utf-8")))
    return sizes, charts / 1e6


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


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
    # reuse=False: every card drawn (a work folder kept from an earlier run holds a card cache)
    result = build_reports(config, round_id, out_dir=out, jobs=2, reuse=False)
    total = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    cards = sum(v for k, v in result.timings.items() if k.startswith("unit-cards-"))
    batches = sum(1 for k in result.timings if k.startswith("unit-cards-"))
    pages = {k: v for k, v in result.timings.items() if k == "district" or k.startswith("type-")}
    marginal = _card_marginal(config, round_id)
    per_card = cards / max(1, result.unit_pages)
    sizes, chart_mb = report_sizes(out)
    size_mb = sum(sizes.values())
    fixed = max(0.0, cards - marginal * result.unit_pages) / max(1, batches)
    if n_units == SIZE_TARGET_UNITS:
        size_verdict = f"{_met(size_mb <= SIZE_TARGET_MB)} (≤ {SIZE_TARGET_MB:.0f} MB)"
    else:
        size_verdict = f"not judged (the target is for {SIZE_TARGET_UNITS} units)"
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
            "**per unit card within the run** (batch seconds / cards)",
            f"**{per_card * 1000:.0f} ms**: target ≤ {CARD_TARGET_S * 1000:.0f} ms "
            f"{_met(per_card <= CARD_TARGET_S)}",
        ),
        ("per unit card, marginal (in-process, in a batch)", f"{marginal * 1000:.1f} ms"),
        (
            "per card batch, fixed (kernel start, imports, tables, chart templates)",
            f"{fixed:.1f} s",
        ),
        ("summary.xlsx", f"{result.timings.get('summary_xlsx', 0):.2f} s"),
        ("failures", str(len(result.failures))),
        (
            "**output size**",
            f"**{size_mb:.1f} MB**: {size_verdict}",
        ),
        *((f"&nbsp;&nbsp;{kind}", f"{mb:.2f} MB") for kind, mb in sorted(sizes.items())),
        ("&nbsp;&nbsp;of the pages: charts (inline SVG, PNG data)", f"{chart_mb:.2f} MB"),
        (
            "&nbsp;&nbsp;per unit card (charts inline)",
            f"{sizes.get('unit cards (HTML)', 0) * 1000 / max(1, result.unit_pages):.0f} KB",
        ),
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
        "from one kernel per batch, so a card costs its rendering time, not a kernel start. "
        "A card's two matplotlib charts are drawn once per batch as SVG templates "
        "(per unit type / per district) and filled with the unit's own marks.\n\n"
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
