"""Events the alerts service publishes: alerts, project status, supervision tasks."""
from datetime import date
from enum import StrEnum

from contracts import topics
from contracts.envelope import EventData


class Colour(StrEnum):
    blue = "blue"
    yellow = "yellow"
    red = "red"


class Grade(StrEnum):
    faster = "faster"
    normal = "normal"
    warning = "warning"
    lagging = "lagging"


class AlertStatus(StrEnum):
    active = "active"
    acknowledged = "acknowledged"
    resolved = "resolved"


class AlertState(EventData):
    id: str
    project_id: str
    unit_id: str | None = None
    rule: str
    colour: Colour
    message: str
    status: AlertStatus
    raised_on: date
    as_of: date


class AlertRaised(AlertState):
    type = "keyproject.alerts.alert.raised.v1"
    topic = topics.ALERTS


class AlertEscalated(AlertState):
    """An active alert turned from yellow to red."""

    type = "keyproject.alerts.alert.escalated.v1"
    topic = topics.ALERTS


class AlertResolved(AlertState):
    type = "keyproject.alerts.alert.resolved.v1"
    topic = topics.ALERTS


class ProjectStatusChanged(EventData):
    type = "keyproject.alerts.project.status_changed.v1"
    topic = topics.ALERTS
    project_id: str
    unit_id: str | None = None
    from_colour: Colour
    to_colour: Colour
    from_grade: Grade
    to_grade: Grade
    as_of: date


class TaskStatus(StrEnum):
    open = "open"
    feedback_submitted = "feedback_submitted"
    closed = "closed"


class TaskSource(StrEnum):
    alert = "alert"
    problem = "problem"
    manual = "manual"


class EscalationLevel(StrEnum):
    none = "none"
    unit_head = "unit_head"
    lead_leader = "lead_leader"
    accountability = "accountability"


class TaskState(EventData):
    id: str
    project_id: str | None = None
    unit_id: str
    title: str
    deadline: date
    status: TaskStatus
    escalation_level: EscalationLevel = EscalationLevel.none
    source: TaskSource
    alert_id: str | None = None
    problem_id: str | None = None
    opened_on: date
    closed_on: date | None = None


class TaskOpened(TaskState):
    type = "keyproject.alerts.task.opened.v1"
    topic = topics.ALERTS


class TaskFeedback(TaskState):
    type = "keyproject.alerts.task.feedback.v1"
    topic = topics.ALERTS
    feedback: str


class TaskClosed(TaskState):
    """销号: closed by a supervisor after verification."""

    type = "keyproject.alerts.task.closed.v1"
    topic = topics.ALERTS
    verification_note: str


class TaskReturned(TaskState):
    type = "keyproject.alerts.task.returned.v1"
    topic = topics.ALERTS
    reason: str


class TaskEscalated(TaskState):
    type = "keyproject.alerts.task.escalated.v1"
    topic = topics.ALERTS
    as_of: date
    days_late: int
