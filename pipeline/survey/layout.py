"""The survey layout as data: answer scales and export layouts.

`load_layouts(config)` returns the default layout (`layout_v1.toml`, beside
this file) followed by every `[[survey.layouts]]` of the configuration; a
layout only names headers, so a new questionnaire tool needs a config entry,
not code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pipeline.roster import normalise_text


@dataclass(frozen=True)
class Answer:
    label: str
    score: float | None  # 0-100, None when not counted
    satisfied: bool
    counted: bool = True


@dataclass(frozen=True)
class Scale:
    name: str
    title: str
    answers: tuple[Answer, ...]
    lookup: dict[str, Answer]  # normalised label or alias -> answer

    def parse(self, value: object) -> Answer | None:
        """The answer a cell stands for, or None (unknown label)."""
        text = normalise_text(str(value))
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        return self.lookup.get(text)


@dataclass(frozen=True)
class Layout:
    name: str
    scale: str
    unit: str
    overall: str
    respondent_id: str = ""
    submitted_at: str = ""
    answers: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()

    @property
    def answer_columns(self) -> tuple[str, ...]:
        cols = self.answers if self.overall in self.answers else (self.overall, *self.answers)
        return tuple(dict.fromkeys(cols))

    @property
    def required(self) -> tuple[str, ...]:
        return (self.unit, self.overall)

    @property
    def named(self) -> tuple[str, ...]:
        """Every header the layout reads (nothing else in the file is read)."""
        extra = (self.respondent_id, self.submitted_at, *self.comments)
        return tuple(
            dict.fromkeys([*self.required, *self.answer_columns, *(c for c in extra if c)])
        )


@cache
def _spec() -> dict:
    return tomllib.loads(
        resources.files(__package__).joinpath("layout_v1.toml").read_text(encoding="utf-8")
    )


@cache
def scales() -> dict[str, Scale]:
    out = {}
    for name, s in _spec()["scales"].items():
        answers = tuple(
            Answer(
                a["label"],
                float(a["score"]) if a.get("counted", True) else None,
                bool(a.get("satisfied", False)),
                bool(a.get("counted", True)),
            )
            for a in s["answers"]
        )
        lookup: dict[str, Answer] = {}
        for a, raw in zip(answers, s["answers"], strict=True):
            for label in (a.label, *raw.get("aliases", ())):
                lookup[normalise_text(label)] = a
        out[name] = Scale(name, s["title"], answers, lookup)
    return out


def default_layout() -> Layout:
    d = _spec()["default"]
    return Layout(
        d["name"],
        d["scale"],
        d["unit"],
        d["overall"],
        d.get("respondent_id", ""),
        d.get("submitted_at", ""),
        tuple(d.get("answers", ())),
        tuple(d.get("comments", ())),
    )


def load_layouts(config) -> list[Layout]:
    """The default layout, then the configuration's layouts."""
    out = [default_layout()]
    for c in config.survey.layouts:
        out.append(
            Layout(
                c.name,
                c.scale,
                c.unit,
                c.overall,
                c.respondent_id,
                c.submitted_at,
                tuple(c.answers),
                tuple(c.comments),
            )
        )
    return out
