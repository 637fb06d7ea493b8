"""Node API models."""
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from contracts.milestones import MilestoneStatus
from contracts.registry import Stage
from kit.inputs import Day, Strict, text
from services.milestones.templates.schemas import Trigger
from services.milestones.validation import Evidence, Key, LongText, Text

Person = text(100)


class MilestonePublic(BaseModel):
    id: str
    project_id: str
    key: str
    name: str
    name_en: str | None
    stage: Stage | None
    trigger: Trigger | None
    planned_date: date
    baseline_date: date
    actual_date: date | None
    # its project is suspended since this day: it stands as it did then and comes due never until resumed
    paused_on: date | None = None
    # As of the request's date (today, or `as_of` where a list takes one).
    status: MilestoneStatus
    days_late: int
    # Against the baseline (the first plan), which a reschedule never moves: a node rescheduled and then done on its
    # new date is on time against the plan, and still late against the baseline.
    baseline_status: MilestoneStatus
    baseline_days_late: int
    # Actual (or as-of, while open) minus planned date: negative is ahead of or before the date.
    variance_days: int
    critical: bool
    duration_days: int
    predecessors: list[str]
    responsible_unit_id: str | None
    responsible_person: str | None
    weight: int
    custom: bool
    pinned: bool
    completed_by: str | None
    forced: bool
    evidence: list[str]
    note: str | None
    closed: bool
    version: int
    created_at: datetime
    updated_at: datetime


class MilestoneCreate(Strict):
    """A custom node added to a project's schedule by hand."""

    key: Key
    name: Text
    name_en: Text | None = None
    planned_date: Day
    duration_days: int = Field(default=0, ge=0, le=3650)
    predecessors: list[Key] = Field(default_factory=list, max_length=50)
    stage: Stage | None = None
    trigger: Trigger | None = None
    responsible_unit_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    responsible_person: Person | None = None
    weight: int = Field(default=1, ge=1, le=100)


class MilestoneUpdate(Strict):
    """Reschedule (a new planned date needs a reason; the baseline stays) and/or reassign."""

    planned_date: Day | None = None
    reason: LongText | None = None
    # Move later the open nodes that depend on this one, as far as their durations require.
    cascade: bool = False
    responsible_unit_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    responsible_person: Person | None = None
    name: Text | None = None
    weight: int | None = Field(default=None, ge=1, le=100)


class Completion(Strict):
    actual_date: Day
    evidence: Evidence = Field(default_factory=list, max_length=50)
    note: LongText | None = None
    # Complete although a predecessor is not done (or was done later); needs a reason.
    force: bool = False
    reason: LongText | None = None


class ChangePublic(BaseModel):
    id: int
    action: str
    changes: dict
    reason: str | None
    actor: str
    at: datetime
