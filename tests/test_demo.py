"""The demo district generator: determinism, roster, messiness coverage, truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import WEAKNESSES, load_config
from pipeline.demo import MESSINESS, DemoSizeError, generate_demo, generate_tables
from pipeline.form import load_form
from pipeline.roster import load_roster

SMALL = 20


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-small")
    generate_demo(config=None, out_dir=out, seed=11, n_units=SMALL)
    return out


def _digest(folder: Path) -> dict[str, tuple[str, float]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime,
            )
    return out


def test_deterministic(small: Path, tmp_path: Path) -> None:
    generate_demo(config=None, out_dir=tmp_path, seed=11, n_units=SMALL)
    a, b = _digest(small), _digest(tmp_path)
    assert a.keys() == b.keys()
    raw = [k for k in a if k.startswith("raw/")]
    assert raw
    for k in a:
        if k == "scorecard.toml":
            continue
        assert a[k][0] == b[k][0], f"{k} differs between two runs with the same seed"
    for k in raw:
        assert a[k][1] == b[k][1]


def test_config_and_roster(small: Path) -> None:
    config = load_config(small / "scorecard.toml")
    assert config.paths.roster == (small / "roster.xlsx").resolve()
    assert [r.id for r in config.rounds_in_order()] == ["2026-07", "2026-08"]
    assert config.round("2026-07").name == "7月调研"
    roster = load_roster(small / "roster.xlsx")
    assert len(roster) == SMALL
    assert set(roster["unit_type"]) == {"街道", "社区", "镇", "村", "区级部门", "企业"}
    assert (~roster["expected"]).sum() >= 1
    assert all(len(k) >= 1 for k in roster["keywords"])
    town = roster[roster["unit_name"] == "格里坪镇"].iloc[0]
    assert {"格里镇", "格里坪"} <= set(town["aliases"])
    villages = roster[roster["parent_id"] == town["unit_id"]]["unit_name"]
    assert "苦荞村" in set(villages)


def test_default_roster_names_review_units(tmp_path: Path) -> None:
    tables = generate_tables(200, seed=3)
    names = set(tables["units"]["unit_name"])
    for name in (
        "河门口街道",
        "太平社区",
        "格里坪镇",
        "格里坪村",
        "金家村",
        "苦荞村",
        "新庄村",
        "大水井村",
        "庄上村",
        "区检察院",
        "区委政法委",
        "区经济商务局",
        "太平矿",
    ):
        assert name in names


def test_messiness_covered(small: Path) -> None:
    seen: dict[str, int] = {t: 0 for t in MESSINESS}
    for rid in ("2026-07", "2026-08"):
        files = pd.read_parquet(small / "truth" / rid / "files.parquet")
        labels = pd.read_parquet(small / "truth" / rid / "labels.parquet")
        for tags in files["tags"]:
            for t in tags:
                if t in seen:
                    seen[t] += 1
        seen["not_sent"] += int((labels["expected"] & ~labels["submits"]).sum())
        # every file named in the truth is on disk, and nothing else is
        # (the residents' survey folder has its own truth: survey_units/survey_rows.parquet)
        on_disk = {p.name for p in (small / "raw" / rid).iterdir() if p.name != "survey"}
        assert on_disk == set(files["file"])
    assert [t for t, c in seen.items() if c == 0] == []


def test_truth_consistent(small: Path) -> None:
    form = load_form()
    config = load_config(small / "scorecard.toml")
    for rnd in config.rounds_in_order():
        t = small / "truth" / rnd.id
        files = pd.read_parquet(t / "files.parquet")
        labels = pd.read_parquet(t / "labels.parquet")
        rows = pd.read_parquet(t / "rows.parquet")
        meta = json.loads((t / "truth.json").read_text(encoding="utf-8"))
        assert meta["seed"] == 11 and meta["round"] == rnd.id
        assert set(files["expected_status"]) <= {"accepted", "superseded", "rejected", "ignored"}
        # one accepted file per submitting unit, and it speaks for that unit
        acc = files[files["expected_status"] == "accepted"]
        assert acc["expected_unit_id"].is_unique
        assert set(acc["expected_unit_id"]) == set(labels.loc[labels["submitted"], "unit_id"])
        sup = files[files["expected_status"] == "superseded"]
        assert set(sup["superseded_by"]) <= set(acc["file"])
        for _, s in sup.iterrows():
            later = files.set_index("file").loc[s["superseded_by"], "received_at"]
            assert later > s["received_at"]
        # the written names match the roster as the truth says
        from pipeline.roster import build_name_index, load_roster, match_unit

        index = build_name_index(load_roster(small / "roster.xlsx"))
        named = files[files["written_name"].notna()]
        for _, f in named.iterrows():
            m = match_unit(f["written_name"], index)
            if f["expected_match"] == "unmatched":
                assert m.unit_id is None and m.how in ("near_miss", "none"), f["written_name"]
            else:
                assert m.how == f["expected_match"], f["written_name"]
                assert m.unit_id == f["expected_unit_id"]
        # a file is never received before the day it is dated (unless that is its planted mistake)
        planted = pd.read_parquet(t / "planted_errors.parquet")
        misdated = set(planted.loc[planted["code"] == "report_date_after_receipt", "file"])
        dated = files[files["report_date"].notna() & ~files["file"].isin(misdated)]
        local_day = (
            dated["received_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None).dt.normalize()
        )
        assert (local_day >= dated["report_date"]).all()
        # mtimes are the received times
        for _, f in files.iterrows():
            mtime = (small / "raw" / rnd.id / f["file"]).stat().st_mtime
            assert mtime == pytest.approx(f["received_at"].timestamp())
        # row counts match the value tables
        used = files[files["expected_status"].isin(["accepted", "superseded"])]["file"]
        for table in ("info", "actions", "materials", "activities", "evaluation"):
            vals = pd.read_parquet(t / f"{table}.parquet")
            assert set(vals["file"]) <= set(used)
            sheet = form.sheet(table)
            keys = [c.key for c in sheet.columns]
            assert list(vals.columns) == ["unit_id", "file", "data_row", *keys]
            counts = vals.groupby("file").size()
            r = rows[rows["table"] == table].set_index("file")["rows"]
            for f, n in counts.items():
                assert int(r.loc[f]) == n
        info = pd.read_parquet(t / "info.parquet")
        assert set(info["file"]) == set(used)
        assert str(info["report_date"].dtype) == "datetime64[ms]"
        # planted errors point at existing rows
        errs = pd.read_parquet(t / "planted_errors.parquet")
        for _, e in errs.iterrows():
            r = rows[(rows["file"] == e["file"]) & (rows["table"] == e["table"])]["rows"]
            assert pd.isna(e["data_row"]) or 0 <= e["data_row"] < int(
                r.iloc[0]
            )  # empty: a row left out
        # labels: the four weaknesses with severities in [0.5, 1] when planted
        for w in WEAKNESSES:
            p = labels[f"{w}_planted"]
            sev = labels[f"{w}_severity"]
            assert ((sev[p] >= 0.5) & (sev[p] <= 1)).all()
            assert (sev[~p] == 0).all()
        assert set(labels["reporting"]) <= {
            "on_time",
            "late",
            "received_unusable",
            "missing",
            "not_expected",
        }


def test_rounds_change(small: Path) -> None:
    a = pd.read_parquet(small / "truth" / "2026-07" / "labels.parquet").set_index("unit_id")
    b = pd.read_parquet(small / "truth" / "2026-08" / "labels.parquet").set_index("unit_id")
    before = np.concatenate([a[f"{w}_planted"].to_numpy() for w in WEAKNESSES])
    after = np.concatenate([b[f"{w}_planted"].to_numpy() for w in WEAKNESSES])
    assert (before & ~after).any()  # some units improve
    assert (before & after).any()  # some do not


def test_out_dir_replaces_previous_round(small: Path, tmp_path: Path) -> None:
    generate_demo(config=None, out_dir=tmp_path, seed=5, n_units=SMALL)
    stale = tmp_path / "raw" / "2026-07" / "old.xlsx"
    stale.write_bytes(b"x")
    keep = tmp_path / "raw" / "notes.txt"
    keep.write_text("kept")
    generate_demo(config=None, out_dir=tmp_path, seed=5, n_units=SMALL)
    assert not stale.exists()
    assert keep.exists()


def test_generate_tables_shape() -> None:
    t = generate_tables(5000, seed=1)
    assert set(t) >= {"units", "info", "actions", "materials", "activities", "evaluation", "labels"}
    units = t["units"]
    assert len(units) == 5000 and units["unit_id"].is_unique
    assert set(units["reporting"]) == {"on_time", "late", "missing", "not_expected"}
    sub = set(units.loc[units["submitted"], "unit_id"])
    assert set(t["info"]["unit_id"]) == sub
    assert len(t["actions"]) == len(sub) * len(load_form().actions)
    for table in ("info", "actions", "materials", "activities", "evaluation"):
        df = t[table]
        assert list(df.columns[:4]) == ["unit_id", "file", "sheet", "row"]
        assert str(df["unit_id"].dtype) == "string"
    assert str(t["activities"]["date"].dtype) == "datetime64[ms]"
    assert str(t["activities"]["tied_to_work"].dtype) == "boolean"
    assert str(t["materials"]["copies"].dtype) == "Int64"
    lab = t["labels"]
    for w in WEAKNESSES:
        share = lab[f"{w}_planted"].mean()
        assert 0.2 < share < 0.4


def test_generate_tables_matches_files(small: Path) -> None:
    """The tables and the files come from one model: same themes for the same seed."""
    config = load_config(small / "scorecard.toml")
    t = generate_tables(SMALL, seed=11, config=config, round_id="2026-08")
    truth = pd.read_parquet(small / "truth" / "2026-08" / "labels.parquet")
    assert t["labels"]["unit_id"].tolist() == truth["unit_id"].tolist()
    for w in WEAKNESSES:
        assert t["labels"][f"{w}_planted"].tolist() == truth[f"{w}_planted"].tolist()
    info = pd.read_parquet(small / "truth" / "2026-08" / "info.parquet")
    acc = info.drop_duplicates("unit_id", keep="last").set_index("unit_id")["theme"]
    gen = t["info"].set_index("unit_id")["theme"]
    common = acc.index.intersection(gen.index)
    assert len(common) > 0
    assert (acc.loc[common] == gen.loc[common]).all()


def test_scales() -> None:
    for n in (20, 21, 57, 1000):
        t = generate_tables(n, seed=n)
        assert len(t["units"]) == n
    with pytest.raises(DemoSizeError):
        generate_tables(19)
    with pytest.raises(DemoSizeError):
        generate_tables(100_001)


def test_bad_size_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(DemoSizeError):
        generate_demo(out_dir=tmp_path / "d", n_units=5)
    assert not (tmp_path / "d").exists()


def _norm(value: object) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"\s+", "", text)


def test_row_counts_read_back(small: Path) -> None:
    """A plain reader finds exactly the truth's data rows in every readable file."""
    from python_calamine import CalamineWorkbook

    form = load_form()
    headers = {_norm(c.header) for s in form.data_sheets for c in s.columns} | {
        "其他情况",
        "项目",
        "内容",
    }
    markers = {_norm(m) for m in form.total_row_markers}
    for rid in ("2026-07", "2026-08"):
        rows = pd.read_parquet(small / "truth" / rid / "rows.parquet")
        for (file, table), n in rows.set_index(["file", "table"])["rows"].items():
            sheet = form.sheet(table)
            if sheet.kind != "table":
                continue
            wb = CalamineWorkbook.from_path(str(small / "raw" / rid / file))
            name = next(s for s in wb.sheet_names if _norm(s) == sheet.name)
            grid = wb.get_sheet_by_name(name).to_python()
            start = next(
                i for i, r in enumerate(grid) if sum(_norm(v) in headers for v in r if v != "") >= 3
            )
            data = [
                r
                for r in grid[start + 1 :]
                if any(v != "" for v in r)
                and _norm(r[0]) not in markers
                and sum(_norm(v) in headers for v in r if v != "") < 2
            ]
            assert len(data) == n, f"{rid}/{file} {table}"


