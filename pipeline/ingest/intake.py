"""Who sent what, and when: overrides, the receipt log, inferred units, which return wins.

Pure functions over small records, called by `run.decide`:

- `overrides_for` — the analyst's settled matches for a round
  (`[intake.overrides."<round>"]`: file → unit code, or "ignore").
- `load_receipts` — the optional receipt log (收文登记,
  `<paths.receipts>/<round>.csv|xlsx`, columns 文件 / 单位编码 / 收到时间) as
  the source of truth for when a file arrived; the file's modification time
  is the documented fallback (`received_from`).
- `resolve_statuses` — which of a unit's readable returns stands: the one
  received last (receipt log, else file time); 填报日期 only breaks a tie.
- `unit_on_time` — a unit's timeliness under `intake.late_correction`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

TZ = ZoneInfo("Asia/Shanghai")
IGNORE = "ignore"
FILE_HEADERS = ("文件", "文件名", "file")
UNIT_HEADERS = ("单位编码", "unit_id")
NAME_HEADERS = ("单位名称", "单位")
TIME_HEADERS = ("收到时间", "收文时间", "接收时间", "received_at")


def overrides_for(config, round_id: str) -> dict[str, str]:
    """file → unit code or "ignore" for this round (empty when none)."""
    return dict(config.intake.overrides.get(round_id, {}))


def override_line(round_id: str, file: str, unit_id: str) -> str:
    """The exact TOML line that settles `file` as `unit_id` (under its section header)."""
    key = json.dumps(file, ensure_ascii=False)
    return f'[intake.overrides."{round_id}"] 下加入一行：{key} = "{unit_id}"'


@dataclass
class Receipts:
    """When each file (or each unit's files) arrived, from the receipt log."""

    by_file: dict[str, float] = field(default_factory=dict)  # POSIX seconds
    by_unit: dict[str, float] = field(default_factory=dict)
    source: Path | None = None
    problems: list[str] = field(default_factory=list)

    def received(self, file: str, unit_id: str | None) -> float | None:
        if file in self.by_file:
            return self.by_file[file]
        if unit_id and unit_id in self.by_unit:
            return self.by_unit[unit_id]
        return None


def receipt_path(config, round_id: str) -> Path | None:
    folder = getattr(config.paths, "receipts", None)
    if folder is None:
        return None
    for suffix in (".csv", ".xlsx"):
        p = Path(folder) / f"{round_id}{suffix}"
        if p.is_file():
            return p
    return None


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    for c in columns:
        if str(c).strip() in names:
            return c
    return None


def _seconds(value: object) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    try:
        ts = (
            pd.Timestamp(value)  # type: ignore[arg-type]  # any cell value: a bad one raises below
            if not isinstance(value, str)
            else pd.Timestamp(value.strip().replace("/", "-"))
        )
    except (ValueError, TypeError):
        return None
    if pd.isna(ts):
        return None
    ts = ts.tz_localize(TZ) if ts.tzinfo is None else ts
    return ts.timestamp()


def load_receipts(config, round_id: str, unit_of_name: dict[str, str] | None = None) -> Receipts:
    """The round's receipt log, or an empty one. Bad lines are problems (Chinese), never errors."""
    path = receipt_path(config, round_id)
    out = Receipts(source=path)
    if path is None:
        return out
    try:
        df = (
            pd.read_csv(path, dtype=str, encoding="utf-8-sig")
            if path.suffix == ".csv"
            else pd.read_excel(path, dtype=object, engine="calamine")
        )
    except Exception as exc:  # a log that cannot be read falls back to file times, with a problem
        out.problems.append(
            f"收文登记 {path.name} 无法读取（{type(exc).__name__}），已改用文件修改时间"
        )
        return out
    cols = list(df.columns)
    fcol, ucol, ncol, tcol = (
        _pick(cols, h) for h in (FILE_HEADERS, UNIT_HEADERS, NAME_HEADERS, TIME_HEADERS)
    )
    if tcol is None or (fcol is None and ucol is None and ncol is None):
        out.problems.append(
            f"收文登记 {path.name} 缺少“收到时间”或“文件”/“单位编码”列，已改用文件修改时间"
        )
        return out
    for i, row in enumerate(df.itertuples(index=False), start=2):
        r = dict(zip(cols, row, strict=True))
        when = _seconds(r.get(tcol))
        if when is None:
            out.problems.append(f"收文登记第 {i} 行的收到时间“{r.get(tcol)}”无法识别，该行未采用")
            continue
        file = str(r.get(fcol) or "").strip() if fcol else ""
        unit = str(r.get(ucol) or "").strip() if ucol else ""
        if not unit and ncol and unit_of_name:
            unit = unit_of_name.get(str(r.get(ncol) or "").strip(), "")
        if file and file.lower() != "nan":
            out.by_file[file] = when
        elif unit and unit.lower() != "nan":
            out.by_unit[unit] = min(when, out.by_unit.get(unit, when))
    return out


def local_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, TZ).strftime("%Y-%m-%d %H:%M")


