"""Writing a round's planned files, in this process or in a pool of processes.

Each planned file is rendered from its own seed, so the bytes do not depend
on which process writes it or in what order. A byte-identical copy is written
last, from the file it copies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.demo import files as fw
from pipeline.demo.messiness import FilePlan
from pipeline.demo.render import file_values, render
from pipeline.executors import open_executor
from pipeline.form import load_form

INLINE_BELOW = 400  # files; below this a process pool costs more than it saves


@dataclass
class Written:
    """What one written file holds, for the truth."""

    index: int
    sha256: str
    size: int
    report: object = None
    values: dict[str, pd.DataFrame] | None = None  # kept for accepted/superseded files only
    errors: list[dict] = field(default_factory=list)
    sheets: list[tuple[str, str, int]] = field(
        default_factory=list
    )  # (table, sheet as written, data rows)


def _one(
    index: int,
    plan: FilePlan,
    unit_tables: dict[str, pd.DataFrame],
    form,
    notes: list[str],
    raw: Path,
) -> Written:
    if plan.fmt == "stray":
        data = fw.stray_bytes()
        return _done(index, plan, data, raw)
    if plan.fmt == "not_a_workbook":
        return _done(index, plan, fw.not_a_workbook_bytes(plan.unit_id), raw)
    rng = np.random.default_rng(plan.style.get("seed", 0) + 1)
    vals, overrides, perrs = file_values(plan, unit_tables, form, rng)
    grids = render(plan, vals, overrides, form, notes)
    report = vals["info"]["report_date"].loc[0]
    if plan.fmt == "xls":
        data = fw.xls_bytes(grids)
    else:
        data = fw.xlsx_bytes(grids, pd.Timestamp(report).date(), macros=plan.fmt == "xlsm")
    if plan.fmt == "encrypted":
        data = fw.encrypted_bytes(data, plan.style["seed"])
    elif plan.fmt == "truncated":
        data = fw.truncated_bytes(data)
    out = _done(index, plan, data, raw)
    out.report = report
    if plan.fmt in ("xlsx", "xls", "xlsm"):
        by_name = {s.name: s for s in form.data_sheets}
        for g in grids:
            sheet = by_name.get(g.name.strip().replace("\u3000", ""))
            if sheet is not None:
                n = 1 if sheet.kind == "keyvalue" else len(vals[sheet.table])
                out.sheets.append((sheet.table, g.name, n))
        if plan.status in ("accepted", "superseded"):
            out.values = vals
            out.errors = perrs
    return out


def _done(index: int, plan: FilePlan, data: bytes, raw: Path) -> Written:
    fw.write_file(raw / plan.file, data, plan.received_at)
    return Written(index, hashlib.sha256(data).hexdigest(), len(data))


def write_chunk(task: tuple) -> list[Written]:
    """Write a batch of planned files (a picklable task for a worker process)."""
    items, unit_tables, empty, form_version, notes, raw = task
    form = load_form(form_version)
    out = []
    for index, plan in items:
        tables = {t: unit_tables[t].get(plan.unit_id, empty[t]) for t in empty}
        out.append(_one(index, plan, tables, form, notes, Path(raw)))
    return out


def write_plans(
    plans: list[FilePlan],
    by_unit: dict[str, dict[str, pd.DataFrame]],
    empty: dict[str, pd.DataFrame],
    form_version: int,
    notes: list[str],
    raw: Path,
    jobs: int | None = None,
) -> list[Written]:
    """Write every planned file; results in plan order."""
    work = [(i, p) for i, p in enumerate(plans) if p.same_as is None]
    n_jobs = 1 if len(work) < INLINE_BELOW else jobs
    # batches of whole units, so that each task carries only its units' rows
    units = list(dict.fromkeys(p.unit_id for _, p in work))
    n_batches = 1 if n_jobs == 1 else max(1, min(len(units), 8 * (n_jobs or 2)))
    batch_of = {u: k * n_batches // max(len(units), 1) for k, u in enumerate(units)}
    tasks = []
    for b in range(n_batches):
        items = [(i, p) for i, p in work if batch_of[p.unit_id] == b]
        if not items:
            continue
        mine = {p.unit_id for _, p in items}
        sub = {t: {u: d for u, d in per.items() if u in mine} for t, per in by_unit.items()}
        tasks.append((items, sub, empty, form_version, notes, str(raw)))
    results: dict[int, Written] = {}
    with open_executor(n_jobs) as ex:
        for batch in ex.map(write_chunk, tasks):
            for w in batch:
                results[w.index] = w
    index_of = {p.file: i for i, p in enumerate(plans)}
    for i, p in enumerate(plans):
        if p.same_as is not None:  # the identical copy, received later
            src = results[index_of[p.same_as]]
            data = (raw / p.same_as).read_bytes()
            results[i] = _done(i, p, data, raw)
            results[i].report = src.report
    return [results[i] for i in range(len(plans))]
