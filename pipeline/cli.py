"""`scorecard` command line: a thin layer over library functions.

Each command parses its arguments, loads the configuration, calls one library
function and turns its result into an exit code. No logic of its own.

Exit codes (documented in the README):
  0  success
  1  failure (bad input, a stage failed)
  2  usage error (bad arguments, bad configuration)
  3  completed, but with error-level findings or rejected files (batch commands)
  4  another run of the same round holds the lock
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ScorecardError

DEMO_ONLY_MODULES = frozenset({"xlwt"})  # the `demo` extra of pyproject.toml

log = logging.getLogger("pipeline")


def _config(args: argparse.Namespace):
    from pipeline.config import load_config

    return load_config(args.config)


def _rounds(config, round_arg: str) -> list[str]:
    if round_arg == "all":
        return [r.id for r in config.rounds_in_order()]
    config.round(round_arg)  # KeyError with the known ids
    return [round_arg]


# --- commands -------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    from pipeline.doctor import print_report, run_doctor

    checks = run_doctor(args.config)
    print_report(checks)
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED


def cmd_template(args: argparse.Namespace) -> int:
    from pipeline.templates import write_templates

    config = _config(args)
    written = write_templates(
        config,
        args.round,
        unit_id=args.unit,
        out_dir=Path(args.out) if args.out else None,
        carry_over=args.carry_over,
    )
    note = "（已沿用各单位上一轮已采用报表的内容，浅绿色单元格）" if args.carry_over else ""
    print(f"已生成 {len(written)} 份报表模板{note}: {written[0].parent if written else '-'}")
    return EXIT_OK


def cmd_round(args: argparse.Namespace) -> int:
    from datetime import date

    from pipeline.config import DEFAULT_CONFIG_NAME
    from pipeline.rounds import NewRound, add_round

    path = Path(args.config or DEFAULT_CONFIG_NAME)
    try:
        new = NewRound(
            id=args.id,
            name=args.name or args.id,
            as_of=date.fromisoformat(args.as_of),
            deadline=date.fromisoformat(args.deadline),
            inspection=date.fromisoformat(args.inspection or args.deadline),
            stage=args.stage or "",
        )
    except ValueError as exc:
        print(f"错误: 日期应写成 YYYY-MM-DD（{exc}）", file=sys.stderr)
        return EXIT_USAGE
    config = add_round(path, new)
    r = config.round(new.id)
    print(
        f"已在 {path} 中新增检查轮次 {r.id}（{r.name}，{r.stage}）："
        f"数据截至 {r.as_of}，报送截止 {r.deadline}，"
        f"检查日期 {r.inspection}。\n下一步：scorecard template --round {r.id} --carry-over"
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    import importlib.util

    from pipeline.demo import generate_demo

    missing = sorted(m for m in DEMO_ONLY_MODULES if importlib.util.find_spec(m) is None)
    if missing:  # before anything is written
        print(
            f"错误: 生成演示数据需要额外的依赖 {'、'.join(missing)}，请运行 "
            "pip install 'grassroots-scorecard[demo]'（在源码目录中 make install 已包含）",
            file=sys.stderr,
        )
        return EXIT_FAILED

    config = _config(args) if (args.config or not args.out) else None
    result = generate_demo(
        config=config,
        out_dir=Path(args.out) if args.out else None,
        seed=args.seed,
        n_units=args.units,
    )
    print(result.summary())
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipeline.ingest import ingest_round

    config = _config(args)
    code = EXIT_OK
    for rid in _rounds(config, args.round):
        result = ingest_round(config, rid, jobs=args.jobs, reuse=not args.reread)
        print(result.summary())
        if result.has_errors:
            code = EXIT_FINDINGS
    return code


def cmd_score(args: argparse.Namespace) -> int:
    from pipeline.score import score_round
    from pipeline.survey.run import score_with_survey

    config = _config(args)
    for rid in _rounds(config, args.round):
        # the residents' survey, then the scores
        result = score_with_survey(score_round, config, rid, reuse=not args.reread)
        print(result.summary())
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.report import build_reports

    config = _config(args)
    code = EXIT_OK
    for rid in _rounds(config, args.round):
        # a missing prerequisite (ReportPrerequisiteError) stops here, once for all pages:
        # main() prints it
        result = build_reports(config, rid, jobs=args.jobs)
        print(result.summary())
        if result.failures:
            code = EXIT_FAILED
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.batch import run_round
    from pipeline.batch.outcome import combined_exit_code

    config = _config(args)
    codes = []
    for rid in _rounds(config, args.round):
        outcome = run_round(
            config, rid, jobs=args.jobs, scheduler=args.scheduler, force=args.force, wait=args.wait
        )
        print(outcome.summary())
        codes.append(outcome.exit_code)
    return combined_exit_code(codes)


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.batch import round_status

    config = _config(args)
    for rid in _rounds(config, args.round):
        print(round_status(config, rid).render())
    return EXIT_OK


# --- parser ---------------------------------------------------------------

COMMANDS: dict[str, str] = {
    "doctor": "检查运行环境（Jupyter 内核、中文字体、目录、配置）",
    "template": "生成发给各单位的报表模板",
    "demo": "生成演示区的名册、报表和真值",
    "ingest": "读取、清洗、校验一轮报表，写出清洁数据表和填报差错清单",
    "score": "计算四项不足的得分、综合排名及其不确定性",
    "report": "用 papermill 运行 notebook，生成 HTML 与 Excel 报告",
    "run": "一次完成 ingest → score → report（可定时无人值守运行）",
    "status": "显示一轮的报送完整性、迟报缺报、问题数量和最近一次运行结果",
    "round": "管理检查轮次：round add 在配置中新增一轮（检查日期与所属阶段）",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorecard",
        description="grassroots-scorecard: 基层党建创先争优活动报表的读取、评分与报告。",
    )
    parser.add_argument(
        "--config", default=None, help="配置文件路径（默认: 当前目录下的 scorecard.toml）"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name])
        p.set_defaults(func=func)
        return p

    add("doctor", cmd_doctor)

    p = add("template", cmd_template)
    p.add_argument("--round", required=True, help="检查轮次编号，如 2026-07")
    p.add_argument("--unit", default=None, help="只生成这个单位编码的模板")
    p.add_argument("--out", default=None, help="输出目录（默认: reports/<轮次>/templates）")
    p.add_argument(
        "--carry-over",
        action="store_true",
        help="沿用各单位上一轮已采用报表的内容（活动主题、已完成的规定动作、基础资料），并标出",
    )

    p = add("demo", cmd_demo)
    p.add_argument("--seed", type=int, default=20260719, help="随机种子（同一种子结果相同）")
    p.add_argument("--units", type=int, default=200, help="单位数量（20 到 100000）")
    p.add_argument(
        "--out", default=None, help="输出目录；给出时另写一份指向该目录的 scorecard.toml"
    )

    def add_round(p: argparse.ArgumentParser) -> None:
        p.add_argument("--round", required=True, help="检查轮次编号，或 all 表示全部轮次")

    p = add("ingest", cmd_ingest)
    add_round(p)
    p.add_argument("--jobs", type=int, default=None, help="并行进程数（默认: 全部 CPU 核）")
    p.add_argument(
        "--reread", action="store_true", help="重新读取每个文件，不沿用未变化文件上次的读取结果"
    )

    p = add("score", cmd_score)
    add_round(p)
    p.add_argument(
        "--reread",
        action="store_true",
        help="重新读取群众满意度问卷导出文件，不沿用未变化文件上次的读取结果",
    )

    p = add("report", cmd_report)
    add_round(p)
    p.add_argument("--jobs", type=int, default=None, help="并行运行的 notebook 数")

    p = add("run", cmd_run)
    add_round(p)
    p.add_argument("--jobs", type=int, default=None, help="并行进程数")
    p.add_argument(
        "--scheduler", default=None, help="Dask 调度器地址 tcp://HOST:PORT（默认: 本机多进程）"
    )
    p.add_argument("--force", action="store_true", help="输入未变时也重新计算，并重新读取每个文件")
    p.add_argument("--wait", action="store_true", help="同一轮次已有运行时等待，而不是立即退出")

    p = add("status", cmd_status)
    add_round(p)

    p = add("round", cmd_round)
    actions = p.add_subparsers(dest="round_action", metavar="ACTION")
    actions.required = True
    a = actions.add_parser(
        "add",
        help="新增一轮：写入配置文件中新的 [[rounds]]，先检查日期与阶段",
        description="新增一轮：写入配置文件中新的 [[rounds]]，先检查日期与阶段；注释保持不变",
    )
    a.add_argument("--id", required=True, help="轮次编号，如 2026-09")
    a.add_argument("--name", default=None, help="轮次名称，如 9月检查（默认: 轮次编号）")
    a.add_argument("--as-of", required=True, help="数据截至日期 YYYY-MM-DD")
    a.add_argument("--deadline", required=True, help="报送截止日期 YYYY-MM-DD")
    a.add_argument("--inspection", default=None, help="检查日期 YYYY-MM-DD（默认: 报送截止日期）")
    a.add_argument("--stage", default=None, help="所属阶段编号（默认: 日期所在的阶段）")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from pipeline.batch.children import RunTerminated

    try:
        return int(args.func(args))
    except (
        ScorecardError
    ) as exc:  # every pipeline error the user can act on: its message, its exit code
        print(exc.cli_message(), file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:  # a stage run before the one it needs, a missing notebook
        print(f"错误: {exc.args[-1] if exc.args else exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a read-only or full disk: cause and fix, no traceback
        from pipeline.batch.faults import fault_from_exception

        fault = fault_from_exception(exc)
        if fault is None:
            raise
        print(fault.cli_message(), file=sys.stderr)
        return fault.exit_code
    except (KeyboardInterrupt, RunTerminated):
        print(
            "已中断：未发布任何结果，上次的结果保持不变（运行记录见 scorecard status）。",
            file=sys.stderr,
        )
        return EXIT_FAILED
