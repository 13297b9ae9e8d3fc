"""The one configuration object.

`load_config(path)` reads `scorecard.toml` into a frozen, typed `Config`.
Nothing here runs at import time: paths are resolved when a file is loaded,
relative to the folder that holds it.
"""

from __future__ import annotations

import math
import tomllib
import types
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import EXIT_USAGE, ScorecardError

WEAKNESSES: tuple[str, ...] = (
    "uneven_progress",
    "weak_basics",
    "unclear_theme",
    "shallow_understanding",
)
"""The four weaknesses of the July review, in the review's order."""

WEAKNESS_LABELS: dict[str, str] = {
    "uneven_progress": "进展不平衡",
    "weak_basics": "基础较薄弱",
    "unclear_theme": "主题不鲜明",
    "shallow_understanding": "认识不够深",
}

DEFAULT_CONFIG_NAME = "scorecard.toml"


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    message: str


class ConfigError(ScorecardError):
    """A configuration file that cannot be used; `problems` names every bad key."""

    def __init__(self, path: Path, problems: list[ConfigProblem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p.key}: {p.message}" for p in problems)
        super().__init__(f"配置文件 {path} 有误:\n{lines}")

    exit_code = EXIT_USAGE

    def cli_message(self) -> str:
        return str(self)


class UnknownRoundError(ScorecardError, KeyError):
    """A round id that the configuration does not define."""

    exit_code = EXIT_USAGE


class _KeyedProblems(ValueError):
    """Raised inside a validator: problems keyed relative to the model being validated.

    Pydantic keeps the exception in the error's context, so `config_from_dict`
    can report each problem under its own key (`rounds[1].stage`) rather than
    under the model's location alone.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


def _scalar_kinds(annotation: Any) -> set[type]:
    """int, float, bool among the types a field accepts (Optional / unions unwrapped)."""
    import typing

    args = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else ()
    )
    kinds = [annotation, *args]
    return {k for k in kinds if k in (int, float, bool)}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _strict_scalars(cls, data: Any) -> Any:
        """No bool for a number (`max_rows = true` is not 1) and no number or text for a bool."""
        if not isinstance(data, dict):
            return data
        problems = []
        for name, f in cls.model_fields.items():
            if name not in data:
                continue
            value, kinds = data[name], _scalar_kinds(f.annotation)
            if not kinds:
                continue
            if isinstance(value, bool) and bool not in kinds:
                problems.append((name, f"应为数字，不能写 true/false（现为 {str(value).lower()}）"))
            elif kinds == {bool} and not isinstance(value, bool):
                problems.append((name, f"应为 true 或 false（不带引号），现为 {value!r}"))
        if problems:
            raise _KeyedProblems(problems)
        return data


class Paths(_Frozen):
    roster: Path
    raw: Path
    processed: Path
    reports: Path
    # the report notebooks; unset: the copy installed with the package (pipeline.report.runner)
    notebooks: Path | None = None
    # optional receipt logs (收文登记): <receipts>/<round>.csv or .xlsx; file times are the fallback
    receipts: Path | None = None

    def raw_round(self, round_id: str) -> Path:
        return self.raw / round_id

    def processed_round(self, round_id: str) -> Path:
        return self.processed / round_id

    def reports_round(self, round_id: str) -> Path:
        return self.reports / round_id


class Stage(_Frozen):
    id: str
    title: str
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Stage:
        if self.end < self.start:
            raise _KeyedProblems([("end", f"结束日期 {self.end} 早于开始日期 {self.start}")])
        return self


class Campaign(_Frozen):
    name: str
    office: str = "区活动办公室"
    contact: str = ""
    start: date
    form_version: int = 1
    stages: tuple[Stage, ...] = ()


class Round(_Frozen):
    id: Annotated[str, Field(pattern=r"^[0-9A-Za-z_\-]+$")]
    name: str
    stage: str
    as_of: date
    deadline: date
    inspection: date

    @model_validator(mode="after")
    def _ordered(self) -> Round:
        problems = []
        if self.deadline < self.as_of:
            problems.append(
                ("deadline", f"报送截止日期 {self.deadline} 早于数据截至日期 as_of {self.as_of}")
            )
        if self.inspection < self.as_of:
            problems.append(
                ("inspection", f"检查日期 {self.inspection} 早于数据截至日期 as_of {self.as_of}")
            )
        if problems:
            raise _KeyedProblems(problems)
        return self


class Ingest(_Frozen):
    jobs: Annotated[int, Field(ge=0)] = 0
    max_file_mb: Annotated[float, Field(gt=0)] = 50
    max_uncompressed_mb: Annotated[float, Field(gt=0)] = 200
    max_rows: Annotated[int, Field(gt=0)] = 20000
    timeout_seconds: Annotated[float, Field(gt=0)] = 60
    name_match_cutoff: Annotated[float, Field(ge=0, le=100)] = 80
    max_columns: Annotated[int, Field(gt=0)] = (
        256  # a sheet's cells beyond max_rows x this reject the file
    )
    max_cell_chars: Annotated[int, Field(gt=0)] = (
        32767  # any cell is cut to this when read (Excel's own limit)
    )
    contain_readers: bool = (
        True  # jobs=1 still reads in a child process, so a reader crash costs only its file
    )
    # a round with fewer files to read than this is read as with jobs=1, even when a local
    # process pool is at hand: starting the pool's workers costs more than they gain
    # (break-even measured by benchmarks/bench_ingest.py, docs/benchmarks.md)
    pool_min_files: Annotated[int, Field(ge=0)] = 1000


class IntakeChecks(_Frozen):
    """Thresholds of the checks a reviewer makes within a return and across rounds
    (methodology.md)."""

    # 参加人数 above exp(median + k·MAD) of log 参加人数 of the same unit type's rows this round
    # (and above the floor)
    participants_mad_k: Annotated[float, Field(gt=0)] = 4.0
    participants_floor: Annotated[int, Field(ge=0)] = 300
    participants_min_rows: Annotated[int, Field(ge=1)] = (
        20  # fewer rows of a type: the district's rows
    )
    # against the unit's previous return: a count that moved by this factor and at least this many
    members_change_ratio: Annotated[float, Field(gt=1)] = 2.0
    members_change_min: Annotated[int, Field(ge=0)] = 10
    materials_change_ratio: Annotated[float, Field(gt=1)] = 3.0
    materials_change_min: Annotated[int, Field(ge=0)] = 10
    # a theme is "rewritten" when its character-bigram overlap (Jaccard) with the previous one
    # is below this
    theme_similarity_min: Annotated[float, Field(ge=0, le=1)] = 0.3


class Intake(_Frozen):
    """Who sent what and when: overrides of a match, the correction rule, the reviewer's checks."""

    # a correction received after the deadline: `first_on_time` = a unit whose first usable return
    # came on time stays on time (the correction's lateness is shown);
    # `latest` = the return used decides
    late_correction: Literal["first_on_time", "latest"] = "first_on_time"
    # round id -> {file (as listed in submissions) -> unit code, or "ignore"}
    overrides: dict[str, dict[str, str]] = {}
    checks: IntakeChecks = IntakeChecks()


class Weights(_Frozen):
    uneven_progress: Annotated[float, Field(ge=0)] = 0.25
    weak_basics: Annotated[float, Field(ge=0)] = 0.25
    unclear_theme: Annotated[float, Field(ge=0)] = 0.25
    shallow_understanding: Annotated[float, Field(ge=0)] = 0.25

    @model_validator(mode="after")
    def _positive(self) -> Weights:
        if sum(self.as_dict().values()) <= 0:
            raise _KeyedProblems([("", "权重不能全部为 0")])
        return self

    def as_dict(self) -> dict[str, float]:
        return {w: float(getattr(self, w)) for w in WEAKNESSES}


class Thresholds(_Frozen):
    uneven_progress: Annotated[float, Field(ge=0, le=100)] = 50
    weak_basics: Annotated[float, Field(ge=0, le=100)] = 50
    unclear_theme: Annotated[float, Field(ge=0, le=100)] = 50
    shallow_understanding: Annotated[float, Field(ge=0, le=100)] = 50

    def as_dict(self) -> dict[str, float]:
        return {w: float(getattr(self, w)) for w in WEAKNESSES}


class _IndexWeights(_Frozen):
    """Weights of the parts of one index: each ≥ 0, not all 0, normalised to sum to 1."""

    @model_validator(mode="after")
    def _positive(self) -> _IndexWeights:
        if math.fsum(self.as_dict().values()) <= 0:
            raise _KeyedProblems([("", "权重不能全部为 0")])
        return self

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in type(self).model_fields}

    def normalised(self) -> dict[str, float]:
        """The weights divided by their (exactly rounded) sum: the defaults stay as written."""
        w = self.as_dict()
        total = math.fsum(w.values())
        return {k: v / total for k, v in w.items()}


