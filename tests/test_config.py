"""The configuration loader: the repo file loads, a bad file names the key and the problem."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import (
    WEAKNESS_LABELS,
    WEAKNESSES,
    Config,
    ConfigError,
    UnknownRoundError,
    load_config,
)

REPO = Path(__file__).resolve().parents[1]
REPO_CONFIG = REPO / "scorecard.toml"
TEXT = REPO_CONFIG.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "scorecard.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.problems, "a ConfigError lists its problems"
    assert str(path.resolve()) in str(err) or err.path == path.resolve()
    return {p.key: p.message for p in err.problems}


def test_repo_config_loads() -> None:
    config = load_config(REPO_CONFIG)
    assert isinstance(config, Config)
    assert config.source == REPO_CONFIG.resolve()
    assert [r.id for r in config.rounds_in_order()] == ["2026-07", "2026-08"]
    r = config.round("2026-07")
    assert r.as_of <= r.deadline <= r.inspection
    assert config.previous_round("2026-08").id == "2026-07"
    assert config.previous_round("2026-07") is None
    assert config.campaign.start == date(2026, 5, 1)
    assert {s.id for s in config.campaign.stages} >= {r.stage for r in config.rounds}
    assert set(config.scoring.weights.as_dict()) == set(WEAKNESSES) == set(WEAKNESS_LABELS)
    assert set(config.scoring.thresholds.as_dict()) == set(WEAKNESSES)


def test_unknown_round_names_known_ones() -> None:
    config = load_config(REPO_CONFIG)
    with pytest.raises(UnknownRoundError) as info:
        config.round("2099-01")
    assert "2026-07" in str(info.value)


def test_paths_are_resolved_relative_to_the_config_file(tmp_path: Path, monkeypatch) -> None:
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    path = write(sub, TEXT)
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    config = load_config(path)
    assert config.paths.roster == sub / "data" / "roster.xlsx"
    assert config.paths.raw == sub / "data" / "raw"
    assert config.paths.processed_round("2026-07") == sub / "data" / "processed" / "2026-07"
    assert config.paths.reports_round("2026-08") == sub / "reports" / "2026-08"
    assert config.paths.raw_round("2026-07") == sub / "data" / "raw" / "2026-07"


def test_absolute_paths_stay(tmp_path: Path) -> None:
    text = TEXT.replace('raw = "data/raw"', f'raw = "{tmp_path / "inbox"}"')
    config = load_config(write(tmp_path, text))
    assert config.paths.raw == tmp_path / "inbox"


def test_default_is_scorecard_toml_in_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, TEXT)
    monkeypatch.chdir(tmp_path)
    assert load_config().source == (tmp_path / "scorecard.toml").resolve()


def test_config_is_frozen() -> None:
    config = load_config(REPO_CONFIG)
    with pytest.raises(Exception, match="frozen"):
        config.paths = config.paths  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        config.scoring.weights.weak_basics = 1.0  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        config.rounds[0].deadline = date(2026, 1, 1)  # type: ignore[misc]
    assert isinstance(config.rounds, tuple)


def test_missing_file(tmp_path: Path) -> None:
    found = problems(tmp_path / "nope.toml")
    assert list(found) == ["(file)"]
    assert "不存在" in found["(file)"]


def test_toml_syntax_error(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT + "\n[scoring\npeer_min = 3\n"))
    assert list(found) == ["(syntax)"]
    assert "TOML" in found["(syntax)"]
    assert "line" in found["(syntax)"]  # tomllib says where


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_bytes(TEXT.encode("gb18030"))
    assert "(file)" in problems(path)


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    text = TEXT.replace("peer_min = 5 ", 'peer_min = "five" ').replace(
        "deadline = 2026-07-18", 'deadline = "July 18"'
    )
    found = problems(write(tmp_path, text))
    assert set(found) == {"scoring.peer_min", "rounds[0].deadline"}  # every problem at once
    assert "整数" in found["scoring.peer_min"] and "five" in found["scoring.peer_min"]
    assert "日期" in found["rounds[0].deadline"]


def test_out_of_range(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT.replace("runs = 500", "runs = 3")))
    assert "≥ 10" in found["scoring.uncertainty.runs"]


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    text = TEXT.replace("[ingest]\n", "[ingest]\nmax_file_size = 10\n").replace(
        "[notice]", "[notice]\nbottom_per_typ = 3"
    )
    found = problems(write(tmp_path, text))
    assert set(found) == {"ingest.max_file_size", "notice.bottom_per_typ"}
    assert all("未知" in m for m in found.values())


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT + "\n[reprot]\njobs = 2\n"))
    assert "reprot" in found


def test_missing_required_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT.replace('processed = "data/processed"', "")))
    assert "缺少" in found["paths.processed"]


def test_deadline_before_as_of(tmp_path: Path) -> None:
    found = problems(
        write(tmp_path, TEXT.replace("deadline = 2026-08-28", "deadline = 2026-08-20"))
    )
    assert list(found) == ["rounds[1].deadline"]
    assert "2026-08-20" in found["rounds[1].deadline"] and "as_of" in found["rounds[1].deadline"]


def test_duplicate_round_ids(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT.replace('id = "2026-08"', 'id = "2026-07"')))
    assert list(found) == ["rounds[1].id"]
    assert "2026-07" in found["rounds[1].id"] and "重复" in found["rounds[1].id"]


def test_unknown_stage(tmp_path: Path) -> None:
    text = TEXT.replace(
        'name = "8月检查"\nstage = "第二阶段"', 'name = "8月检查"\nstage = "第四阶段"'
    )
    found = problems(write(tmp_path, text))
    assert list(found) == ["rounds[1].stage"]
    assert "第四阶段" in found["rounds[1].stage"] and "第一阶段" in found["rounds[1].stage"]


def test_bad_round_id(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT.replace('id = "2026-08"', 'id = "2026/08"')))
    assert "rounds[1].id" in found


def test_stage_end_before_start(tmp_path: Path) -> None:
    found = problems(write(tmp_path, TEXT.replace("end = 2026-06-15", "end = 2026-04-15")))
    assert list(found) == ["campaign.stages[0].end"]


def test_all_weights_zero(tmp_path: Path) -> None:
    data = tomllib.loads(TEXT)
    text = TEXT
    for w in data["scoring"]["weights"]:
        text = text.replace(f"{w} = 0.25", f"{w} = 0")
    found = problems(write(tmp_path, text))
    assert list(found) == ["scoring.weights"]


def test_nothing_computed_at_import_time(tmp_path: Path) -> None:
    """Importing the package in a folder without any config reads no file and fixes no path."""
    code = (
        "import pipeline.config as c, pipeline.form as f, pipeline.roster, pipeline.cli, "
        "pipeline.templates, pipeline.doctor\n"
        "from pathlib import Path\n"
        "bad = [k for k, v in vars(c).items() if isinstance(v, (Path, c.Config))]\n"
        "assert not bad, bad\n"
        "assert f.load_form.cache_info().currsize == 0\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith(".") for p in tmp_path.iterdir())


# --- scoring: every weight, scale and threshold of the scorer is a config key ---------------


def test_scoring_keys_load_with_their_documented_defaults() -> None:
    from pipeline.config import Scoring

    sc = load_config(REPO_CONFIG).scoring
    # the file states every default explicitly: it equals the models' defaults
    assert sc == Scoring(slogans=sc.slogans)
    assert sc.progress.weights.as_dict() == {"shortfall": 0.7, "lag": 0.3}
    assert (sc.progress.shortfall_full, sc.progress.lag_full) == (0.5, 0.5)
    assert sc.basics.weights.as_dict() == {
        "coverage": 0.2,
        "quality": 0.4,
        "variety": 0.2,
        "publicity": 0.2,
    }
    assert (sc.basics.quality_full, sc.basics.formats_full, sc.basics.publicity_full) == (
        0.5,
        4,
        0.5,
    )
    assert sc.theme.weights.as_dict() == {"distinct": 0.5, "keyword": 0.25, "target": 0.25}
    assert (
        sc.theme.min_chars,
        sc.theme.exact_max,
        sc.theme.candidate_max_df,
        sc.theme.candidates,
    ) == (4, 20_000, 0.02, 50)
    assert sc.understanding.weights.as_dict() == {
        "bunching": 0.4,
        "spread": 0.2,
        "tied": 0.2,
        "late": 0.2,
    }
    assert sc.understanding.bunching_full == 0.5
    assert (
        sc.explain.similar_cosine,
        sc.explain.poor_quality,
        sc.explain.plenty_copies,
        sc.explain.max_facts,
    ) == (0.5, 0.5, 2, 4)
    u = sc.uncertainty
    assert (u.max_cells, u.normalisations, u.aggregations) == (
        50_000_000,
        ("fixed", "minmax", "rank"),
        ("arithmetic", "geometric"),
    )
    assert (u.outlier_skew, u.outlier_kurtosis, u.winsorise_max_points) == (2.0, 3.5, 5)


def test_index_weights_are_normalised_exactly() -> None:
    from pipeline.config import BasicsWeights, ProgressWeights, ThemeWeights, UnderstandingWeights

    for model in (ProgressWeights(), BasicsWeights(), ThemeWeights(), UnderstandingWeights()):
        assert model.normalised() == model.as_dict()  # the defaults sum to 1: used as written
    assert ProgressWeights(shortfall=7, lag=3).normalised() == {"shortfall": 0.7, "lag": 0.3}


def test_every_scoring_key_has_a_comment() -> None:
    section = ""
    bare = []
    for line in TEXT.splitlines():
        if line.startswith("["):
            section = line.split("]")[0] + "]"
        elif section.startswith("[scoring") and "=" in line.split("#")[0] and "#" not in line:
            bare.append(f"{section} {line.strip()}")
    assert not bare


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("lag = 0.3 ", "lag = -0.3 ", "scoring.progress.weights.lag", "≥ 0"),
        ("shortfall_full = 0.5 ", "shortfall_full = 0 ", "scoring.progress.shortfall_full", "> 0"),
        ("formats_full = 4 ", "formats_full = 1 ", "scoring.basics.formats_full", "≥ 2"),
        ("publicity_full = 0.5 ", "publicity_full = 1.5 ", "scoring.basics.publicity_full", "≤ 1"),
        ("min_chars = 4 ", 'min_chars = "four" ', "scoring.theme.min_chars", "整数"),
        ("candidates = 50 ", "candidates = 0 ", "scoring.theme.candidates", "≥ 1"),
        (
            "bunching_full = 0.5 ",
            "bunching_full = 2 ",
            "scoring.understanding.bunching_full",
            "≤ 1",
        ),
        ("similar_cosine = 0.5 ", "similar_cosine = 0 ", "scoring.explain.similar_cosine", "> 0"),
        ("max_facts = 4 ", "max_facts = 0 ", "scoring.explain.max_facts", "≥ 1"),
        ("max_cells = 50000000 ", "max_cells = 0 ", "scoring.uncertainty.max_cells", "≥ 1"),
        (
            'normalisations = ["fixed", "minmax", "rank"]',
            'normalisations = ["fixed", "zscore"]',
            "scoring.uncertainty.normalisations[1]",
            "minmax",
        ),
        (
            'aggregations = ["arithmetic", "geometric"]',
            "aggregations = []",
            "scoring.uncertainty.aggregations",
            "至少",
        ),
        (
            'aggregations = ["arithmetic", "geometric"]',
            'aggregations = ["geometric", "geometric"]',
            "scoring.uncertainty.aggregations",
            "重复",
        ),
        (
            "winsorise_max_points = 5 ",
            "winsorise_max_points = -1 ",
            "scoring.uncertainty.winsorise_max_points",
            "≥ 0",
        ),
    ],
)
def test_bad_scoring_value_names_the_key(
    tmp_path: Path, old: str, new: str, key: str, words: str
) -> None:
    assert TEXT.count(old) == 1, old
    found = problems(write(tmp_path, TEXT.replace(old, new)))
    assert list(found) == [key]
    assert words in found[key]


def test_unknown_key_in_an_index_table_is_refused(tmp_path: Path) -> None:
    text = TEXT.replace("[scoring.theme.weights]\n", "[scoring.theme.weights]\nslogan = 0.1\n")
    found = problems(write(tmp_path, text))
    assert list(found) == ["scoring.theme.weights.slogan"]


@pytest.mark.parametrize("index", ["progress", "basics", "theme", "understanding"])
def test_all_index_weights_zero(tmp_path: Path, index: str) -> None:
    weights = tomllib.loads(TEXT)["scoring"][index]["weights"]
    head = f"[scoring.{index}.weights]\n"
    start = TEXT.index(head) + len(head)
    end = TEXT.index("\n\n", start)
    block = "".join(f"{k} = 0\n" for k in weights)
    found = problems(write(tmp_path, TEXT[:start] + block + TEXT[end + 1 :]))
    assert list(found) == [f"scoring.{index}.weights"]
    assert "0" in found[f"scoring.{index}.weights"]


def test_demo_config_is_the_repository_config_with_its_own_paths() -> None:
    """The demo writes the repository's scorecard.toml: only [paths] differs; no second copy."""
    from pipeline.demo import settings

    assert not list(
        (REPO / "pipeline" / "demo").glob("*.toml")
    )  # no restated defaults in the package
    written, repo = tomllib.loads(settings.scorecard_text()), tomllib.loads(TEXT)
    assert written.pop("paths") == settings.DEMO_PATHS
    repo.pop("paths")
    assert written == repo
    a, b = load_config(REPO_CONFIG), settings.default_config(REPO)
    assert (a.campaign, a.rounds, a.scoring, a.ingest, a.act) == (
        b.campaign,
        b.rounds,
        b.scoring,
        b.ingest,
        b.act,
    )


