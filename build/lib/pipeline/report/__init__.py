"""Reports: papermill notebooks, HTML pages, unit cards, summary.xlsx.

`build_reports(config, round_id, processed_dir=None, out_dir=None, jobs=None,
executor=None) -> ReportResult` lives in `build.py`; it is imported lazily so
that a notebook kernel importing `pipeline.report.commentary` does not pay for
papermill, nbconvert and xlsxwriter.

Modules: `context` (load a round), `commentary` (Chinese text from data),
`frames` (display tables), `display` (escaped HTML, notebook display),
`cards` (unit pages), `pages` (templates, nbconvert), `xlsx` (summary.xlsx),
`runner` (papermill with retry), `build` (the whole report set).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReportFailure", "ReportResult", "build_reports"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.report import build

        return getattr(build, name)
    raise AttributeError(f"module 'pipeline.report' has no attribute {name!r}")