_Weight = Annotated[float, Field(ge=0)]
_Share = Annotated[float, Field(gt=0, le=1)]


class ProgressWeights(_IndexWeights):
    shortfall: _Weight = 0.7
    lag: _Weight = 0.3


class ScoringProgress(_Frozen):
    """uneven_progress = 100 × (w_shortfall × clip((1 − progress)/shortfall_full)
    + w_lag × clip(lag/lag_full))."""

    shortfall_full: _Share = 0.5
    lag_full: _Share = 0.5
    weights: ProgressWeights = ProgressWeights()


class BasicsWeights(_IndexWeights):
    coverage: _Weight = 0.2
    quality: _Weight = 0.4
    variety: _Weight = 0.2
    publicity: _Weight = 0.2


class ScoringBasics(_Frozen):
    """weak_basics: coverage, quality (full at `quality_full` unmet), format variety, publicity."""

    quality_full: _Share = 0.5
    formats_full: Annotated[int, Field(ge=2)] = 4
    publicity_full: _Share = 0.5
    weights: BasicsWeights = BasicsWeights()


class ThemeWeights(_IndexWeights):
    distinct: _Weight = 0.5
    keyword: _Weight = 0.25
    target: _Weight = 0.25


class ScoringTheme(_Frozen):
    """unclear_theme: missing theme, distinctiveness, business keyword, concrete target;
    search tuning."""

    min_chars: Annotated[int, Field(ge=1)] = 4
    exact_max: Annotated[int, Field(ge=0)] = 20_000
    candidate_max_df: _Share = 0.02
    candidates: Annotated[int, Field(ge=1)] = 50
    weights: ThemeWeights = ThemeWeights()


