"""`scorecard status`: where a round stands, from the published tables and the run record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.batch.lock import running_holder
from pipeline.batch.manifest import last_run, manifest_path, read_json
from pipeline.batch.outcome import STATUS_LABELS
from pipeline.codes import Reporting
from pipeline.config import Config
from pipeline.tables import read_tables

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_LISTED = 100


def local_time(value: Any) -> str:
    """An ISO or pandas timestamp shown in Beijing time, or '-'."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _int(v: Any) -> int:
    return 0 if v is None or pd.isna(v) else int(v)


def _pct(v: Any) -> str:
    return "-" if v is None or pd.isna(v) else f"{float(v):.1f}%"


def _unusable_part(row: Any) -> str:
    """ "已报送但无法使用 N，" where the completeness table counts such units (and any are)."""
    n = row.get("unusable") if hasattr(row, "get") else None
    return (
        f"{Reporting.UNUSABLE.label} {_int(n)}，"
        if n is not None and pd.notna(n) and int(n)
        else ""
    )


@dataclass
class RoundStatus:
    round_id: str
    round_name: str
    deadline: str
    processed: Path
    completeness: pd.DataFrame | None = None
    late: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    unusable: list[dict[str, Any]] = field(
        default_factory=list
    )  # sent only files that could not be used
    findings_by_severity: dict[str, int] = field(default_factory=dict)
    files_by_status: dict[str, int] = field(default_factory=dict)
    last_run: dict[str, Any] | None = None
    published: dict[str, Any] | None = None
    running: dict[str, Any] | None = None

    @property
    def has_data(self) -> bool:
        return self.completeness is not None

    def _completeness_lines(self) -> list[str]:
        c = self.completeness
        if c is None or c.empty:
            return ["报送情况: 还没有数据（请先运行 scorecard run）"]
        lines = []
        district = c[c["level"] == "district"]
        if not district.empty:
            d = district.iloc[0]
            lines.append(
                f"报送情况: 应报 {_int(d['expected'])}，已报 {_int(d['received'])}"
                f"（按时 {_int(d['on_time'])}，迟报 {_int(d['late'])}），"
                f"{_unusable_part(d)}未报 {_int(d['missing'])}；"
                f"报送率 {_pct(d['reporting_rate'])}，及时率 {_pct(d['on_time_rate'])}"
            )
        by_type = c[c["level"] == "unit_type"]
        if not by_type.empty:
            lines.append("按单位类型:")
            for _, r in by_type.iterrows():
                label = r["group_name"] if pd.notna(r.get("group_name")) else r["group"]
                lines.append(
                    f"  {label}: 应报 {_int(r['expected'])}，已报 {_int(r['received'])}，"
                    f"按时 {_int(r['on_time'])}，迟报 {_int(r['late'])}，"
                    f"{_unusable_part(r)}未报 {_int(r['missing'])}"
                )
        return lines

    @staticmethod
    def _unit_lines(title: str, units: list[dict[str, Any]], with_time: bool) -> list[str]:
        if not units:
            return [f"{title}: 无"]
        lines = [f"{title}（{len(units)} 个）:"]
        for u in units[:MAX_LISTED]:
            extra = f"，收到于 {local_time(u.get('received_at'))}" if with_time else ""
            lines.append(f"  {u.get('unit_name', '')}（{u.get('unit_id', '')}{extra}）")
        if len(units) > MAX_LISTED:
            lines.append(f"  …… 另有 {len(units) - MAX_LISTED} 个，见 units 数据表")
        return lines

    def _run_lines(self) -> list[str]:
        lines = []
        if self.running:
            lines.append(
                f"正在运行: 主机 {self.running.get('host', '?')} 上的进程 "
                f"{self.running.get('pid', '?')}，开始于 {local_time(self.running.get('started'))}"
            )
        run = self.last_run
        if not run:
            return [*lines, "最近一次运行: 无记录"]
        label = STATUS_LABELS.get(run.get("status", ""), run.get("status", "?"))
        lines += [
            f"最近一次运行: {local_time(run.get('finished'))}（北京时间）结束，结果: {label}"
            f"（退出码 {run.get('exit_code', '?')}），用时 {float(run.get('seconds') or 0):.1f} 秒"
        ]
        if run.get("status") == "failed":
            lines.append(f"  失败原因: {run.get('error') or run.get('message')}")
        if run.get("log"):
            lines.append(f"  日志: {run['log']}")
        if self.published and run.get("status") not in ("ok", "findings", "skipped"):
            lines.append(
                f"  当前发布的结果来自 {local_time(self.published.get('finished'))} 完成的运行"
            )
        return lines

    def render(self) -> str:
        head = f"轮次 {self.round_id}（{self.round_name}），报送截止 {self.deadline}"
        lines = [head, *self._completeness_lines()]
        if self.has_data:
            lines += self._unit_lines("迟报单位", self.late, with_time=True)
            if self.unusable:
                lines += self._unit_lines(
                    f"{Reporting.UNUSABLE.label}的单位", self.unusable, with_time=False
                )
            lines += self._unit_lines("未报单位", self.missing, with_time=False)
            sev = self.findings_by_severity
            rejected = self.files_by_status.get("rejected", 0)
            lines.append(
                f"问题: 错误 {sev.get('error', 0)} 条，需核实 {sev.get('warning', 0)} 条；"
                f"被拒收文件 {rejected} 份"
            )
        lines += self._run_lines()
        return "\n".join(lines)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [c for c in ("unit_id", "unit_name", "unit_type", "received_at") if c in df.columns]
    return cast(list[dict[str, Any]], df[cols].astype("object").to_dict("records"))


def round_status(config: Config, round_id: str) -> RoundStatus:
    """Completeness, late and missing units, findings, and the last run of a round."""
    r = config.round(round_id)
    processed = config.paths.processed_round(round_id)
    tables = read_tables(
        processed, ["completeness", "units", "findings", "submissions"], missing_ok=True
    )
    status = RoundStatus(
        round_id=round_id,
        round_name=r.name,
        deadline=r.deadline.isoformat(),
        processed=processed,
        completeness=tables.get("completeness"),
        last_run=last_run(config.paths.processed, round_id),
        published=read_json(manifest_path(config.paths.reports_round(round_id))),
        running=running_holder(config.paths.processed, round_id),
    )
    units = tables.get("units")
    if units is not None and "reporting" in units.columns:
        late = units[units["reporting"] == "late"]
        if "received_at" in late.columns:
            late = late.sort_values("received_at")
        status.late = _records(late)
        status.missing = _records(units[units["reporting"] == "missing"].sort_values("unit_id"))
        status.unusable = _records(
            units[units["reporting"] == Reporting.UNUSABLE].sort_values("unit_id")
        )
    findings = tables.get("findings")
    if findings is not None and "severity" in findings.columns:
        status.findings_by_severity = {
            str(k): int(v) for k, v in findings["severity"].value_counts().items()
        }
    sub = tables.get("submissions")
    if sub is not None and "status" in sub.columns:
        status.files_by_status = {str(k): int(v) for k, v in sub["status"].value_counts().items()}
    return status


__all__ = ["RoundStatus", "local_time", "round_status"]
