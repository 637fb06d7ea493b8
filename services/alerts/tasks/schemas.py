"""Task and problem API models."""
from datetime import date, datetime
from enum import StrEnum

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from contracts.alerts import EscalationLevel, TaskSource, TaskStatus
from contracts.registry import ProblemType
from kit.inputs import Day, Strict, WebLink
from services.alerts.schemas import Id, LongText, Text


PROBLEM_NAMES = {ProblemType.approval: "审批", ProblemType.land: "用地", ProblemType.funding: "资金",
                 ProblemType.environment: "环保", ProblemType.demolition: "征迁", ProblemType.energy: "能耗指标",
                 ProblemType.other: "其他"}


class TaskCreate(Strict):
    """A task opened by hand; the unit defaults to the project's responsible unit."""

    title: Text
    description: LongText | None = None
    project_id: Id | None = None
    unit_id: Id | None = None
    deadline: Day | None = None


def _empty_if_null(value):
    """A list column that rows written before it existed hold as NULL: read as an empty list."""
    return value or []


class Feedback(Strict):
    feedback: LongText
    # Photos or documents the unit shows: links (the registry's document store, or the office's own).
    evidence: list[WebLink] = Field(default_factory=list, max_length=50)


class Closing(Strict):
    verification_note: LongText


class Returning(Strict):
    reason: LongText


class Escalation(Strict):
    reason: LongText


class TaskChangePublic(BaseModel):
    action: str
    status: TaskStatus
    escalation_level: EscalationLevel
    note: str | None
    as_of: date
    actor: str
    at: datetime


class TaskPublic(BaseModel):
    id: str
    project_id: str | None
    unit_id: str
    title: str
    description: str | None
    deadline: date
    status: TaskStatus
    escalation_level: EscalationLevel
    escalated_on: date | None
    source: TaskSource
    alert_id: str | None
    rule: str | None
    problem_id: str | None
    problem_type: str | None
    resolvable: bool
    on_hold: bool = False  # its project is suspended (停工): the task waits
    opened_on: date
    closed_on: date | None
    feedback: str | None
    evidence: Annotated[list[str], BeforeValidator(_empty_if_null)] = []  # links to the photos and documents of the feedback
    verification_note: str | None
    return_reason: str | None
    opened_by: str
    created_at: datetime


class TaskDetail(TaskPublic):
    history: list[TaskChangePublic]


class ProblemCreate(Strict):
    type: ProblemType
    description: LongText
    solving_unit_id: Id
    deadline: Day | None = None


class ProblemStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    solved = "solved"
    escalated = "escalated"


class ProblemMove(Strict):
    status: ProblemStatus
    note: LongText | None = None


class ProblemPublic(BaseModel):
    id: str
    project_id: str
    type: ProblemType
    description: str
    solving_unit_id: str
    task_id: str
    reported_by: str
    reported_on: date
    status: ProblemStatus = ProblemStatus.open
    status_changed_on: date | None = None
    age_days: int | None = None  # days since it was reported, as of the list's date
    history: Annotated[list[dict], BeforeValidator(_empty_if_null)] = []
    task: TaskPublic | None = None
