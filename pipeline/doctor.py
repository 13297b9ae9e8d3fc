"""`scorecard doctor`: is this machine ready to run the pipeline?

`run_doctor(config_path)` runs every check and returns them as data (it never
raises for a problem it finds); `print_report(checks)` prints them in Chinese,
each failure with the way to fix it. Optional tools (Chromium, LibreOffice)
are reported for information and never fail the doctor.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DIST_NAME = "grassroots-scorecard"
MIN_PYTHON = (3, 11)
DEFAULT_KERNEL = "grassroots-scorecard"

# distribution name -> module to import, where the two differ
_IMPORT_NAMES: dict[str, str] = {
    "python-calamine": "python_calamine",
    "msoffcrypto-tool": "msoffcrypto",
    "scikit-learn": "sklearn",
    "pyyaml": "yaml",
    "pylopdf-fonts-zh-cn": "pylopdf_fonts_zh_cn",
    "python-docx": "docx",
}
# extras whose modules must import too
_EXTRA_IMPORTS: dict[str, dict[str, str]] = {"dask": {"distributed": "distributed"}}


@dataclass(frozen=True)
class Check:
    """One check: `ok` False means the pipeline will not run properly until `fix` is done."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    optional: bool = False  # information only: never makes the doctor fail


def _python() -> Check:
    v = sys.version_info
    ok = (v.major, v.minor) >= MIN_PYTHON
    return Check(
        "Python 版本",
        ok,
        f"Python {v.major}.{v.minor}.{v.micro}（{sys.executable}）",
        ""
        if ok
        else f"需要 Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} 或更高版本；"
        "安装后删除 .venv 再运行 make install",
    )


_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class Requirement:
    """The part of a requirement string (PEP 508) the doctor needs."""

    name: str
    extras: tuple[str, ...] = ()


def _requirements() -> list[Requirement]:
    """Runtime dependencies of the installed package (extras such as dev left out)."""
    try:
        raw = importlib.metadata.requires(DIST_NAME) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    out = []
    for text in raw:
        spec, _, marker = text.partition(";")
        if "extra" in marker:
            continue
        m = _REQ.match(spec)
        if m:
            extras = tuple(e.strip() for e in (m.group(2) or "").split(",") if e.strip())
            out.append(Requirement(m.group(1), extras))
    return out


def _modules(req: Requirement) -> list[str]:
    name = req.name.lower()
    mods = [_IMPORT_NAMES.get(name, name.replace("-", "_"))]
    mods += [m for extra, m in _EXTRA_IMPORTS.get(name, {}).items() if extra in req.extras]
    return mods


def _dependencies(import_module: Callable[[str], object] = importlib.import_module) -> Check:
    reqs = _requirements()
    if not reqs:
        return Check(
            "依赖包",
            False,
            f"未找到已安装的 {DIST_NAME}（项目没有安装到当前 Python 环境）",
            "在仓库根目录运行 make install（或 .venv/bin/pip install -e '.[dev]'），"
            "并用 .venv/bin/scorecard 运行",
        )
    broken: list[str] = []
    for req in reqs:
        for mod in _modules(req):
            try:
                import_module(mod)
            except Exception as exc:  # ImportError, or a broken package failing on import
                broken.append(f"{req.name}（{mod}: {type(exc).__name__}: {exc}）")
    if broken:
        return Check(
            "依赖包",
            False,
            "无法导入: " + "；".join(broken),
            "运行 .venv/bin/pip install -e '.[dev]' 重新安装依赖"
            "（或删除 .venv 后运行 make install）",
        )
    return Check("依赖包", True, f"{len(reqs)} 个运行依赖均可导入")


def kernel_check(name: str) -> Check:
    fix = (
        f"{sys.executable} -m ipykernel install --sys-prefix --name {name} "
        f'--display-name "Python ({name})"（或运行 make install）'
    )
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
    except Exception as exc:
        return Check(
            "Jupyter 内核", False, f"无法列出 Jupyter 内核: {type(exc).__name__}: {exc}", fix
        )
    if name in specs:
        return Check("Jupyter 内核", True, f"内核 {name} 已安装（{specs[name]}）")
    known = "、".join(sorted(specs)) or "无"
    return Check(
        "Jupyter 内核",
        False,
        f"未找到配置 report.kernel 指定的内核 {name}（已安装: {known}）",
        fix,
    )


def font_check() -> Check:
    fix = "重新安装项目依赖: make install（中文字体随软件安装，无需系统字体）"
    try:
        from pipeline.charts.fonts import choose_cjk_font
    except ImportError as exc:
        return Check(
            "中文字体",
            False,
            f"无法加载图表模块 pipeline.charts.fonts（{exc}），不能检查中文字体",
            "确认项目完整安装（git pull 后运行 make install）",
        )
    try:
        choice = choose_cjk_font()
    except Exception as exc:
        return Check("中文字体", False, f"图表无法使用中文字体: {exc}", fix)
    note = (
        ""
        if choice.source == "system"
        else ("；可选：安装系统中文字体（如 fonts-noto-cjk、微软雅黑）后将优先使用系统字体")
    )
    return Check(
        "中文字体",
        True,
        f"图表使用 {choice.family}（{choice.source_label}，{choice.path}）{note}",
    )


