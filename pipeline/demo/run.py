"""`generate_demo`: write the district's roster, returns and truth to disk."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config, load_config
from pipeline.demo import files as fw
from pipeline.demo import model, plants, truth
from pipeline.demo.build import DEFAULT_SEED, World, build_world
from pipeline.demo.delivery import SHANGHAI, on_time_flag
from pipeline.demo.district import check_size
from pipeline.demo.messiness import MESSINESS, plan_round
from pipeline.demo.render import Grid
from pipeline.demo.settings import scorecard_text
from pipeline.demo.write import write_plans
from pipeline.form import FormSpec, load_form
from pipeline.roster import roster_to_frame

STATUS_ZH = {"accepted": "采用", "superseded": "被替代", "rejected": "退回", "ignored": "忽略"}


@dataclass(frozen=True)
class RoundOutput:
    round_id: str
    raw: Path
    truth: Path
    n_files: int
    status_counts: dict[str, int]


@dataclass(frozen=True)
class DemoResult:
    seed: int
    n_units: int
    roster: Path
    config_file: Path | None
    rounds: tuple[RoundOutput, ...]
    seconds: float
    coverage: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"演示区已生成：{self.n_units} 个单位，随机种子 {self.seed}，"
            f"用时 {self.seconds:.1f} 秒。",
            f"  单位名册: {self.roster}",
        ]
        if self.config_file:
            lines.append(
                f"  配置文件: {self.config_file}"
                f"（用 scorecard --config {self.config_file} ... 处理这份演示数据）"
            )
        for r in self.rounds:
            counts = "，".join(
                f"{STATUS_ZH.get(k, k)} {v}" for k, v in sorted(r.status_counts.items())
            )
            lines.append(f"  {r.round_id}: {r.n_files} 个文件 → {r.raw}（应有结果: {counts}）")
            lines.append(f"           真值 → {r.truth}")
        missing = [t for t, c in self.coverage.items() if c == 0]
        if missing:
            lines.append(f"  注意：以下报表情形本次未出现: {', '.join(missing)}")
        return "\n".join(lines)


def _notes(form: FormSpec, config: Config, rid: str) -> list[str]:
    rnd = config.round(rid)
    return [
        f"{form.title}（{rnd.name}）",
        f"填报说明：请于{rnd.deadline.month}月{rnd.deadline.day}日前报送{config.campaign.office}。",
        "1. 单位名称请填写全称，与单位名册一致。",
        "2. 日期请填写为 2026-07-15 格式。",
        "3. 是/否 栏请填“是”或“否”。",
        f"联系方式：{config.campaign.contact}",
    ]


def _write_roster(roster: pd.DataFrame, path: Path) -> None:
    frame = roster_to_frame(roster)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return
    grid = [list(frame.columns), *frame.astype(str).values.tolist()]

    data = fw.xlsx_bytes([Grid("单位名册", grid)], created=pd.Timestamp("2026-05-01").date())
    path.write_bytes(data)


# a workbook that is no return; the demo's config tells ingestion to ignore it
NOT_A_RETURN = "补报说明材料.xlsx"


def _not_a_return(raw: Path, rid: str, rnd) -> dict:
    """A note a unit sent beside its return: settled by the analyst as "ignore"
    (intake.overrides)."""
    when = pd.Timestamp(datetime.combine(rnd.deadline, dtime(10, 0), tzinfo=SHANGHAI))
    data = fw.xlsx_bytes(
        [Grid("说明", [["关于补报材料的说明"], ["本单位报表已另行报送，此件为补充说明。"]])],
        created=rnd.as_of,
    )
    path = raw / NOT_A_RETURN
    fw.write_file(path, data, when)
    return {
        "file": NOT_A_RETURN,
        "unit_id": None,
        "expected_unit_id": None,
        "written_name": None,
        "expected_match": None,
        "kind": "note",
        "format": "xlsx",
        "expected_status": "ignored",
        "expected_reason": "override_ignore",
        "expected_findings": ["override_applied"],
        "superseded_by": None,
        "duplicate_of": None,
        "report_date": None,
        "received_at": when,
        "on_time": True,
        "tags": ["override_ignore"],
        "n_planted_errors": 0,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


def overrides_toml(round_ids) -> str:
    """The analyst's settled matches the demo's config carries (appended to its scorecard.toml)."""
    blocks = [
        f'[intake.overrides."{rid}"]\n"{NOT_A_RETURN}" = "ignore"   # a note, not a return\n'
        for rid in round_ids
    ]
    return "\n# The analyst's settled matches (see docs/data-dictionary.md)\n" + "\n".join(blocks)


RECEIPT_BAD_LINE = (
    "见纸质登记簿"  # a line of the log whose time cannot be read (a receipt_log finding)
)


def _receipt_log(config: Config, rid: str, files: pd.DataFrame) -> Path | None:
    """The office's receipt log (收文登记) of the round: every file as received, and one
    unreadable line."""
    folder = getattr(config.paths, "receipts", None)
    if folder is None:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    local = files["received_at"].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M:%S")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["文件", "收到时间"])
    w.writerows(
        [f, t] for f, t in zip(files["file"], local, strict=True) if not str(f).startswith("~$")
    )
    w.writerow(["补报说明.docx", RECEIPT_BAD_LINE])
    path = folder / f"{rid}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _on_time(rnd):
    return lambda s: on_time_flag(s, rnd)


def _round(
    world: World,
    rid: str,
    raw: Path,
    tdir: Path,
    form: FormSpec,
    rng: np.random.Generator,
    jobs: int | None,
    prev_info: dict[str, tuple[int, str]] | None = None,
    settle: bool = False,
) -> tuple[RoundOutput, dict[str, int], dict[str, tuple[int, str]]]:
    rm = world.rounds[rid]
    rnd = rm.round
    roster = world.roster
    for folder in (raw, tdir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    plans = plan_round(roster, rm.delivery, rm.tables, rnd, rng)
    deadline_end = pd.Timestamp(
        datetime.combine(rnd.deadline + timedelta(days=1), dtime(0), tzinfo=SHANGHAI)
    )
    prev_members = {u: m for u, (m, _) in (prev_info or {}).items()}
    plants.assign_plants(
        plans,
        prev_members,
        int(rng.integers(0, 2**31 - 1)),
        roster,
        deadline_end,
        world.config.campaign.start,
        rnd.as_of,
    )
    typed = {t: df.drop(columns="_u") for t, df in rm.tables.items()}
    # per-file work on plain Python values (arrow-backed cells are slow to touch one by one)
    tables = {t: df.astype(object) for t, df in typed.items()}
    by_unit = {
        t: {str(u): g for u, g in df.groupby("unit_id", sort=False)} for t, df in tables.items()
    }
    empty = {t: df.iloc[0:0] for t, df in tables.items()}
    notes = _notes(form, world.config, rid)
    file_recs: list[dict] = []
    row_recs: list[dict] = []
    err_recs: list[dict] = []
    values_out: dict[str, list[pd.DataFrame]] = {t: [] for t in truth.SHEET_TABLES}
    on_time = _on_time(rnd)
    written = write_plans(plans, by_unit, empty, form.version, notes, raw, jobs)
    for plan, w in zip(plans, written, strict=True):
        perrs = w.errors
        for table, sheet_name, n in w.sheets:
            row_recs.append({"file": plan.file, "table": table, "sheet": sheet_name, "rows": n})
        if w.values is not None:
            for t in truth.SHEET_TABLES:
                v = w.values[t]
                if not len(v):
                    continue
                v = v.copy()
                v.insert(1, "file", plan.file)
                v.insert(2, "data_row", np.arange(len(v)))
                values_out[t].append(v)
            for e in perrs:
                err_recs.append({"file": plan.file, "sheet": form.sheet(e["table"]).name, **e})
        found = {e["code"] for e in perrs}
        if "filename_mismatch" in plan.tags:
            found.add("filename_mismatch")
        if "missing_optional_column" in plan.tags:
            found.add("missing_column")  # a warning: the optional column is reported, the file used
        if "late_correction" in plan.tags and plan.status == "accepted":
            found.add("late_correction")
        if (
            plan.status == "accepted"
            and prev_info
            and plan.unit_id in prev_info
            and w.values is not None
        ):
            theme = w.values["info"].loc[0, "theme"] if len(w.values["info"]) else None
            if isinstance(theme, str) and theme != prev_info[plan.unit_id][1]:
                found.add(
                    "changed_since_previous"
                )  # the unit's theme changed with its planted weakness
        findings = sorted(found)
        reason = plan.reason
        if plan.status == "accepted" and findings:
            reason = "ok_with_findings"
        if plan.status == "rejected":
            # the sheet cannot say whose file it is; its name (the unit's own) does:
            # inferred, never merged
            findings = sorted(
                {"unit_inferred", *([plan.reason] if plan.reason != "unknown_unit" else [])}
            )
        elif plan.status not in ("accepted", "superseded"):
            findings = []
        file_recs.append(
            {
                "file": plan.file,
                "unit_id": plan.unit_id,
                "expected_unit_id": plan.expected_unit_id,
                "written_name": plan.written_name,
                "expected_match": plan.match,
                "kind": plan.kind,
                "format": plan.fmt,
                "expected_status": plan.status,
                "expected_reason": reason,
                "expected_findings": findings,
                "superseded_by": plan.superseded_by,
                "duplicate_of": plan.same_as,
                "report_date": w.report,
                "received_at": plan.received_at,
                "on_time": bool(on_time(pd.Series([plan.received_at])).iloc[0]),
                "tags": sorted(set(plan.tags)),
                "n_planted_errors": len(perrs) if plan.status in ("accepted", "superseded") else 0,
                "sha256": w.sha256,
                "size": w.size,
            }
        )
    if settle:
        file_recs.append(_not_a_return(raw, rid, rnd))
    files_df = truth.files_frame(file_recs)
    _receipt_log(world.config, rid, files_df)
    labels = truth.labels_frame(
        rm.labels, roster, files_df, on_time, world.config.intake.late_correction
    )
    rows_df = pd.DataFrame(row_recs, columns=["file", "table", "sheet", "rows"]).astype(
        {"file": "string", "table": "string", "sheet": "string", "rows": "Int64"}
    )
    errs = pd.DataFrame(
        err_recs, columns=["file", "sheet", "table", "data_row", "column", "code"]
    ).astype(
        {
            "file": "string",
            "sheet": "string",
            "table": "string",
            "data_row": "Int64",
            "column": "string",
            "code": "string",
        }
    )
    values = {}
    for t, parts in values_out.items():
        base = typed[t].iloc[0:0].copy()
        base.insert(1, "file", pd.Series(dtype="string"))
        base.insert(2, "data_row", pd.Series(dtype="Int64"))
        df = pd.concat([base, *parts], ignore_index=True) if parts else base
        df["file"] = df["file"].astype("string")
        df["data_row"] = df["data_row"].astype("Int64")
        values[t] = df.astype(base.dtypes.to_dict())
    cov = truth.coverage(files_df, labels, MESSINESS)
    status_counts = files_df["expected_status"].value_counts().to_dict()
    meta = {
        "round": rid,
        "seed": world.seed,
        "n_units": len(roster),
        "files": len(files_df),
        "status_counts": {str(k): int(v) for k, v in status_counts.items()},
        "reasons": {str(k): int(v) for k, v in files_df["expected_reason"].value_counts().items()},
        "reporting": {str(k): int(v) for k, v in labels["reporting"].value_counts().items()},
        "planted": {
            w: int(labels[f"{w}_planted"][labels["expected"]].sum()) for w in model.WEAKNESSES
        },
        "planted_errors": len(errs),
        "messiness": MESSINESS,
        "coverage": cov,
        "notes": truth.NOTES,
    }
    truth.write_truth(tdir, files_df, labels, rows_df, values, errs, meta)
    acc = set(files_df.loc[files_df["expected_status"] == "accepted", "file"])
    inf = values["info"]
    inf = inf[inf["file"].isin(acc) & inf["party_members"].notna()]
    kept = {
        str(u): (int(m), str(t))
        for u, m, t in zip(inf["unit_id"], inf["party_members"], inf["theme"], strict=True)
    }
    return (
        RoundOutput(
            rid, raw, tdir, len(files_df), {str(k): int(v) for k, v in status_counts.items()}
        ),
        cov,
        kept,
    )


def _survey(world: World, rid: str, raw: Path, tdir: Path, seed: int) -> None:
    """The residents' survey exports of the round (its own random stream: the returns stay as
    they were)."""
    from pipeline.demo.survey import write_survey

    labels = pd.read_parquet(tdir / "labels.parquet")
    ev = pd.read_parquet(tdir / "evaluation.parquet")
    tallies = set(
        ev.dropna(subset=["surveyed", "satisfied", "basically_satisfied"])["unit_id"].astype(str)
    )
    idx = [r for r in world.rounds].index(rid)
    write_survey(
        world.config,
        world.roster,
        labels,
        tallies,
        rid,
        raw / world.config.survey.folder,
        tdir,
        np.random.default_rng([seed, 16, idx]),
    )


def generate_demo(
    config: Config | None = None,
    out_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    n_units: int = 200,
    *,
    jobs: int | None = None,
) -> DemoResult:
    """Write a demo district (roster, raw returns of every round, truth).

    With `out_dir`: `roster.xlsx`, `raw/<round>/`, `truth/<round>/` and a
    `scorecard.toml` with relative paths inside it. Without: into the
    configuration's roster and raw paths (truth beside raw). Large districts
    are written by `jobs` processes (default: all cores); the bytes are the same.
    """
    check_size(n_units)  # before anything is written
    t0 = time.perf_counter()
    config_file: Path | None = None
    if out_dir is not None:
        out_dir = Path(out_dir).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        config_file = out_dir / "scorecard.toml"
        config_file.write_text(scorecard_text(config), encoding="utf-8")
        config = load_config(config_file)
    elif config is None:
        config = load_config()
    roster_path = config.paths.roster
    raw_root = config.paths.raw
    truth_root = raw_root.parent / "truth"
    world = build_world(n_units, seed, config)
    form = load_form(config.campaign.form_version)
    _write_roster(world.roster, roster_path)
    outs = []
    coverage: dict[str, int] = {t: 0 for t in MESSINESS}
    streams = [
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, 7]).spawn(len(world.rounds))
    ]
    kept: dict[str, tuple[int, str]] | None = (
        None  # the previous round's accepted 党员人数 and theme
    )
    for (rid, _), rng in zip(world.rounds.items(), streams, strict=True):
        out, cov, kept = _round(
            world,
            rid,
            raw_root / rid,
            truth_root / rid,
            form,
            rng,
            jobs,
            kept,
            settle=config_file is not None,
        )
        _survey(world, rid, raw_root / rid, truth_root / rid, seed)
        outs.append(out)
        for k, v in cov.items():
            coverage[k] += v
    if config_file is not None:  # the demo's own config: it also settles the note as "ignore"
        with config_file.open("a", encoding="utf-8") as fh:
            fh.write(overrides_toml(list(world.rounds)))
    truth.write_recheck(truth_root, list(world.rounds))
    return DemoResult(
        seed, n_units, roster_path, config_file, tuple(outs), time.perf_counter() - t0, coverage
    )
