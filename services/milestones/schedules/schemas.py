"""Schedule API models: the generation request, the schedule view and its critical path."""
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from contracts.milestones import ScheduleMode
from kit.inputs import Day, Strict
from services.milestones.nodes.schemas import MilestonePublic, Person
from services.milestones.scheduling import CalendarKind
from services.milestones.validation import Key, LongText


class NodeOverride(Strict):
    duration_days: int | None = Field(default=None, ge=0, le=3650)
    # Pin the node on this date; the other nodes are derived around it.
    planned_date: Day | None = None
    responsible_unit_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    responsible_person: Person | None = None
    weight: int | None = Field(default=None, ge=1, le=100)


class ScheduleRequest(Strict):
    """Generate a project's schedule from a template.

    backward (倒排): `anchor_date` (default: the planned completion date) is the target the nodes are derived back
    from; forward: from a start date (default: the planned start date). `anchor_key` names the node that falls on
    the anchor date; by default the completion-acceptance node backward and the construction-start node forward
    when the template has them, else the end nodes (backward) or the start nodes (forward); send null for those.
    """

    template: Key | None = None
    mode: ScheduleMode = ScheduleMode.backward
    anchor_date: Day | None = None
    anchor_key: Key | None = None
    calendar: CalendarKind | None = None
    overrides: dict[Key, NodeOverride] = Field(default_factory=dict, max_length=200)
    # Template nodes this project does not need; the nodes after them inherit their predecessors.
    omit: list[Key] = Field(default_factory=list, max_length=200)
    # Needed to regenerate an existing schedule: done nodes stay, open ones move (baselines stay), others go.
    reason: LongText | None = None
    # Planned from the project's own dates (no anchor_date), open nodes whose date has already passed are planned
    # from today; false keeps the derived dates (a plan entered as it was drawn up).
    replan_past: bool = True


class SchedulePublic(BaseModel):
    project_id: str
    template: str
    template_version: int
    mode: ScheduleMode
    anchor_date: date
    anchor_key: str | None
    calendar: CalendarKind
    revision: int
    generated_by: str
    generated_at: datetime
    closed: bool
    projected_completion_date: date
    baseline_completion_date: date
    slip_days: int
    # The day open nodes whose derived date had passed were planned from, when generation did so.
    replanned_from: date | None
    # What the office should know about this plan (in Chinese): nodes planned from today, a start later than the
    # project's own planned start.
    notes: list[str]
    milestones: list[MilestonePublic]


class NodeTiming(BaseModel):
    id: str
    key: str
    name: str
    duration_days: int
    predecessors: list[str]
    planned_date: date
    baseline_date: date
    actual_date: date | None
    earliest_date: date
    latest_date: date
    float_days: int
    critical: bool


class CriticalPathPublic(BaseModel):
    project_id: str
    as_of: date
    projected_completion_date: date
    baseline_completion_date: date
    # Projected minus baseline completion, in days: positive is late.
    slip_days: int
    critical_path: list[str]
    nodes: list[NodeTiming]
