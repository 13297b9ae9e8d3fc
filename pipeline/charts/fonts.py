"""Choosing a CJK font at run time so Chinese chart text never becomes empty boxes.

`find_cjk_fonts()` lists the installed (system) font families matplotlib can
use for Chinese, best first. `choose_cjk_font()` prefers one of those (a
system font such as Microsoft YaHei or Noto Sans CJK looks native) and falls
back to Noto Sans SC, which ships with the package dependency
``pylopdf-fonts-zh-cn`` (SIL Open Font License) and is registered with
``font_manager.addfont``: a fresh machine with no system CJK font still draws
Chinese. `configure_cjk_font()` puts the choice into ``rcParams`` and switches
to an ASCII minus sign, which every CJK font has. Only when even the packaged
font is unusable (a broken install) does it raise `NoCJKFontError`.

Matplotlib caches its font list (``fontlist-*.json``) the first time it runs;
a font installed afterwards is invisible until the list is rebuilt, so when
no system font is found the list is rebuilt once before falling back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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

_MARKERS: tuple[str, ...] = (
    "CJK",
    "Han Sans",
    "Han Serif",
    "WenQuanYi",
    "YaHei",
    "Hei",
    "Song",
    "Kai",
    "Ming",
    "PingFang",
    "Sarasa",
)

_TEST_TEXT = "全区单位进展不平衡基础较薄弱主题不鲜明认识不够深"


class NoCJKFontError(RuntimeError):
    """No font can draw Chinese, not even the packaged one; charts would show empty boxes."""

    def __init__(self, detail: str = "") -> None:
        self.fix = "重新安装项目依赖：make install（或 pip install pylopdf-fonts-zh-cn）"
        self.detail = detail
        super().__init__(
            "找不到可用的中文字体（随软件安装的思源黑体 Noto Sans SC 也无法加载"
            + (f"：{detail}" if detail else "")
            + f"），图表中的中文会显示为方框。请{self.fix}，然后重新运行。"
        )


@dataclass(frozen=True)
class FontChoice:
    """The CJK font charts use: its family, its file, and where it comes from."""

    family: str
    path: str
    source: str  # "system" (installed on this machine) or "packaged" (shipped with the package)

    @property
    def source_label(self) -> str:
        return "系统字体" if self.source == "system" else "随软件安装的字体"


def packaged_font_path() -> Path:
    """The Noto Sans SC file shipped by the ``pylopdf-fonts-zh-cn`` dependency."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


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


def has_bold(family: str) -> bool:
    """True when the family has a bold face (the packaged Noto Sans SC has only Regular)."""
    weights = font_manager.weight_dict
    return any(
        f.name == family
        and (f.weight if isinstance(f.weight, int) else weights.get(f.weight, 400)) >= 600
        for f in font_manager.fontManager.ttflist
    )


def _candidates(installed: set[str]) -> list[str]:
    found = [f for f in PREFERRED if f in installed]
    others = sorted(
        f for f in installed if f not in found and any(m.lower() in f.lower() for m in _MARKERS)
    )
    # sans before serif/mono: a chart reads better in a sans face
    others.sort(key=lambda f: "Serif" in f or "Mono" in f or "Song" in f or "Ming" in f)
    return [f for f in found + others if _covers_chinese(f)]


_rebuilt = False


def _rebuild_font_list() -> None:
    """Rescan the system fonts into matplotlib's existing font manager (in place:
    other matplotlib modules hold references to it) and rewrite its cache file.

    Once per process: a second rescan would find nothing new and would drop the
    packaged font registered with ``addfont``.
    """
    global _rebuilt
    if _rebuilt:
        return
    _rebuilt = True
    log.debug("no system CJK font in matplotlib's font list: rescanning the system fonts once")
    fm = font_manager.fontManager
    fm.__dict__.update(font_manager.FontManager().__dict__)
    for cached in (
        getattr(font_manager.FontManager, "_findfont_cached", None),
        getattr(font_manager, "_get_font", None),
    ):
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()
    try:
        path = Path(
            matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json"
        )
        font_manager.json_dump(fm, path)
    except Exception as exc:  # a read-only cache folder: the rebuilt list still serves this process
        log.debug("could not write the font cache: %s", exc)


def _is_packaged(path: str) -> bool:
    try:
        return Path(path).resolve().parent == packaged_font_path().resolve().parent
    except Exception:  # the package is missing: nothing can be packaged
        return False


def _path_of(family: str) -> str:
    # str(): newer matplotlib returns a FontPath (file and face index)
    return str(
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    )


def find_cjk_fonts() -> list[str]:
    """Installed system CJK font families matplotlib can use, best first (empty if none).

    The packaged fallback is not listed even after it has been registered.
    """

    def system() -> list[str]:
        return [f for f in _candidates(_installed_families()) if not _is_packaged(_path_of(f))]

    found = system()
    if not found:
        _rebuild_font_list()
        found = system()
    return found


def register_packaged_font() -> FontChoice:
    """Register the packaged Noto Sans SC with matplotlib (idempotent) and return it."""
    try:
        path = packaged_font_path()
        if not path.is_file():
            raise FileNotFoundError(str(path))
        family = font_manager.FontProperties(fname=str(path)).get_name()
        if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(str(path))
            cached = getattr(font_manager.FontManager, "_findfont_cached", None)
            if cached is not None and hasattr(cached, "cache_clear"):
                cached.cache_clear()
    except Exception as exc:
        raise NoCJKFontError(f"{type(exc).__name__}: {exc}") from exc
    if not _covers_chinese(family):
        raise NoCJKFontError(f"{path} 缺少常用汉字")
    return FontChoice(family, str(path), "packaged")


def _choice(families: list[str]) -> FontChoice:
    if families:
        return FontChoice(families[0], _path_of(families[0]), "system")
    return register_packaged_font()


def choose_cjk_font(prefer_system: bool = True) -> FontChoice:
    """The font charts should use: the best installed system CJK font, else the packaged one."""
    return _choice(find_cjk_fonts() if prefer_system else [])


def configure_cjk_font(prefer_system: bool = True) -> str:
    """Use a CJK font for all chart text; return its family.

    Sets ``font.family`` to sans-serif, ``font.sans-serif`` to the chosen family
    (plus the other installed CJK families, then DejaVu Sans for Latin glyphs a
    CJK face lacks) and ``axes.unicode_minus`` to False. Raises `NoCJKFontError`
    only when not even the packaged font can be loaded.
    """
    system = find_cjk_fonts() if prefer_system else []
    choice = _choice(system)
    installed = _installed_families()
    families = [choice.family] + [f for f in system if f != choice.family]
    tail = [f for f in ("DejaVu Sans",) if f in installed]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = families + tail
    matplotlib.rcParams["axes.unicode_minus"] = False
    return choice.family


WEB_FONTS: tuple[str, ...] = (
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
)
"""Chinese sans families a reader's browser likely has (Windows, macOS, Linux, the
packaged Noto Sans SC): the CSS stack of SVG chart text, after the chart's own font."""


def web_font_stack(first: str) -> str:
    """A CSS font-family list: `first` (the font the chart was laid out with), then
    `WEB_FONTS`, then the generic sans-serif."""
    names = dict.fromkeys([first, *WEB_FONTS])
    safe = [n for n in names if n and not set(n) & set("'\"<>&;{}")]
    return ", ".join([*(f"'{n}'" for n in safe), "sans-serif"])