def _config(config_path: str | None):
    from pipeline.config import DEFAULT_CONFIG_NAME, ConfigError, load_config

    shown = config_path or str(Path.cwd() / DEFAULT_CONFIG_NAME)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        problems = "".join(f"\n    - {p.key}: {p.message}" for p in exc.problems)
        return None, Check(
            "配置文件",
            False,
            f"{exc.path} 有 {len(exc.problems)} 处问题:{problems}",
            "按提示改正配置文件中的这些项（说明见仓库根目录的 scorecard.toml），"
            "或用 scorecard --config 文件 指定另一个配置文件",
        )
    return config, Check("配置文件", True, f"{shown} 可以读取（{len(config.rounds)} 个检查轮次）")


def writable_dir(path: Path) -> tuple[bool, str]:
    """True when `path` is a writable folder, or could be created as one."""
    if path.exists():
        if not path.is_dir():
            return False, "存在，但不是文件夹"
        return (
            (True, "存在，可写")
            if os.access(path, os.W_OK | os.X_OK)
            else (False, "存在，但没有写权限")
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return True, "尚不存在，首次运行时创建"
    return False, f"不存在，且无法在 {parent} 下创建"


def _folders(config) -> list[Check]:
    raw = config.paths.raw
    out = []
    if raw.is_dir() and os.access(raw, os.R_OK | os.X_OK):
        rounds = [r.id for r in config.rounds if config.paths.raw_round(r.id).is_dir()]
        detail = f"{raw} 存在；有报表文件夹的轮次: {'、'.join(rounds) or '无'}"
        out.append(Check("原始报表目录 raw", True, detail))
    else:
        out.append(
            Check(
                "原始报表目录 raw",
                False,
                f"{raw} 不存在或不可读",
                f"创建该目录（mkdir -p {raw}），把每轮收到的报表放在 {raw}/<轮次编号>/ 下；"
                "或运行 scorecard demo 生成演示数据",
            )
        )
    for label, path in (
        ("清洁数据目录 processed", config.paths.processed),
        ("报告目录 reports", config.paths.reports),
    ):
        ok, why = writable_dir(path)
        fix = (
            ""
            if ok
            else f"创建该目录并授予写权限（mkdir -p {path}），或在配置文件 [paths] 中改为可写的目录"
        )
        out.append(Check(label, ok, f"{path} {why}", fix))
    return out


def _roster(config) -> Check:
    from pipeline.roster import RosterError, load_roster

    path = config.paths.roster
    try:
        roster = load_roster(path)
    except RosterError as exc:
        if any(p.code == "missing_file" for p in exc.problems):
            return Check(
                "单位名册",
                False,
                f"{path} 不存在",
                "把单位名册（xlsx 或 csv，列见 docs/data-dictionary.md）放到该位置，"
                "或在配置文件 [paths] roster 中指向它；试用时可运行 scorecard demo 生成演示名册",
            )
        shown = exc.problems[:10]
        more = f"（另有 {len(exc.problems) - 10} 处）" if len(exc.problems) > 10 else ""
        lines = "；".join(
            f"{'第' + str(p.row) + '行 ' if p.row else ''}{p.column or ''} {p.message}"
            for p in shown
        )
        return Check(
            "单位名册",
            False,
            f"{path} 有 {len(exc.problems)} 处问题: {lines}{more}",
            "按提示改正名册后重新运行",
        )
    except Exception as exc:  # not a spreadsheet, unreadable, ...
        return Check(
            "单位名册",
            False,
            f"{path} 无法读取: {type(exc).__name__}: {exc}",
            "确认名册是可以打开的 xlsx 或 UTF-8 csv 文件",
        )
    expected = int(roster["expected"].sum())
    return Check("单位名册", True, f"{path}: {len(roster)} 个单位，本轮应报 {expected} 个")


def _optional_tool(label: str, names: tuple[str, ...], purpose: str, fix: str) -> Check:
    for name in names:
        found = shutil.which(name)
        if found:
            return Check(label, True, f"{found}（{purpose}）", optional=True)
    return Check(label, True, f"未找到 {' / '.join(names)}（可选: {purpose}）", fix, optional=True)


def run_doctor(config_path: str | None) -> list[Check]:
    """Every check, in order; problems are reported in the checks, never raised."""
    checks = [_python(), _dependencies()]
    config, config_check = _config(config_path)
    kernel = config.report.kernel if config is not None else DEFAULT_KERNEL
    checks += [kernel_check(kernel), font_check(), config_check]
    if config is not None:
        checks += _folders(config)
        checks.append(_roster(config))
    checks.append(
        _optional_tool(
            "Chromium",
            ("chromium", "chromium-browser", "google-chrome"),
            "浏览器测试：检查 HTML 报告在浏览器中的显示",
            "sudo apt-get install chromium",
        )
    )
    checks.append(
        _optional_tool(
            "LibreOffice",
            ("soffice", "libreoffice"),
            "检查生成的报表模板能否在 LibreOffice 中打开",
            "sudo apt-get install libreoffice-calc-nogui",
        )
    )
    return checks


def print_report(checks: list[Check]) -> None:
    """Print the checks, then a one-line verdict."""
    for c in checks:
        mark = "✓" if c.ok and not (c.optional and c.fix) else ("·" if c.optional else "✗")
        print(f"{mark} {c.name}: {c.detail}")
        if c.fix and (not c.ok or c.optional):
            print(f"    解决办法: {c.fix}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        print(
            f"\n有 {len(failed)} 项检查未通过: {'、'.join(failed)}。"
            "按上面的解决办法处理后再运行 scorecard doctor。"
        )
    else:
        print("\n环境检查全部通过。")


__all__ = ["Check", "print_report", "run_doctor"]