def test_writes_into_config_locations(tmp_path: Path) -> None:
    """Without out_dir: roster, raw and truth go where the configuration says."""
    from pipeline.demo.settings import scorecard_text

    text = (
        scorecard_text()
        .replace('roster = "roster.xlsx"', 'roster = "data/名册.xlsx"')
        .replace('raw = "raw"', 'raw = "data/raw"')
    )
    (tmp_path / "scorecard.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "scorecard.toml")
    result = generate_demo(config=config, out_dir=None, seed=2, n_units=SMALL)
    assert (tmp_path / "data" / "名册.xlsx").is_file()
    for rid in ("2026-07", "2026-08"):
        assert any((tmp_path / "data" / "raw" / rid).iterdir())
        assert (tmp_path / "data" / "truth" / rid / "files.parquet").is_file()
    assert result.config_file is None
    assert "名册" in result.summary()
    assert not (tmp_path / "processed").exists() and not (tmp_path / "data" / "processed").exists()


def test_out_dir_with_given_rounds(tmp_path: Path) -> None:
    """With a configuration and out_dir, its campaign and rounds are written out."""
    from pipeline.demo.settings import scorecard_text

    text = (
        scorecard_text()
        .replace('name = "8月检查"', 'name = "八月检查"')
        .replace("as_of = 2026-08-25", "as_of = 2026-08-24")
    )
    (tmp_path / "given.toml").write_text(text, encoding="utf-8")
    given = load_config(tmp_path / "given.toml")
    out = tmp_path / "demo"
    generate_demo(config=given, out_dir=out, seed=2, n_units=SMALL)
    config = load_config(out / "scorecard.toml")
    assert config.round("2026-08").name == "八月检查"
    assert str(config.round("2026-08").as_of) == "2026-08-24"
    assert config.paths.raw == (out / "raw").resolve()
    assert config.scoring.slogans == given.scoring.slogans


def test_default_toml_matches_repository() -> None:
    """The packaged defaults hold the campaign and rounds of the repository's scorecard.toml."""
    from pipeline.demo.settings import default_config

    repo = load_config(Path(__file__).resolve().parents[1] / "scorecard.toml")
    demo = default_config(Path.cwd())
    assert demo.campaign == repo.campaign
    assert demo.rounds == repo.rounds


def test_done_actions_stay_done(small: Path) -> None:
    """An action done in the July return is done in the August return, on the same date."""
    form = load_form()
    done_word = form.sheet("actions").column("status").choices[0]

    def accepted_actions(rid: str) -> pd.DataFrame:
        files = pd.read_parquet(small / "truth" / rid / "files.parquet")
        acc = set(files.loc[files["expected_status"] == "accepted", "file"])
        errs = pd.read_parquet(small / "truth" / rid / "planted_errors.parquet")
        bad = set(errs.loc[errs["table"] == "actions", "file"])
        a = pd.read_parquet(small / "truth" / rid / "actions.parquet")
        return a[a["file"].isin(acc - bad)]

    july, aug = accepted_actions("2026-07"), accepted_actions("2026-08")
    j = july[july["status"] == done_word].set_index(["unit_id", "action"])["done_date"]
    a = aug.set_index(["unit_id", "action"])
    both = j.index.intersection(a.index)
    assert len(both) > 20
    assert (a.loc[both, "status"] == done_word).all()
    assert (a.loc[both, "done_date"] == j.loc[both]).all()


def test_parallel_writing_gives_the_same_files(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.demo.write as write

    monkeypatch.setattr(write, "INLINE_BELOW", 0)
    generate_demo(config=None, out_dir=tmp_path, seed=11, n_units=SMALL, jobs=2)
    a, b = _digest(small), _digest(tmp_path)
    raw = [k for k in a if k.startswith("raw/")]
    assert raw and {k: a[k] for k in raw} == {k: b[k] for k in raw}
    for rid in ("2026-07", "2026-08"):
        for name in ("files", "rows", "actions", "activities", "planted_errors"):
            x = pd.read_parquet(small / "truth" / rid / f"{name}.parquet")
            y = pd.read_parquet(tmp_path / "truth" / rid / f"{name}.parquet")
            pd.testing.assert_frame_equal(x, y)


def test_a_draft_holds_nothing_dated_after_its_own_report_date() -> None:
    """A superseded draft is an earlier version: no spurious date_after_report in it."""
    import numpy as np

    from pipeline.demo.messiness import FilePlan
    from pipeline.demo.render import file_values

    t = generate_tables(40, seed=5)
    uid = t["info"]["unit_id"].iloc[0]
    unit = {
        k: t[k][t[k]["unit_id"] == uid].drop(columns="unit_id").reset_index(drop=True)
        for k in ("info", "actions", "materials", "activities", "evaluation")
    }
    report = unit["info"].loc[0, "report_date"]
    unit["materials"]["updated"] = report  # updated on the day the final version was written
    plan = FilePlan(
        "x.xlsx",
        uid,
        "draft",
        "xlsx",
        pd.Timestamp(report),
        None,
        uid,
        "superseded",
        "superseded_later",
    )
    values, _, _ = file_values(plan, unit, load_form(1), np.random.default_rng(0))
    draft_report = values["info"].loc[0, "report_date"]
    assert draft_report < report
    assert (values["materials"]["updated"].dropna() <= draft_report).all()
    assert (values["activities"]["date"].dropna() <= draft_report).all()
