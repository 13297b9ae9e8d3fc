"""Reuse of the survey's rows: exports that have not changed are not read again.

Reading the residents' exports and matching each respondent to a unit
(`survey_rows`) is most of the survey's cost (tens of thousands of rows), and
the exports rarely change while returns trickle in. The result (`SurveyRows`)
is kept as `<processed>/.cache/survey/<round>/<key>.pickle`; the key hashes
each export's name, size, modification time and bytes, the roster's content,
the survey and matching settings and the package's code, so any change to
them is a miss. Everything after the rows (satisfaction, the self-report
check, excerpts) is computed on every run.

The entry holds what the processed survey tables hold, plus the kept
respondents' comments (which are never published as they are); it lives in
the processed folder beside the kept reads of the returns. An entry that
cannot be loaded is read again, never trusted; a cache that cannot be written
never fails the survey.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd

from pipeline.atomic import atomic_path
from pipeline.hashing import code_digest, digest_of, file_sha256
from pipeline.survey.responses import SurveyRows

SUFFIX = ".pickle"


def cache_folder(processed_root: Path, round_id: str) -> Path:
    """Where a round's kept survey rows live (beside `.cache/parsed/`)."""
    return Path(processed_root) / ".cache" / "survey" / round_id


def _frame_digest(df: pd.DataFrame) -> str:
    """Every cell as text (the roster holds lists: aliases), with the column names."""
    return digest_of([[str(c) for c in df.columns], df.astype(str).to_numpy().tolist()])


def rows_key(files: list[tuple[Path, str]], roster: pd.DataFrame, config) -> str:
    """The entry name of these exports, this roster and these settings as they are now."""
    exports = []
    for path, label in files:
        st = Path(path).stat()
        exports.append([label, st.st_size, st.st_mtime_ns, file_sha256(path)])
    return digest_of(
        {
            "code": code_digest(),
            "exports": exports,
            "roster": _frame_digest(roster),
            "survey": config.survey.model_dump(mode="json"),
            "name_match_cutoff": config.ingest.name_match_cutoff,
            "max_file_mb": config.ingest.max_file_mb,
        }
    )


def load_rows(folder: Path, key: str) -> SurveyRows | None:
    """The kept rows, or None (missing or unreadable entry)."""
    try:
        with open(Path(folder) / f"{key}{SUFFIX}", "rb") as fh:
            value = pickle.load(fh)
    except Exception:  # missing or damaged: a miss, never an error
        return None
    return value if isinstance(value, SurveyRows) else None


def keep_rows(folder: Path, key: str, rows: SurveyRows) -> bool:
    """Keep the rows atomically and drop every other entry of the round (one per round)."""
    folder = Path(folder)
    try:
        with (
            atomic_path(folder / f"{key}{SUFFIX}", prefix=".tmp-", suffix=SUFFIX) as tmp,
            open(tmp, "wb") as fh,
        ):
            pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
        for p in folder.iterdir():
            if p.is_file() and p.name != f"{key}{SUFFIX}":
                p.unlink(missing_ok=True)
        return True
    except (OSError, pickle.PicklingError):
        return False
