"""File names in any encoding and symbolic links in the round folder (issue 19, points 3 and 8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_ingest_support import make_config, make_return

from pipeline.batch.fingerprint import compute_fingerprint, hash_files
from pipeline.hashing import digest_of
from pipeline.ingest import ingest_round
from pipeline.ingest.listing import list_round
from pipeline.names import decode_name, display_name, unique_labels

R = "2026-07"
GBK_NAME = "太平社区.xlsx".encode("gbk")
BAD_NAME = b"\xff\xfe\x80_return.xlsx"  # neither UTF-8 nor GBK


def _bytes_path(folder: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


def test_names_are_shown_as_best_decoded():
    gbk = os.fsdecode(GBK_NAME)
    assert display_name(gbk) == "太平社区.xlsx"
    assert decode_name(gbk)[1] == "gbk"
    shown, how = decode_name(os.fsdecode(BAD_NAME))
    assert how == "replaced" and "\ufffd" in shown and shown.endswith("_return.xlsx")
    assert display_name("正常.xlsx") == "正常.xlsx"


def test_names_that_show_alike_stay_distinct_and_hash_exactly():
    a, b = os.fsdecode(b"\xff1.xlsx"), os.fsdecode(b"\xfe1.xlsx")
    labels = unique_labels([a, b])
    assert len(set(labels)) == 2
    assert digest_of([a]) != digest_of([b])  # exact bytes are hashed, never an error


def test_a_gbk_and_an_undecodable_name_are_read_with_findings(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    raw.mkdir(parents=True, exist_ok=True)
    make_return(tmp_path / "a.xlsx")
    os.rename(tmp_path / "a.xlsx", _bytes_path(raw, GBK_NAME))
    make_return(tmp_path / "b.xlsx", unit_name="金家村")
    os.rename(tmp_path / "b.xlsx", _bytes_path(raw, BAD_NAME))
    fp = compute_fingerprint(cfg, R)  # used to die with UnicodeEncodeError
    assert {f.name for f in fp.files} >= {"太平社区.xlsx"}
    res = ingest_round(cfg, R, jobs=1, progress=False)
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["太平社区.xlsx", "status"] == "accepted"
    bad = next(f for f in subs.index if f.endswith("_return.xlsx"))
    assert "\ufffd" in bad and subs.loc[bad, "status"] == "accepted"
    codes = res.tables["findings"].set_index("file")["code"]
    assert "filename_recoded" in set(codes.loc[["太平社区.xlsx"]])
    assert "filename_undecodable" in set(codes.loc[[bad]])
    # every stored name is valid text (parquet and JSON could not hold it otherwise)
    for p in res.out_dir.glob("*.parquet"):
        assert p.stat().st_size > 0
    print(res.summary())


@pytest.fixture
def linked(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    make_return(raw / "太平社区.xlsx")
    outside = make_return(tmp_path / "outside" / "金家村.xlsx", unit_name="金家村")
    (raw / "金家村.xlsx").symlink_to(outside)
    (raw / "passwd").symlink_to("/etc/passwd")
    (raw / "gone.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (raw / "loop1.xlsx").symlink_to(raw / "loop2.xlsx")
    (raw / "loop2.xlsx").symlink_to(raw / "loop1.xlsx")
    (raw / "copy.xlsx").symlink_to(raw / "太平社区.xlsx")  # inside: read like the file
    (raw / "up").symlink_to(tmp_path, target_is_directory=True)
    return cfg


def test_links_are_never_followed_out_of_the_round_folder(linked):
    files, links = list_round(linked.paths.raw_round(R))
    assert {e.label for e in files} == {"太平社区.xlsx", "copy.xlsx"}
    reasons = {link.label: link.reason for link in links}
    assert reasons == {
        "金家村.xlsx": "link_outside",
        "passwd": "link_outside",
        "gone.xlsx": "link_dangling",
        "loop1.xlsx": "link_loop",
        "loop2.xlsx": "link_loop",
        "up": "link_outside",
    }
    hashed = {f.name: f.sha256 for f in hash_files(linked.paths.raw_round(R))}
    assert hashed["passwd"].startswith("link:link_outside")  # /etc/passwd itself is never hashed


def test_each_refused_link_is_a_rejected_file_with_a_finding(linked):
    res = ingest_round(linked, R, jobs=1, progress=False)
    subs = res.tables["submissions"].set_index("file")
    assert subs.loc["金家村.xlsx", "status"] == "rejected"
    assert subs.loc["金家村.xlsx", "reason"] == "link_outside"
    assert subs.loc["gone.xlsx", "reason"] == "link_dangling"
    assert subs.loc["loop1.xlsx", "reason"] == "link_loop"
    f = res.tables["findings"]
    for name in ("金家村.xlsx", "passwd", "gone.xlsx", "loop1.xlsx", "loop2.xlsx", "up"):
        msgs = f.loc[f["file"] == name, "message"]
        assert len(msgs) == 1 and name in msgs.iloc[0]


def test_an_overwritten_file_keeps_its_earlier_hash_in_the_run_history(tmp_path):
    import hashlib

    from test_batch_fakes import FAKE_STAGES, make_district, write_raw

    from pipeline.batch import run_round
    from pipeline.batch.manifest import read_json, runs_path

    cfg = make_district(tmp_path)
    run_round(cfg, "R1", jobs=1, stages=FAKE_STAGES)
    before = hashlib.sha256(b"return of U1").hexdigest()
    p = write_raw(tmp_path, "U1.xlsx", b"corrected return of U1")
    os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 10))
    run_round(cfg, "R1", jobs=1, stages=FAKE_STAGES)
    record = read_json(runs_path(cfg.paths.processed, "R1"))
    changed = record["last"]["input_changes"]["changed"]
    assert [c["name"] for c in changed] == ["U1.xlsx"]
    assert changed[0]["sha256_before"] == before and changed[0]["sha256"] != before
    assert record["history"]  # the earlier run is still there too