def resolve_statuses(records: list[dict]) -> None:
    """Decide accepted / superseded / ignored among readable returns of each unit (in place).

    `records` are submission dicts with file, sha256, unit_id, status ('read'
    for a readable, identified return), report_date (date or None) and
    received_at (POSIX seconds). A byte-identical copy received later is
    ignored (duplicate_content). Then the return received last stands
    (received_at from the receipt log, else the file time); 填报日期 only
    breaks a tie of receipt times, then the file name. The others are
    superseded, and the message says why in terms that are true.
    """
    live = [r for r in records if r["status"] == "read" and r["unit_id"]]
    first_of: dict[tuple[str, str], str] = {}
    for r in sorted(live, key=lambda r: (r["received_at"], r["file"])):
        key = (r["unit_id"], r["sha256"])
        if key in first_of:
            r.update(
                status="ignored",
                reason="duplicate_content",
                superseded_by=first_of[key],
                message=f"与先收到的 {first_of[key]} 内容完全相同（重复报送），已忽略",
            )
        else:
            first_of[key] = r["file"]
    by_unit: dict[str, list[dict]] = {}
    for r in live:
        if r["status"] == "read":
            by_unit.setdefault(r["unit_id"], []).append(r)
    for group in by_unit.values():
        group.sort(key=lambda r: (r["received_at"], r["report_date"] or date.min, r["file"]))
        keep = group[-1]
        keep["status"] = "accepted"
        for r in group[:-1]:
            if keep["received_at"] > r["received_at"]:
                why = (
                    f"该单位于 {local_time(keep['received_at'])} 又报送了 {keep['file']}"
                    f"（晚于本文件的 {local_time(r['received_at'])}），以后收到的为准"
                )
            elif (keep["report_date"] or date.min) > (r["report_date"] or date.min):
                why = f"该单位同时报送了 {keep['file']}，收到时间相同，按填报日期较晚的为准"
            else:
                why = f"该单位同时报送了 {keep['file']}，收到时间和填报日期都相同，按文件名取其一"
            r.update(
                status="superseded",
                reason="superseded_later",
                superseded_by=keep["file"],
                message=f"{why}；本文件保留备查",
            )


def unit_on_time(
    records: list[dict], cutoff_seconds: float, rule: str
) -> dict[str, tuple[bool, dict | None]]:
    """unit → (on time, the on-time first return when a late correction is the one used).

    Under `first_on_time` a unit whose first usable return (accepted,
    superseded or a duplicate) arrived by the deadline is on time even when
    the return used is a later correction; under `latest` the return used
    decides.
    """
    out: dict[str, tuple[bool, dict | None]] = {}
    usable: dict[str, list[dict]] = {}
    for r in records:
        if (
            r["unit_id"]
            and r["status"] in ("accepted", "superseded", "ignored")
            and r.get("reason") != "override_ignore"
            and r.get("reason") != "not_a_return"
        ):
            usable.setdefault(r["unit_id"], []).append(r)
    for uid, group in usable.items():
        used = next((r for r in group if r["status"] == "accepted"), None)
        if used is None:
            continue
        used_on_time = used["received_at"] < cutoff_seconds
        first = min(group, key=lambda r: (r["received_at"], r["file"]))
        if rule == "first_on_time" and not used_on_time and first["received_at"] < cutoff_seconds:
            out[uid] = (True, first)
        else:
            out[uid] = (used_on_time, None)
    return out
