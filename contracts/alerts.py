"""Events the alerts service publishes: alerts, project status, supervision tasks."""
import re
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

from pydantic import Field

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
    suspended = "suspended"  # 暂停: approved suspension, not graded until it resumes


class AlertStatus(StrEnum):
    active = "active"
    acknowledged = "acknowledged"
    resolved = "resolved"


# An alert's wording is its message with what changes by the date alone left as placeholders, so a reader shows it
# for the day it shows without an event a day: {days:YYYY-MM-DD} the days since that date, {share} the share of the
# year elapsed at the end of the day (44.1%), {ratio:P/Q} the completion P/Q over that share (0.50); {{ and }} are
# braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(days|share|ratio)(?::([0-9/-]+))?\}")


@lru_cache(maxsize=64)
def year_share(day: date) -> Fraction:
    """The share of the calendar year elapsed at the end of `day`."""
    return Fraction(day.timetuple().tm_yday, (date(day.year + 1, 1, 1) - date(day.year, 1, 1)).days)


def percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.1f}%"


def render(wording: str, day: date) -> str:
    """An alert's message as of `day` (on or after the day it was worded) from its wording."""
    def value(match: re.Match) -> str:
        name, argument = match.groups()
        if name is None:
            return match.group()[0]
        if name == "days":
            return str((day - date.fromisoformat(argument)).days)
        if name == "share":
            return percent(year_share(day))
        numerator, denominator = argument.split("/")
        share = year_share(day)  # int / int is correctly rounded, as float(Fraction) is
        return f"{int(numerator) * share.denominator / (int(denominator) * share.numerator):.2f}"
    return _PLACEHOLDER.sub(value, wording)


def message_on(wording: str | None, message: str, as_of: date, day: date) -> str:
    """An alert's message for `day`, from what an event carries (or a copy of it): the wording rendered, never for a
    day before `as_of` (when it was worded), or the message itself when it came without a wording (an event written
    before wordings were carried)."""
    return render(wording, max(as_of, day)) if wording else message


def literal(text: str) -> str:
    """Text (a name, a title) as it stands in a wording."""
    return text.replace("{", "{{").replace("}", "}}")


class AlertState(EventData):
    """One alert of a rule; `project_id` is the project, or the parcel's id for a parcel linked to no project."""

    id: str
    project_id: str
    unit_id: str | None = None
    rule: str
    colour: Colour
    # As of `as_of`. A day count in it is not announced again as the days pass: read `wording` for a later day.
    message: str
    status: AlertStatus
    raised_on: date
    as_of: date
    # Set for the idle-parcel rule: the parcel the alert is about.
    parcel_id: str | None = None
    # Where the case was referred beyond the unit, e.g. "supervision" (监察) for a large budget overrun.
    escalated_to: str | None = None
    wording: str | None = Field(None, description=(
        "The message with what changes by the date alone as placeholders; absent in events written before it was "
        "carried. {days:YYYY-MM-DD}: the days since that date; {share}: the share of the year elapsed at the end of "
        "the day shown, as a percentage with one decimal; {ratio:P/Q}: the fraction P/Q divided by that share, with "
        "two decimals; {{ and }}: literal braces. Rendered for `as_of` it is `message`."))


class AlertRaised(AlertState):
    type = "keyproject.alerts.alert.raised.v1"
    topic = topics.ALERTS


class AlertEscalated(AlertState):
    """An active alert turned from yellow to red."""

    type = "keyproject.alerts.alert.escalated.v1"
    topic = topics.ALERTS


class AlertUpdated(AlertState):
    """An active alert's reason or facts changed (e.g. the overdue node, the rate completed) at the same colour; days
    passing alone are not announced (see `wording`)."""

    type = "keyproject.alerts.alert.updated.v1"
    topic = topics.ALERTS


class AlertResolved(AlertState):
    type = "keyproject.alerts.alert.resolved.v1"
    topic = topics.ALERTS


class AlertAcknowledged(AlertState):
    """A user has seen the alert and noted what is being done; it stays active until its condition clears."""

    type = "keyproject.alerts.alert.acknowledged.v1"
    topic = topics.ALERTS
    acknowledged_by: str
    note: str


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
    round = "round"  # a unit that had not reported in a monthly reporting round by its deadline (未报)


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
    # The rule of the alert that opened it (source alert), the kind of problem (source problem).
    rule: str | None = None
    problem_type: str | None = None
    # Its alert has cleared: it only waits for the supervisor's verification (销号).
    resolvable: bool = False
    # Its project is suspended (停工): the task waits, it is neither late nor escalated until the project resumes.
    on_hold: bool = False


class TaskOpened(TaskState):
    type = "keyproject.alerts.task.opened.v1"
    topic = topics.ALERTS


class TaskFeedback(TaskState):
    type = "keyproject.alerts.task.feedback.v1"
    topic = topics.ALERTS
    feedback: str
    # Evidence the unit gave with its answer: photos and documents (URIs or the ids of stored documents).
    evidence: list[str] = []
    # The business day of the answer (absent in events written before it was carried).
    answered_on: date | None = None


class TaskClosed(TaskState):
    """销号: closed by a supervisor after verification."""

    type = "keyproject.alerts.task.closed.v1"
    topic = topics.ALERTS
    verification_note: str


class TaskReturned(TaskState):
    type = "keyproject.alerts.task.returned.v1"
    topic = topics.ALERTS
    reason: str
    # The business day it was returned (absent in events written before it was carried).
    returned_on: date | None = None


class TaskEscalated(TaskState):
    type = "keyproject.alerts.task.escalated.v1"
    topic = topics.ALERTS
    as_of: date
    days_late: int
    # Who the case now goes to: the unit's head, the project's lead leader by name, or 问责.
    escalated_to: str | None = None


class TaskHoldChanged(TaskState):
    """The task was put on hold (its project suspended) or taken off it (resumed: its deadline moved by the pause)."""

    type = "keyproject.alerts.task.hold_changed.v1"
    topic = topics.ALERTS
    as_of: date


class TaskResolvableChanged(TaskState):
    """The task's alert cleared (resolvable: it only waits for 销号), or it turned red again (no longer resolvable)."""

    type = "keyproject.alerts.task.resolvable_changed.v1"
    topic = topics.ALERTS
    as_of: date