class UnderstandingWeights(_IndexWeights):
    bunching: _Weight = 0.4
    spread: _Weight = 0.2
    tied: _Weight = 0.2
    late: _Weight = 0.2


class ScoringUnderstanding(_Frozen):
    """shallow_understanding: bunching (full at BI' = `bunching_full`), spread, tied share,
    last-minute."""

    bunching_full: _Share = 0.5
    weights: UnderstandingWeights = UnderstandingWeights()


class ScoringExplain(_Frozen):
    """Wording thresholds of the explanations (得分依据); they change no score."""

    similar_cosine: _Share = 0.5
    poor_quality: Annotated[float, Field(ge=0, le=1)] = 0.5
    plenty_copies: Annotated[float, Field(gt=0)] = 2
    max_facts: Annotated[int, Field(ge=1)] = 4


class Uncertainty(_Frozen):
    runs: Annotated[int, Field(ge=10)] = 500
    weight_spread: Annotated[float, Field(ge=0, lt=1)] = 0.25
    seed: int = 20260701
    unstable_rank_width: Annotated[float, Field(gt=0, le=1)] = 0.25
    max_cells: Annotated[int, Field(ge=1)] = 50_000_000
    normalisations: Annotated[
        tuple[Literal["fixed", "minmax", "rank"], ...], Field(min_length=1)
    ] = ("fixed", "minmax", "rank")
    aggregations: Annotated[tuple[Literal["arithmetic", "geometric"], ...], Field(min_length=1)] = (
        "arithmetic",
        "geometric",
    )
    outlier_skew: Annotated[float, Field(gt=0)] = 2.0
    outlier_kurtosis: Annotated[float, Field(gt=0)] = 3.5
    winsorise_max_points: Annotated[int, Field(ge=0)] = 5

    @model_validator(mode="after")
    def _distinct(self) -> Uncertainty:
        problems = [
            (key, f"{name!r} 重复")
            for key in ("normalisations", "aggregations")
            for i, name in enumerate(getattr(self, key))
            if name in getattr(self, key)[:i]
        ]
        if problems:
            raise _KeyedProblems(problems)
        return self


