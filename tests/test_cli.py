"""The command line: every command has --help, and every command is documented in the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS, EXIT_OK, EXIT_USAGE, build_parser, main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return int(info.value.code or 0), capsys.readouterr().out


def test_top_level_help(capsys) -> None:
    code, out = run_main(["--help"], capsys)
    assert code == EXIT_OK
    assert "scorecard" in out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys) -> None:
    code, out = run_main([command, "--help"], capsys)
    assert code == EXIT_OK
    assert COMMANDS[command] in out  # the Chinese one-line description


def test_parser_knows_exactly_the_documented_commands() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub.choices) == set(COMMANDS)


def test_unknown_command_is_a_usage_error(capsys) -> None:
    code, _ = run_main(["frobnicate"], capsys)
    assert code == EXIT_USAGE


def test_missing_config_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code = main(["--config", str(tmp_path / "none.toml"), "template", "--round", "2026-07"])
    assert code == EXIT_USAGE
    assert "不存在" in capsys.readouterr().err


def test_unknown_round_is_a_usage_error(capsys) -> None:
    code = main(["--config", str(REPO / "scorecard.toml"), "template", "--round", "2099-01"])
    assert code == EXIT_USAGE
    assert "2026-07" in capsys.readouterr().err


def test_python_dash_m_pipeline() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: scorecard" in proc.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented_in_readme(command: str) -> None:
    assert re.search(rf"\bscorecard {command}\b", README), (
        f"README.md does not show `scorecard {command}`"
    )


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```[a-z]*\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [
        line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()
    ]
    assert commands == ["make demo", "make test"]
    assert README.index("```") < README.index("\n## ")  # before any section


def test_readme_documents_exit_codes() -> None:
    for code in (0, 1, 2, 3, 4):
        assert re.search(rf"\|\s*`?{code}`?\s*\|", README), f"exit code {code} missing from README"
