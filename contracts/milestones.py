"""Events the milestones service publishes: schedules and their nodes."""
from datetime import date
from enum import StrEnum

from contracts import topics
from contracts.envelope import EventData


class MilestoneStatus(StrEnum):
    pending = "pending"
    due_soon = "due_soon"
    overdue = "overdue"
    done_on_time = "done_on_time"
    done_late = "done_late"


class ScheduleMode(StrEnum):
    backward = "backward"
    forward = "forward"


class MilestoneState(EventData):
    """A schedule node as consumers need it; days_late is as of the event (actual or today minus planned)."""

    id: str
    project_id: str
    key: str
    name: str
    stage: str | None = None
    planned_date: date
    baseline_date: date
    actual_date: date | None = None
    status: MilestoneStatus
    days_late: int = 0
    # Days late against the baseline (the first plan, never moved by a reschedule).
    baseline_days_late: int = 0
    critical: bool = False
    responsible_unit_id: str | None = None
    responsible_person: str | None = None
    weight: int = 1
    predecessors: list[str] = []
    # The node's version, raised by every change: a consumer keeps the newest it has seen, since a producer that
    # re-feeds a broker which lost its log may deliver an older state after a newer one (None: events from before).
    version: int | None = None


class MilestonePlanned(MilestoneState):
    type = "keyproject.milestones.milestone.planned.v1"
    topic = topics.MILESTONES


class MilestoneRescheduled(MilestoneState):
    type = "keyproject.milestones.milestone.rescheduled.v1"
    topic = topics.MILESTONES
    previous_planned_date: date
    reason: str


class MilestoneCompleted(MilestoneState):
    type = "keyproject.milestones.milestone.completed.v1"
    topic = topics.MILESTONES
    # Who completed it: "manual" (an API call, `forced` past open predecessors) or "registry" (a stage, a real
    # start or the statistics inclusion reported there).
    completed_by: str | None = None
    forced: bool = False
    evidence: list[str] = []
    note: str | None = None


class MilestoneReopened(MilestoneState):
    """A node completed by a registry fact is open again: the registry took the fact back (a stage reverted)."""

    type = "keyproject.milestones.milestone.reopened.v1"
    topic = topics.MILESTONES
    reason: str | None = None


class MilestoneReassigned(MilestoneState):
    """The node's responsible unit or person changed (节点责任化)."""

    type = "keyproject.milestones.milestone.reassigned.v1"
    topic = topics.MILESTONES
    previous_responsible_unit_id: str | None = None
    previous_responsible_person: str | None = None


class MilestoneRemoved(MilestoneState):
    type = "keyproject.milestones.milestone.removed.v1"
    topic = topics.MILESTONES


class MilestoneDueSoon(MilestoneState):
    type = "keyproject.milestones.milestone.due_soon.v1"
    topic = topics.MILESTONES
    as_of: date
    days_until_due: int


class MilestoneOverdue(MilestoneState):
    """Emitted once per node per threshold crossed (1, 15, 30 days late by default)."""

    type = "keyproject.milestones.milestone.overdue.v1"
    topic = topics.MILESTONES
    as_of: date
    threshold_days: int


class ScheduleGenerated(EventData):
    """A schedule was generated or regenerated: `milestones` is the project's whole node set from now on."""

    type = "keyproject.milestones.schedule.generated.v1"
    topic = topics.MILESTONES
    project_id: str
    template: str
    mode: ScheduleMode
    anchor_date: date
    projected_completion_date: date | None = None
    milestones: list[MilestoneState]
