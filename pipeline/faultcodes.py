"""Codes added for hostile input and faults (issue 19), code -> Chinese label, in one place
for the central registry (`pipeline/codes.py`) to fold in. Each is defined beside the code
that emits it; this module only gathers them."""

from __future__ import annotations

from pipeline.batch.faults import FAULT_LABELS
from pipeline.ingest.extent import EXTENT_CODES
from pipeline.ingest.lengths import LENGTH_CODES
from pipeline.ingest.listing import LINK_CODES
from pipeline.names import NAME_CODES

ROSTER_CODES: dict[str, str] = {"page_collision": "单位编码只差大小写或特殊字符（画像页文件名相同）"}
RUN_CODES: dict[str, str] = {"killed": "上次运行被强行终止"}

# submissions.reason and findings.code
FINDING_CODES: dict[str, str] = {**NAME_CODES, **LINK_CODES, **EXTENT_CODES, **LENGTH_CODES}
# every code of this issue: findings, roster problems, run-record errors (faults, killed runs)
ALL_CODES: dict[str, str] = {**FINDING_CODES, **ROSTER_CODES, **FAULT_LABELS, **RUN_CODES}
