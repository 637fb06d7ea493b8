"""Suspension API models."""
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kit.inputs import Day, Strict, text
from services.registry.validation import LongText, Timestamp

# A link to a document (http or https) or the id of one stored with the project (its documents).
EvidenceItem = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000,
                                                pattern=r"^(https?://\S+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                                        r"[0-9a-f]{4}-[0-9a-f]{12})$")]
Evidence = list[EvidenceItem]
ReasonCode = text(40)


class SuspensionStatus(StrEnum):
    requested = "requested"  # 待审核(停工)
    rejected = "rejected"  # 不予停工
    suspended = "suspended"  # 已停工
    resume_requested = "resume_requested"  # 待审核(复工)
    resumed = "resumed"  # 已复工


OPEN = (SuspensionStatus.requested, SuspensionStatus.suspended, SuspensionStatus.resume_requested)
STATUS_LABELS = {"requested": "停工待审核", "rejected": "不予停工", "suspended": "已停工",
                 "resume_requested": "复工待审核", "resumed": "已复工"}


class SuspensionRequest(Strict):
    """A unit asks to suspend its project: why (a configured reason), from when (default today; not in the future),
    until when it expects to resume, with evidence."""

    reason: ReasonCode
    detail: LongText | None = None
    suspend_from: Day | None = None
    expected_resume_on: Day | None = None
    evidence: Evidence = Field(default_factory=list, max_length=50)


class ResumptionRequest(Strict):
    """The unit asks to resume: from when (not in the future), with the project's new planned dates if they move."""

    resume_on: Day
    planned_start_date: Day | None = None
    planned_completion_date: Day | None = None
    note: LongText | None = None
    evidence: Evidence = Field(default_factory=list, max_length=50)


class Decision(Strict):
    """The office's decision on what is pending (a suspension or a resumption)."""

    approve: bool
    comment: LongText | None = None


class Step(BaseModel):
    action: str  # requested, approved, rejected, resume_requested, resume_approved, resume_rejected
    actor: str
    on: date
    at: datetime
    comment: str | None = None


class SuspensionPublic(BaseModel):
    id: str
    project_id: str
    unit_id: str
    status: SuspensionStatus
    status_label: str
    reason: str
    reason_label: str
    detail: str | None
    evidence: list[str]
    suspend_from: date
    expected_resume_on: date | None
    resume_on: date | None
    new_planned_start_date: date | None
    new_planned_completion_date: date | None
    paused_days: int | None  # once resumed
    steps: list[Step]
    created_at: Timestamp
    updated_at: Timestamp


class ReasonPublic(BaseModel):
    code: str
    label: str