class Scoring(_Frozen):
    partial_credit: Annotated[float, Field(ge=0, le=1)] = 0.5
    peer_min: Annotated[int, Field(ge=1)] = 5
    modified_z_flag: Annotated[float, Field(gt=0)] = 3.5
    theil_min_subunits: Annotated[int, Field(ge=2)] = 3
    material_current_days: Annotated[int, Field(ge=1)] = 60
    deadline_window_days: Annotated[int, Field(ge=1)] = 30
    bunching_shrinkage: Annotated[float, Field(ge=0)] = 5
    bunching_min_activities: Annotated[int, Field(ge=1)] = 4
    late_action_days: Annotated[int, Field(ge=0)] = 7
    copy_cosine: Annotated[float, Field(gt=0, le=1)] = 0.9
    theme_neighbours: Annotated[int, Field(ge=1)] = 6
    slogans: tuple[str, ...] = ()
    weights: Weights = Weights()
    thresholds: Thresholds = Thresholds()
    uncertainty: Uncertainty = Uncertainty()
    progress: ScoringProgress = ScoringProgress()
    basics: ScoringBasics = ScoringBasics()
    theme: ScoringTheme = ScoringTheme()
    understanding: ScoringUnderstanding = ScoringUnderstanding()
    explain: ScoringExplain = ScoringExplain()


class Notice(_Frozen):
    min_flags: Annotated[int, Field(ge=1, le=4)] = 2
    bottom_per_type: Annotated[int, Field(ge=0)] = 0
    max_share: Annotated[float, Field(ge=0, le=1)] = 0.05
    max_per_type: Annotated[int, Field(ge=0)] = 3
    name_late: bool = True


class ActItems(_Frozen):
    """Cut-offs of the rectification item rules (`[act.items]`); one rule opens and re-checks
    an item."""

    quality_min: _Share = 0.6
    formats_min: Annotated[int, Field(ge=2)] = 2
    publicity_min: _Share = 0.2
    tied_min: _Share = 0.5
    bunching_max: _Share = 0.25
    last_minute_max: _Share = 0.5
    partial_share: _Share = 0.5


class ActGrades(_Frozen):
    """Grade bands on the composite (`[act.grades]`): `cuts` descending, one more label than
    cuts."""

    cuts: tuple[float, ...] = (85.0, 75.0, 60.0, 45.0)
    labels: tuple[str, ...] = ("五星", "四星", "三星", "二星", "一星")

    @model_validator(mode="after")
    def _bands(self) -> ActGrades:
        problems = []
        if len(self.labels) != len(self.cuts) + 1:
            problems.append(
                (
                    "labels",
                    f"等次名称应比分界点多 1 个（现有分界点 {len(self.cuts)} 个、"
                    f"名称 {len(self.labels)} 个）",
                )
            )
        if list(self.cuts) != sorted(self.cuts, reverse=True) or len(set(self.cuts)) != len(
            self.cuts
        ):
            problems.append(("cuts", "分界点应从高到低排列且不重复"))
        if problems:
            raise _KeyedProblems(problems)
        return self


class ActExemplary(_Frozen):
    """Exemplary units (`[act.exemplary]`)."""

    per_type: Annotated[int, Field(ge=0)] = 2
    top_share: _Share = 0.2
    practices: Annotated[int, Field(ge=1)] = 2


class Act(_Frozen):
    """The action stage (`[act]`): items, due dates, grades, exemplary units."""

    due_days: Annotated[int, Field(ge=1)] = 30
    items: ActItems = ActItems()
    grades: ActGrades = ActGrades()
    exemplary: ActExemplary = ActExemplary()


