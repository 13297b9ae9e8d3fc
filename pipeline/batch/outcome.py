"""The result of one `run_round` call and its exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import EXIT_FAILED, EXIT_FINDINGS, EXIT_LOCKED, EXIT_OK

Status = Literal["ok", "findings", "skipped", "failed", "locked", "interrupted"]

EXIT_CODES: dict[str, int] = {
    "ok": EXIT_OK,
    "skipped": EXIT_OK,
    "findings": EXIT_FINDINGS,
    "failed": EXIT_FAILED,
    "interrupted": EXIT_FAILED,
    "locked": EXIT_LOCKED,
}

# which code a run of several rounds (`--round all`) exits with: the first of these
# any round gave. A failure must never hide behind another round's findings.
EXIT_PRECEDENCE: tuple[int, ...] = (EXIT_FAILED, EXIT_LOCKED, EXIT_FINDINGS, EXIT_OK)


def combined_exit_code(codes: list[int]) -> int:
    """One exit code for several rounds: failure > locked > findings > ok (unknown codes first)."""
    if not codes:
        return EXIT_OK
    rank = {c: i for i, c in enumerate(EXIT_PRECEDENCE)}
    return min(codes, key=lambda c: rank.get(c, -1))


STATUS_LABELS: dict[str, str] = {
    "ok": "成功",
    "findings": "完成（有被拒收的文件或错误级问题）",
    "skipped": "输入未变化，未重新计算",
    "failed": "失败",
    "locked": "未运行（同一轮次已有运行在进行）",
    "interrupted": "被中断",
}


@dataclass
class RunOutcome:
    round_id: str
    status: Status
    message: str
    started: str | None = None
    finished: str | None = None
    seconds: float = 0.0
    index: Path | None = None
    manifest: Path | None = None
    log: Path | None = None
    fingerprint: str | None = None
    failed_stage: str | None = None
    error: str | None = None
    stage_summaries: dict[str, str] = field(default_factory=dict)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    # raw files added / removed / changed since the published run, hashes before and after
    input_changes: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def summary(self) -> str:
        lines = [self.message]
        for name in ("ingest", "score", "report"):
            text = self.stage_summaries.get(name)
            if text:
                lines.append(str(text).rstrip())
        if self.timings:
            parts = [
                f"{name} {t['seconds']:.1f} 秒"
                for name, t in self.timings.items()
                if "seconds" in t
            ]
            lines.append("各步用时: " + "，".join(parts))
        if self.index is not None:
            lines.append(f"报告: {self.index}")
        if self.log is not None:
            lines.append(f"日志: {self.log}")
        return "\n".join(lines)

    def record(self) -> dict[str, Any]:
        """What the run record (`data/processed/.runs/<round>.json`) keeps."""
        return {
            "round": self.round_id,
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "exit_code": self.exit_code,
            "message": self.message,
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "fingerprint": self.fingerprint,
            "failed_stage": self.failed_stage,
            "error": self.error,
            "index": str(self.index) if self.index else None,
            "manifest": str(self.manifest) if self.manifest else None,
            "log": str(self.log) if self.log else None,
            "timings": self.timings,
            "counts": self.counts,
            "input_changes": self.input_changes,
        }
