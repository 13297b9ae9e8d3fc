"""Config types are strict (issue 19, point 9): no bool for a number, no number for a bool."""

from __future__ import annotations

import pytest
from test_ingest_support import make_config

from pipeline.config import ConfigError, load_config


def _with(tmp_path, old: str, new: str):
    cfg = make_config(tmp_path)
    text = cfg.source.read_text(encoding="utf-8")
    assert old in text
    cfg.source.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cfg.source


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("max_rows = 20000", "max_rows = true", "ingest.max_rows"),
        ("max_file_mb = 50", "max_file_mb = false", "ingest.max_file_mb"),
        ("contain_readers = true", "contain_readers = 1", "ingest.contain_readers"),
        ("contain_readers = true", 'contain_readers = "yes"', "ingest.contain_readers"),
    ],
)
def test_a_bool_for_a_number_or_a_number_for_a_bool_is_refused_with_its_key(
    tmp_path, old, new, key
):
    path = _with(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    keys = [p.key for p in err.value.problems]
    assert keys == [key]
    msg = err.value.problems[0].message
    assert "true" in msg or "false" in msg


def test_plain_numbers_still_load(tmp_path):
    path = _with(tmp_path, "max_file_mb = 50", "max_file_mb = 50.5")
    assert load_config(path).ingest.max_file_mb == 50.5