class Report(_Frozen):
    jobs: Annotated[int, Field(ge=1)] = 2
    cell_timeout_seconds: Annotated[int, Field(ge=10)] = 600
    kernel: str = "grassroots-scorecard"
    # provisional results (临时结果): below this reporting share (0–1), or before the deadline,
    # pages and workbooks carry a banner; no rank among fewer than min_ranked_units scored units
    provisional_share: Annotated[float, Field(ge=0, le=1)] = 0.9
    min_ranked_units: Annotated[int, Field(ge=1)] = 3


class Batch(_Frozen):
    scheduler: Annotated[str, Field(pattern=r"^$|^(tcp|tls|inproc|ucx)://\S+$")] = ""


class SurveyLayout(_Frozen):
    """One survey export layout: which header holds what (see pipeline/survey/layout_v1.toml)."""

    name: str
    scale: Literal["four_level", "five_point"] = "four_level"
    respondent_id: str = ""
    unit: str
    submitted_at: str = ""
    overall: str
    answers: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()


class Survey(_Frozen):
    """Residents' survey (群众满意度): inputs, intervals, thresholds (pipeline/survey/)."""

    folder: str = "survey"
    path: str = ""
    min_respondents: Annotated[int, Field(ge=1)] = 10
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    prior_strength: Annotated[float, Field(ge=0)] = 10
    duplicate_seconds: Annotated[float, Field(ge=0)] = 10
    overstate_margin: Annotated[float, Field(ge=0, le=1)] = 0.10
    in_composite: bool = False
    composite_weight: Annotated[float, Field(ge=0, le=1)] = 0.2
    excerpts: bool = False
    excerpt_chars: Annotated[int, Field(ge=5, le=200)] = 40
    max_excerpts: Annotated[int, Field(ge=0, le=20)] = 3
    layouts: tuple[SurveyLayout, ...] = ()

    def survey_dir(self, raw_round: Path, round_id: str) -> Path:
        """The round's survey folder: `path` (with {round}) if set, else
        `<raw>/<round>/<folder>`."""
        if self.path:
            return Path(self.path.replace("{round}", round_id))
        return raw_round / self.folder


class Config(_Frozen):
    """Everything a run depends on. Build it with `load_config`."""

    source: Path | None = None
    paths: Paths
    campaign: Campaign
    rounds: tuple[Round, ...]
    ingest: Ingest = Ingest()
    intake: Intake = Intake()
    scoring: Scoring = Scoring()
    notice: Notice = Notice()
    act: Act = Act()
    report: Report = Report()
    batch: Batch = Batch()
    survey: Survey = Survey()

    @model_validator(mode="after")
    def _rounds(self) -> Config:
        problems: list[tuple[str, str]] = []
        seen: dict[str, int] = {}
        for i, r in enumerate(self.rounds):
            if r.id in seen:
                problems.append(
                    (f"rounds[{i}].id", f"轮次编号 {r.id!r} 重复（与 rounds[{seen[r.id]}] 相同）")
                )
            seen.setdefault(r.id, i)
        stages = [s.id for s in self.campaign.stages]
        by_id = {s.id: s for s in self.campaign.stages}
        for i, r in enumerate(self.rounds):
            if stages and r.stage not in stages:
                problems.append(
                    (
                        f"rounds[{i}].stage",
                        f"阶段 {r.stage!r} 不是 campaign.stages 之一（{'、'.join(stages)}）",
                    )
                )
            elif r.stage in by_id and not (by_id[r.stage].start <= r.as_of <= by_id[r.stage].end):
                st = by_id[r.stage]
                problems.append(
                    (
                        f"rounds[{i}].stage",
                        f"轮次 {r.id} 的数据截至日期 {r.as_of} 不在阶段 {r.stage!r} 的日期"
                        f"（{st.start} 至 {st.end}）之内",
                    )
                )
            if r.as_of < self.campaign.start:
                problems.append(
                    (
                        f"rounds[{i}].as_of",
                        f"数据截至日期 {r.as_of} 早于活动开始日期 "
                        f"campaign.start {self.campaign.start}",
                    )
                )
        if problems:
            raise _KeyedProblems(problems)
        return self

    def round(self, round_id: str) -> Round:
        """The round with this id; KeyError with the known ids otherwise."""
        for r in self.rounds:
            if r.id == round_id:
                return r
        known = ", ".join(r.id for r in self.rounds)
        raise UnknownRoundError(
            f"未知的检查轮次 {round_id!r}（配置中有: {known}；"
            f"新的一轮用 scorecard round add --id {round_id} ... 添加）"
        )

    def previous_round(self, round_id: str) -> Round | None:
        """The round before this one in time, if any."""
        current = self.round(round_id)
        earlier = [r for r in self.rounds if r.as_of < current.as_of]
        return max(earlier, key=lambda r: r.as_of) if earlier else None

    def rounds_in_order(self) -> list[Round]:
        return sorted(self.rounds, key=lambda r: r.as_of)


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


