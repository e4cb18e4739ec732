"""Sequence definitions: data in data/sequences.yaml, read once and checked on load."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).parent / "data" / "sequences.yaml"


class DefinitionError(ValueError):
    """sequences.yaml is malformed (raised at load, so a bad edit fails at start-up, not at 3 a.m.)."""


@dataclass(frozen=True)
class StepDef:
    index: int
    day: int
    template: str
    content_key: str
    marketing: bool  # False only for the direct answer to the inquiry (no consent needed under CASL)


@dataclass(frozen=True)
class SequenceDef:
    name: str
    stream: str  # the ruleset stream whose name, documents and codes personalise the content
    steps: tuple[StepDef, ...]


@dataclass(frozen=True)
class Definitions:
    sequences: dict[str, SequenceDef]
    lead_types: dict[str, str]
    fallback: str
    # A classification flag that decides the sequence whatever the stream (`no-permit-needed`: a Canadian
    # citizen or a permanent resident of Canada gets an acknowledgement, never the review sequence's
    # work-permit marketing).
    flags: dict[str, str] = field(default_factory=dict)

    def for_lead(self, primary_stream: str | None, lead_type: str | None,
                 flags: Iterable[str] = ()) -> SequenceDef:
        """The sequence for a classification: by lead type first (employers), then by flag, then by stream."""
        if lead_type and lead_type in self.lead_types:
            return self.sequences[self.lead_types[lead_type]]
        for flag in flags:
            if flag in self.flags:
                return self.sequences[self.flags[flag]]
        return self.sequences.get(primary_stream or "", self.sequences[self.fallback])


def _steps(name: str, stream: str, raw: list[dict[str, Any]]) -> tuple[StepDef, ...]:
    steps: list[StepDef] = []
    last_day = -1
    for index, item in enumerate(raw):
        try:
            day, template, content = int(item["day"]), str(item["template"]), str(item["content"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DefinitionError(f"sequence {name}, step {index}: needs day, template and content") from exc
        if day < last_day:
            raise DefinitionError(f"sequence {name}: steps must be in order of day")
        last_day = day
        steps.append(StepDef(index=index, day=day, template=template,
                             content_key=content.replace("{stream}", stream),
                             marketing=bool(item.get("marketing", True))))
    if not steps:
        raise DefinitionError(f"sequence {name} has no steps")
    return tuple(steps)


@cache
def definitions(path: Path = DATA_FILE) -> Definitions:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sequences = {
        name: SequenceDef(name=name, stream=str(spec["stream"]), steps=_steps(name, str(spec["stream"]), spec["steps"]))
        for name, spec in data["sequences"].items()
    }
    lead_types = {str(k): str(v) for k, v in (data.get("lead_types") or {}).items()}
    flags = {str(k): str(v) for k, v in (data.get("flags") or {}).items()}
    fallback = str(data["fallback"])
    for target in [*lead_types.values(), *flags.values(), fallback]:
        if target not in sequences:
            raise DefinitionError(f"sequence {target!r} is referenced but not defined")
    return Definitions(sequences=sequences, lead_types=lead_types, fallback=fallback, flags=flags)


def get_sequence(name: str) -> SequenceDef | None:
    return definitions().sequences.get(name)
