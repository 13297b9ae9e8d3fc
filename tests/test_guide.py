"""The Chinese guide shows every point of the analyst's work, and the README points to it."""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]
GUIDE = (REPO / "docs" / "使用说明.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_guide_names_every_command():
    for name in COMMANDS:
        assert f"scorecard {name}" in GUIDE, name


def test_guide_shows_each_output_and_rule():
    for word in (
        "临时结果",
        "一页简报",
        "辖区情况",
        "各轮变化",
        "四项不足逐轮变化",
        "--carry-over",
        "round add",
        "explore.ipynb",
        "make lab",
        "北京时间",
        "泰尔指数",
        "稳健z值",
        "填报差错",
        "需核实",
        "评分方法",
    ):
        assert word in GUIDE, word


def test_readme_is_short_and_points_to_the_guides():
    assert "docs/使用说明.md" in README and "docs/operations.md" in README
    assert "systemd" not in README and "dask-scheduler" not in README.lower()
    assert (REPO / "docs" / "operations.md").is_file()
