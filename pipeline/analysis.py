"""The analyst's API: rounds, a round's tables (Chinese headers on request, Beijing time), export.

    from pipeline import open_round, list_rounds, round_table, history, to_excel

    rounds = list_rounds()                       # every configured round, has its scores?
    ctx = open_round(round_id="2026-08")         # config found from the working folder
    scores = round_table(ctx, "scores", chinese=True)
    to_excel(scores, "得分.xlsx")                # Chinese headers, one decimal

Times are shown in Beijing time (tz-aware, Asia/Shanghai); the stored tables
keep UTC. Nothing here writes to the processed folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.context import RoundContext, load_any_config, open_round
from pipeline.report.labels import LOCAL_TZ, SEVERITY_LABELS
from pipeline.tables import read_table, table_path

__all__ = [
    "COLUMN_LABELS",
    "history",
    "list_rounds",
    "local_time",
    "open_round",
    "round_table",
    "to_excel",
    "with_chinese_labels",
]

COLUMN_LABELS: dict[str, str] = {
    "unit_id": "单位编码",
    "unit_name": "单位名称",
    "unit_type": "单位类型",
    "parent_id": "上级单位编码",
    "parent_name": "上级单位",
    "round_id": "轮次",
    "round_name": "轮次名称",
    "as_of": "数据截至",
    "scored": "已评分",
    "unscored_reason": "未评分原因",
    "overall": "综合得分",
    "rank": "全区排名",
    "rank_in_type": "类型内排名",
    "rank_median": "排名中位数",
    "rank_p05": "排名区间下限(5%)",
    "rank_p95": "排名区间上限(95%)",
    "rank_unstable": "排名不稳定",
    "flags": "预警项",
    "n_flags": "预警项数",
    **dict(WEAKNESS_LABELS),
    **{f"{w}_change": f"{WEAKNESS_LABELS[w]}变化" for w in WEAKNESSES},
    "overall_change": "综合得分变化",
    "rank_change": "名次变化",
    "still_flagged": "整改未到位",
    "previous_round": "上一轮",
    "expected": "应报",
    "submitted": "已报送",
    "reporting": "报送情况",
    "received_at": "收到时间（北京时间）",
    "report_date": "填报日期",
    "on_time": "按时",
    "file": "文件",
    "sheet": "工作表",
    "cell": "单元格",
    "row": "行",
    "column": "栏目",
    "severity": "级别",
    "code": "代码",
    "message": "说明",
    "value": "原值",
    "row_rejected": "该行未采用",
    "reason": "原因",
    "status": "状态",
    "level": "层级",
    "group": "分组",
    "group_name": "分组名称",
    "received": "已报",
    "late": "迟报",
    "missing": "未报",
    "reporting_rate": "报送率(%)",
    "on_time_rate": "按时报送率(%)",
    "mean_progress": "平均进度",
    "theil": "泰尔指数",
    "between": "类型间差距",
    "within": "类型内差距",
    "gini": "基尼系数",
    "date": "日期",
    "name": "名称",
    "theme": "活动主题",
    "weakness": "不足",
    "text": "依据",
    "progress_share": "规定动作完成进度",
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "severity": SEVERITY_LABELS,
    "reporting": {
        "on_time": "按时报送",
        "late": "迟报",
        "missing": "未报送",
        "not_expected": "不需报送",
    },
}


def list_rounds(config_path: str | Path = "") -> pd.DataFrame:
    """Every configured round in time order: id, name, stage, dates, whether it has scores."""
    config = load_any_config(config_path)
    rows = [
        {
            "round_id": r.id,
            "round_name": r.name,
            "stage": r.stage,
            "as_of": r.as_of,
            "deadline": r.deadline,
            "inspection": r.inspection,
            "has_scores": table_path(config.paths.processed_round(r.id), "scores").is_file(),
        }
        for r in config.rounds_in_order()
    ]
    return pd.DataFrame(rows)


def local_time(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamp columns in Beijing time (naive timestamps are taken as UTC; dates stay dates)."""
    out = df.copy()
    for c in out.columns:
        dtype = out[c].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(LOCAL_TZ)
        elif c.endswith("_at") and pd.api.types.is_datetime64_any_dtype(dtype):
            out[c] = out[c].dt.tz_localize("UTC").dt.tz_convert(LOCAL_TZ)
    return out


def with_chinese_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Chinese column names and value labels (severity, reporting, weakness keys in flags)."""
    out = df.copy()
    for c, labels in VALUE_LABELS.items():
        if c in out:
            out[c] = out[c].map(lambda v, m=labels: m.get(str(v), v) if pd.notna(v) else v)
    for c in ("flags", "still_flagged", "weakness"):
        if c in out:
            out[c] = out[c].map(
                lambda v: (
                    "、".join(
                        WEAKNESS_LABELS.get(k.strip(), k.strip())
                        for k in str(v).split(",")
                        if k.strip()
                    )
                    if pd.notna(v)
                    else v
                )
            )
    return out.rename(columns={c: COLUMN_LABELS.get(c, c) for c in out.columns})


def round_table(
    ctx: RoundContext | str, name: str, chinese: bool = False, config_path: str | Path = ""
) -> pd.DataFrame:
    """One table of a round (a RoundContext, or a round id): Beijing time; Chinese headers if
    asked."""
    if isinstance(ctx, str):
        ctx = open_round(config_path, ctx)
    df = ctx.table(name)
    if df.empty and not table_path(ctx.processed_dir, name).is_file() and name not in ctx.tables:
        raise KeyError(
            f"轮次 {ctx.round.id} 没有数据表 {name}（有: {'、'.join(sorted(ctx.tables))}）"
        )
    df = local_time(df)
    return with_chinese_labels(df) if chinese else df


def history(config_path: str | Path = "", table: str = "scores") -> pd.DataFrame:
    """One table over every scored round, with round_id / round_name / as_of columns, in time
    order."""
    config = load_any_config(config_path)
    parts = []
    for r in config.rounds_in_order():
        folder = config.paths.processed_round(r.id)
        if not table_path(folder, table).is_file():
            continue
        t = read_table(folder, table)
        parts.append(t.assign(round_id=r.id, round_name=r.name, as_of=pd.Timestamp(r.as_of)))
    if not parts:
        return pd.DataFrame(columns=["round_id", "round_name", "as_of"])
    return pd.concat(parts, ignore_index=True)


def to_excel(df: pd.DataFrame, path: str | Path, sheet: str = "数据", digits: int = 1) -> Path:
    """Write a frame to .xlsx with Chinese headers (if it has English ones), rounded, printable."""
    from pipeline.report.xlsx import write_frames

    path = Path(path)
    out = df.copy()
    if any(c in COLUMN_LABELS for c in out.columns):
        out = with_chinese_labels(out)
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c].dtype):
            out[c] = out[c].round(digits)
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M")
    return write_frames({sheet: out}, path, title=path.stem)
