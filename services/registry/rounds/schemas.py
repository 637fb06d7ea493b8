"""Reporting round API models."""
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts.registry import ProblemType
from contracts.types import Money
from kit.inputs import Amount, Day, Month, Strict
from services.registry.suspensions.schemas import Evidence
from services.registry.validation import LongText, Timestamp



class ReportStatus(StrEnum):
    submitted = "submitted"  # 已报送，待审核
    returned = "returned"  # 退回修改
    approved = "approved"  # 已审核


STATUS_LABELS = {"submitted": "已报送", "returned": "已退回", "approved": "已审核", "missing": "未报"}


class RoundCreate(Strict):
    """Open the round of a month (the month reported) with its deadline (default: KP_REPORTING_ROUND_DAYS after
    today)."""

    period: Month
    deadline: Day | None = None


class Problem(Strict):
    type: ProblemType
    description: LongText


class ReportIn(Strict):
    """A project's report: the month's completed investment (万元), progress, site photos (links or stored document
    ids), problems met, next month's plan."""

    investment: Amount
    progress: LongText
    photos: Evidence = Field(default_factory=list, max_length=20)
    problems: list[Problem] = Field(default_factory=list, max_length=20)
    next_plan: LongText | None = None


class Decision(Strict):
    approve: bool
    comment: LongText | None = None


class Step(BaseModel):
    action: str  # submitted, resubmitted, returned, approved
    actor: str
    on: date
    comment: str | None = None


class ReportPublic(BaseModel):
    id: str
    round_id: str
    period: str
    project_id: str
    unit_id: str
    status: ReportStatus
    status_label: str
    investment: Money
    progress: str
    next_plan: str | None
    photos: list[str]
    problems: list[dict]
    submitted_on: date
    first_submitted_on: date
    late: bool
    steps: list[Step]
    updated_at: Timestamp


class UnitStanding(BaseModel):
    """A unit in a round: its projects, who reported on time, late, not at all (未报)."""

    unit_id: str
    unit_name: str
    expected: int
    reported: int
    on_time: int
    late: int
    missing: int
    approved: int
    returned: int
    missing_projects: list[dict]  # {id, code, name}


class RoundSummary(BaseModel):
    id: str
    period: str
    year: int
    deadline: date
    opened_on: date
    opened_by: str


class RoundPublic(RoundSummary):
    closed: bool  # past its deadline
    expected: int
    reported: int
    approved: int
    returned: int
    late: int
    missing: int
    units: list[UnitStanding]
