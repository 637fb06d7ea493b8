"""Lifecycle API models."""
from datetime import date

from pydantic import BaseModel, Field

from contracts.registry import Stage, StartKind
from kit.inputs import Day, Strict, text
from services.registry.validation import LongText

Evidence = list[text(1000)]


class TransitionRequest(Strict):
    to_stage: Stage
    date: Day
    note: LongText | None = None
    evidence: Evidence = Field(default_factory=list, max_length=50)
    # Dates of the stages skipped over (a project entered late, already started).
    skipped_dates: dict[Stage, date] = Field(default_factory=dict)
    # Required when going back (admin only).
    reason: LongText | None = None


class StartConfirmation(Strict):
    kind: StartKind
    date: Day
    evidence: Evidence = Field(min_length=1, max_length=50)
    note: LongText | None = None


class TransitionPublic(BaseModel):
    from_stage: Stage
    to_stage: Stage
    date: date
    note: str | None
    evidence: list[str]
    backwards: bool
    actor: str
