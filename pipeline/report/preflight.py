"""Check once, fail once: what every report needs, checked before any notebook starts.

A missing CJK font, an output folder that cannot be written or a Jupyter
kernel that is not installed would make every notebook fail the same way, and
the same message would be printed once per page and per unit card.
`check_report_prerequisites` runs the doctor's checks for exactly these
things and returns the failing ones (errors as data); `ensure_report_ready`
raises one `ReportPrerequisiteError` that lists each problem with its fix.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config
from pipeline.doctor import Check, font_check, kernel_check, writable_dir
from pipeline.errors import ScorecardError

__all__ = ["ReportPrerequisiteError", "check_report_prerequisites", "ensure_report_ready"]


class ReportPrerequisiteError(ScorecardError, RuntimeError):
    """Something every report needs is missing; `problems` holds the failing checks."""

    def __init__(self, problems: list[Check]) -> None:
        self.problems = problems
        lines = [
            f"{p.name}：{p.detail}" + (f"（解决办法：{p.fix}）" if p.fix else "") for p in problems
        ]
        super().__init__("报告阶段未开始，因为缺少所有报告都需要的条件：" + "；".join(lines))


def _notebooks_check(notebooks_dir: Path, names: tuple[str, ...]) -> Check:
    missing = [n for n in names if not (notebooks_dir / n).is_file()]
    if missing:
        return Check(
            "报告 notebook",
            False,
            f"{notebooks_dir} 中缺少 {'、'.join(missing)}",
            "确认项目完整（git status），或在配置 [paths] 中指定 notebook 目录",
        )
    return Check("报告 notebook", True, f"{notebooks_dir}")


def check_report_prerequisites(
    config: Config, out_dir: Path, notebooks_dir: Path, notebooks: tuple[str, ...]
) -> list[Check]:
    """The failing checks among: notebooks present, output folder writable, kernel, CJK font."""
    ok, why = writable_dir(Path(out_dir))
    folder = Check(
        "报告目录",
        ok,
        f"{out_dir} {why}",
        "" if ok else "改正目录权限，或在配置 [paths] reports 中指定可写的目录",
    )
    checks = [
        _notebooks_check(Path(notebooks_dir), notebooks),
        folder,
        kernel_check(config.report.kernel),
        font_check(),
    ]
    return [c for c in checks if not c.ok]


def ensure_report_ready(
    config: Config, out_dir: Path, notebooks_dir: Path, notebooks: tuple[str, ...]
) -> None:
    """Raise `ReportPrerequisiteError` (once, listing every problem) when a report cannot be
    built."""
    problems = check_report_prerequisites(config, out_dir, notebooks_dir, notebooks)
    if problems:
        raise ReportPrerequisiteError(problems)
