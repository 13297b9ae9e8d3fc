"""One round's survey: exports in, `satisfaction` and its companions out.

`survey_tables` is the pure core; `survey_round` reads the round's survey
folder (`data/raw/<round>/survey/` or `[survey] path`), the roster and the
round's `evaluation` table, and writes the survey tables beside the other
processed tables. `compare_round` runs after scoring and writes
`paper_vs_residents`. No survey folder (or no file in it): nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.roster import build_name_index, load_roster
from pipeline.survey.anonymise import excerpts_table
from pipeline.survey.compare import paper_vs_residents, self_report_check
from pipeline.survey.layout import load_layouts
from pipeline.survey.read import SURVEY_SUFFIXES, read_survey_file
from pipeline.survey.responses import SurveyRows, survey_rows
from pipeline.survey.reuse import cache_folder, keep_rows, load_rows, rows_key
from pipeline.survey.stats import satisfaction_table
from pipeline.tables import SURVEY_TABLES, read_tables, table_path, write_tables

__all__ = [
    "SURVEY_TABLES",
    "ScoreWithSurvey",
    "SurveyResult",
    "compare_round",
    "score_with_survey",
    "survey_round",
    "survey_tables",
]


def survey_files(folder: Path) -> list[tuple[Path, str]]:
    """Survey exports in the folder (and below), sorted; lock files and hidden files skipped."""
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.rglob("*")):
        name = p.name
        if p.is_file() and p.suffix.lower() in SURVEY_SUFFIXES and not name.startswith(("~$", ".")):
            out.append((p, p.relative_to(folder).as_posix()))
    return out


def read_rows(files: list[tuple[Path, str]], roster: pd.DataFrame, config) -> SurveyRows:
    """Read the exports and match every respondent to a unit (the survey's costly part)."""
    layouts = load_layouts(config)
    read = [read_survey_file(p, label, layouts, config.ingest.max_file_mb) for p, label in files]
    return survey_rows(
        read,
        build_name_index(roster),
        config.ingest.name_match_cutoff,
        config.survey.duplicate_seconds,
    )


def survey_tables(
    files: list[tuple[Path, str]],
    roster: pd.DataFrame,
    config,
    evaluation: pd.DataFrame | None = None,
    rows: SurveyRows | None = None,
) -> dict[str, pd.DataFrame]:
    """The survey tables of these exports (`rows`: their `read_rows`, when already read)."""
    sv = config.survey
    rows = rows if rows is not None else read_rows(files, roster, config)
    sat = satisfaction_table(
        rows.responses, roster, sv.min_respondents, sv.confidence, sv.prior_strength
    )
    self_report, self_findings = self_report_check(evaluation, sat, sv.overstate_margin)
    findings = pd.concat(
        [rows.findings, self_findings.astype(rows.findings.dtypes.to_dict())], ignore_index=True
    )
    excerpts = excerpts_table(
        rows.comments, sv.excerpt_chars, sv.max_excerpts if sv.excerpts else 0
    )
    return {
        "satisfaction": sat,
        "survey_responses": rows.responses,
        "survey_findings": findings,
        "survey_ledger": rows.ledger,
        "survey_self_report": self_report,
        "survey_excerpts": excerpts,
    }


@dataclass
class SurveyResult:
    round_id: str
    out_dir: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def summary(self) -> str:
        led = self.tables["survey_ledger"]
        sat = self.tables["satisfaction"]
        f = self.tables["survey_findings"]
        read, kept, aside = (
            int(led[c].sum()) for c in ("rows_read", "rows_kept", "rows_set_aside")
        )
        over = int((f["code"] == "survey_self_report_overstated").sum())
        enough = sat[sat["enough"]]
        rate = f"{100 * float(sat['district_rate'].iloc[0]):.0f}%" if len(sat) else "—"
        return "\n".join(
            [
                f"群众满意度调查 {self.round_id}：{len(led)} 个导出文件，"
                f"读取 {read} 行 = 采用 {kept} + 剔除 {aside}",
                f"  有调查结果的单位 {len(sat)} 个（样本足够 {len(enough)} 个，"
                f"样本不足 {len(sat) - len(enough)} 个），"
                f"全区满意率 {rate}",
                f"  问题 {len(f)} 处（其中自报群众评价明显偏高 {over} 个单位）",
            ]
        )


def survey_round(
    config,
    round_id: str,
    processed_dir: Path | None = None,
    survey_dir: Path | None = None,
    roster: pd.DataFrame | None = None,
    reuse: bool = True,
) -> SurveyResult | None:
    """Read the round's survey exports and write the survey tables; None when there are none.

    With `reuse`, exports read before under the same roster and settings are not read
    again (`reuse.py`); `reuse=False` reads them and refreshes what is kept."""
    folder = (
        Path(processed_dir) if processed_dir is not None else config.paths.processed_round(round_id)
    )
    sdir = (
        Path(survey_dir)
        if survey_dir is not None
        else config.survey.survey_dir(config.paths.raw_round(round_id), round_id)
    )
    files = survey_files(sdir)
    if not files:
        return None
    roster = roster if roster is not None else load_roster(config.paths.roster)
    evaluation = read_tables(folder, ["evaluation"], missing_ok=True).get("evaluation")
    kept = cache_folder(config.paths.processed, round_id)
    key = rows_key(files, roster, config)
    rows = load_rows(kept, key) if reuse else None
    if rows is None:
        rows = read_rows(files, roster, config)
        keep_rows(kept, key, rows)
    tables = survey_tables(files, roster, config, evaluation, rows=rows)
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(tables, folder)
    return SurveyResult(round_id, folder, tables)


def compare_round(config, round_id: str, processed_dir: Path | None = None) -> pd.DataFrame | None:
    """After scoring: write `paper_vs_residents` when the round has satisfaction and scores."""
    folder = (
        Path(processed_dir) if processed_dir is not None else config.paths.processed_round(round_id)
    )
    if not (
        table_path(folder, "satisfaction").is_file() and table_path(folder, "scores").is_file()
    ):
        return None
    t = read_tables(folder, ["scores", "satisfaction", "indicators"], missing_ok=True)
    scores = t["scores"]
    ind = t.get("indicators")
    if (
        ind is not None and "overall" in ind
    ):  # what the returns show, even when satisfaction is mixed in
        returns = dict(zip(ind["unit_id"].astype(str), ind["overall"].astype(float), strict=True))
        scores = scores.assign(overall=scores["unit_id"].astype(str).map(returns).astype("Float64"))
    out = paper_vs_residents(scores, t["satisfaction"])
    write_tables({"paper_vs_residents": out}, folder)
    return out


@dataclass
class ScoreWithSurvey:
    """The score stage's result with the survey's summary before it (what `scorecard run`
    prints)."""

    score: object
    survey: SurveyResult | None
    compared: int = 0

    def __getattr__(self, name: str):
        return getattr(self.score, name)

    def summary(self) -> str:
        parts = [self.survey.summary()] if self.survey is not None else []
        if self.survey is not None:
            parts.append(
                f"  组织部门说好 vs 老百姓说好：{self.compared} 个单位同时有评分和足够的调查样本"
            )
        fn = getattr(self.score, "summary", None)
        parts.append(str(fn()) if callable(fn) else "")
        return "\n".join(p for p in parts if p)


def score_with_survey(
    score_fn,
    config,
    round_id: str,
    processed_dir: Path | None = None,
    previous_dir: Path | None = None,
    reuse: bool = True,
) -> ScoreWithSurvey:
    """The survey (after ingest), then scoring, then the paper-vs-residents table."""
    survey = survey_round(config, round_id, processed_dir=processed_dir, reuse=reuse)
    result = score_fn(config, round_id, processed_dir=processed_dir, previous_dir=previous_dir)
    cmp_ = compare_round(config, round_id, processed_dir) if survey is not None else None
    return ScoreWithSurvey(result, survey, 0 if cmp_ is None else len(cmp_))
