"""Finding a CJK font at run time so Chinese chart text never becomes empty boxes.

`find_cjk_fonts()` lists the installed font families matplotlib can use for
Chinese, best first; `configure_cjk_font()` puts exactly those families into
``rcParams`` (only installed ones: a family that is not installed makes
matplotlib log a findfont line on every draw) and switches to an ASCII minus
sign, which every CJK font has. With no CJK font installed it raises
`NoCJKFontError`, whose message says how to install one.

Matplotlib caches its font list (``fontlist-*.json``) the first time it runs;
a font installed afterwards is invisible until the list is rebuilt, so when
nothing is found the list is rebuilt once before giving up.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib
from matplotlib import font_manager

log = logging.getLogger(__name__)

PREFERRED: tuple[str, ...] = (
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Sarasa Gothic SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Microsoft JhengHei",
    "SimSun",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
)
"""Families known to cover simplified Chinese, in order of preference (sans first)."""

_MARKERS: tuple[str, ...] = ("CJK", "Han Sans", "Han Serif", "WenQuanYi", "YaHei", "Hei", "Song", "Kai", "Ming", "PingFang", "Sarasa")

_TEST_TEXT = "全区单位进展不平衡基础较薄弱主题不鲜明认识不够深"


class NoCJKFontError(RuntimeError):
    """No installed font can draw Chinese; charts would show empty boxes."""

    def __init__(self) -> None:
        self.fix = "sudo apt-get install fonts-noto-cjk"
        super().__init__(
            "未找到可用的中文字体，图表中的中文会显示为方框。"
            f"请安装中文字体（Debian/Ubuntu: {self.fix}；Windows 自带“微软雅黑”；"
            "macOS 自带“苹方”），然后重新运行。\n"
            "No CJK font is installed that matplotlib can use, so Chinese text would be "
            f"drawn as empty boxes. Install one (e.g. `{self.fix}`) and run again."
        )


def _installed_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _covers_chinese(family: str) -> bool:
    """True when the family's file has glyphs for common Chinese characters."""
    try:
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
        font = font_manager.get_font(path)
        cmap = font.get_charmap()
    except Exception:  # unreadable font file: not usable
        return False
    return all(ord(ch) in cmap for ch in _TEST_TEXT)


def _candidates(installed: set[str]) -> list[str]:
    found = [f for f in PREFERRED if f in installed]
    others = sorted(
        f for f in installed
        if f not in found and any(m.lower() in f.lower() for m in _MARKERS)
    )
    # sans before serif/mono: a chart reads better in a sans face
    others.sort(key=lambda f: ("Serif" in f or "Mono" in f or "Song" in f or "Ming" in f))
    return [f for f in found + others if _covers_chinese(f)]


def _rebuild_font_list() -> None:
    """Rescan the system fonts into matplotlib's existing font manager (in place:
    other matplotlib modules hold references to it) and rewrite its cache file."""
    log.info("未找到中文字体，重新扫描系统字体 (rebuilding matplotlib's font list)")
    fm = font_manager.fontManager
    fm.__dict__.update(font_manager.FontManager().__dict__)
    for cached in (getattr(font_manager.FontManager, "_findfont_cached", None),
                   getattr(font_manager, "_get_font", None)):
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()
    try:
        path = Path(matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json")
        font_manager.json_dump(fm, path)
    except Exception as exc:  # a read-only cache folder: the rebuilt list still serves this process
        log.debug("could not write the font cache: %s", exc)


def find_cjk_fonts() -> list[str]:
    """Installed CJK font families matplotlib can use, best first (empty if none)."""
    found = _candidates(_installed_families())
    if not found:
        _rebuild_font_list()
        found = _candidates(_installed_families())
    return found


def configure_cjk_font() -> str:
    """Use the installed CJK fonts for all text; return the primary family.

    Sets ``font.family`` to sans-serif, ``font.sans-serif`` to the installed CJK
    families followed by DejaVu Sans (for Latin glyphs the CJK face lacks) and
    ``axes.unicode_minus`` to False. Raises `NoCJKFontError` when none is installed.
    """
    families = find_cjk_fonts()
    if not families:
        raise NoCJKFontError()
    installed = _installed_families()
    tail = [f for f in ("DejaVu Sans",) if f in installed]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = families + tail
    matplotlib.rcParams["axes.unicode_minus"] = False
    return families[0]