_MESSAGES: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的配置项（拼写错误，或不该放在这一节）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（不能有小数）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "string_type": "应为文本（加引号）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期，如 2026-07-15（不加引号）",
    "date_parsing": "应为日期，如 2026-07-15（不加引号）",
    "date_from_datetime_parsing": "应为日期，如 2026-07-15（不加引号）",
    "date_from_datetime_inexact": "应为日期，不带时间",
    "tuple_type": "应为列表 [...] 或 [[...]] 表",
    "list_type": "应为列表 [...]",
    "model_type": "应为一节 [...] 表",
    "model_attributes_type": "应为一节 [...] 表",
    "dict_type": "应为一节 [...] 表",
    "path_type": "应为路径文本",
    "string_pattern_mismatch": "只能包含字母、数字、- 和 _",
    "greater_than_equal": "应 ≥ {ge}",
    "greater_than": "应 > {gt}",
    "less_than_equal": "应 ≤ {le}",
    "less_than": "应 < {lt}",
    "literal_error": "应为以下之一: {expected}",
    "too_short": "至少要有 {min_length} 项",
}


def _problems(exc: ValidationError) -> list[ConfigProblem]:
    """Every validation error as a (key, Chinese message) problem."""
    out: list[ConfigProblem] = []
    for e in exc.errors():
        key = _loc(e["loc"])
        ctx = e.get("ctx") or {}
        err = ctx.get("error")
        if isinstance(err, _KeyedProblems):
            for sub, msg in err.problems:
                full = ".".join(p for p in (key if e["loc"] else "", sub) if p) or "(top level)"
                out.append(ConfigProblem(full, msg))
            continue
        if e["type"] == "literal_error" and isinstance(ctx.get("expected"), str):
            ctx = {**ctx, "expected": ctx["expected"].replace(" or ", ", ")}
        template = _MESSAGES.get(e["type"])
        if template is None:
            msg = e["msg"]
        else:
            try:
                msg = template.format(**ctx)
            except (KeyError, IndexError):
                msg = e["msg"]
        value = e.get("input")
        if e["type"] != "missing" and isinstance(value, str | int | float | date):
            msg = f"{msg}（现为 {value!r}）"
        out.append(ConfigProblem(key, msg))
    return out


def config_from_dict(data: dict[str, Any], base: Path, source: Path | None = None) -> Config:
    """Validate a parsed TOML mapping; relative paths are resolved against `base`."""
    data = dict(data)
    paths = data.get("paths")
    if isinstance(paths, dict):
        data["paths"] = {
            k: (v if not isinstance(v, str) else str((base / v).resolve()))
            for k, v in paths.items()
        }
    survey = data.get("survey")
    if isinstance(survey, dict) and isinstance(survey.get("path"), str) and survey["path"]:
        data["survey"] = {**survey, "path": str((base / survey["path"]).resolve())}
    data["source"] = source
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source or base, _problems(exc)) from None


def load_config(path: str | Path | None = None) -> Config:
    """Read a configuration file (default: ./scorecard.toml)."""
    path = Path(path) if path is not None else Path.cwd() / DEFAULT_CONFIG_NAME
    path = path.resolve()
    if not path.is_file():
        raise ConfigError(path, [ConfigProblem("(file)", "文件不存在（用 --config 指定配置文件）")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, [ConfigProblem("(file)", "不是 UTF-8 编码的文本文件")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [ConfigProblem("(syntax)", f"TOML 语法错误: {exc}")]) from None
    return config_from_dict(data, path.parent, source=path)