def test_a_default_changed_in_scorecard_toml_reaches_the_demo(tmp_path: Path, monkeypatch) -> None:
    from pipeline.demo import settings

    changed = TEXT.replace("name_match_cutoff = 80", "name_match_cutoff = 77", 1)
    assert changed != TEXT
    monkeypatch.setattr(settings, "CHECKOUT_CONFIG", write(tmp_path, changed))
    assert settings.default_config(tmp_path).ingest.name_match_cutoff == 77
    assert "name_match_cutoff = 77" in settings.scorecard_text()


def test_methodology_lists_every_scoring_key_with_its_default() -> None:
    """docs/methodology.md says where each default lives; it must match the models."""
    from pydantic import BaseModel

    from pipeline.config import Act, Notice, Scoring

    rows = {}
    for line in (REPO / "docs" / "methodology.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0].strip("`")] = cells[1]

    def leaves(model: BaseModel, prefix: str):
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                yield from leaves(value, f"{prefix}.{name}")
            else:
                yield f"{prefix}.{name}", value

    missing, wrong = [], []
    for key, value in [
        *leaves(Scoring(), "scoring"),
        *leaves(Notice(), "notice"),
        *leaves(Act(), "act"),
    ]:
        section, _, last = key.rpartition(".")
        row = key if key in rows else f"{section}.<weakness>" if last in WEAKNESSES else None
        if row not in rows:
            missing.append(key)
        elif key == "scoring.slogans":
            continue
        elif isinstance(value, bool):
            if rows[row] != str(value).lower():
                wrong.append(key)
        elif isinstance(value, tuple):
            if rows[row] != ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value):
                wrong.append(key)
        elif float(rows[row].split()[0]) != float(value):
            wrong.append(key)
    assert not missing and not wrong, (missing, wrong)


def test_batch_scheduler_from_config(tmp_path) -> None:
    from pipeline.config import ConfigError, load_config

    text = (REPO / "scorecard.toml").read_text(encoding="utf-8")
    assert load_config(REPO / "scorecard.toml").batch.scheduler == ""
    good = tmp_path / "good.toml"
    good.write_text(
        text.replace('scheduler = ""', 'scheduler = "tcp://127.0.0.1:8786"'), encoding="utf-8"
    )
    assert load_config(good).batch.scheduler == "tcp://127.0.0.1:8786"
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('scheduler = ""', 'scheduler = "127.0.0.1:8786"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert any(p.key == "batch.scheduler" for p in err.value.problems)
