"""Delay attribution over one project's nodes. Pure, no database.

Every late node is charged its own days late (against the current plan and against the baseline) to the unit
responsible for it. A project whose projected completion slips past its baseline has that slip attributed along its
critical path: walking back from the node that ends the project through the predecessor that bound each node's date
(the latest one), each node is charged the slip it added to what had been lost before it, and no more of a
predecessor's loss than reached the end (float absorbs the rest). The charges add up to the slip. A late node off
that path is charged its lateness only, never the project's slip.
"""
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from services.milestones.critical_path import Activity, analyse
from services.milestones.scheduling import CALENDAR_DAYS, Calendar


@dataclass(frozen=True)
class NodeDelay:
    key: str
    days_late: int           # past its current planned date (done late, or open and overdue as of the day)
    baseline_days_late: int  # the same against its baseline (no reschedule moves it)
    slip_days: int           # the project's slip this node added on the critical path; 0 off it


@dataclass(frozen=True)
class ProjectDelay:
    slip_days: int  # projected completion minus the baseline's; > 0 late
    nodes: dict[str, NodeDelay]


def _late(reference: date, actual: date | None, as_of: date) -> int:
    return max(((actual or as_of) - reference).days, 0)


def attribute(activities: Sequence[Activity], *, as_of: date, calendar: Calendar = CALENDAR_DAYS) -> ProjectDelay:
    """The delay of every node of a project as of a day, and the project's slip attributed along its critical path.
    A node done after the day was still open on it."""
    activities = [a if a.actual_date is None or a.actual_date <= as_of else replace(a, actual_date=None)
                  for a in activities]
    path = analyse(activities, calendar=calendar, as_of=as_of)
    by_key = {a.key: a for a in activities}
    # How far each node's (actual or projected) date lies after its baseline.
    lost = {key: (timing.earliest_date - by_key[key].baseline_date).days for key, timing in path.timings.items()}
    added: dict[str, int] = {}
    if path.slip_days > 0:
        earliest = {key: timing.earliest_date for key, timing in path.timings.items()}
        ends = [k for k in by_key if earliest[k] == path.projected_completion_date]
        current: str | None = max(ends, key=lambda k: (lost[k], k))
        carried = max(lost[current], 0)  # the slip still to attribute, from here back
        while current is not None:
            behind = by_key[current].predecessors
            previous = max(behind, key=lambda p: (earliest[p], lost[p], p)) if behind else None
            reached = min(max(lost[previous], 0), carried) if previous else 0
            added[current] = carried - reached
            carried, current = reached, previous
    nodes = {a.key: NodeDelay(key=a.key, days_late=_late(a.planned_date, a.actual_date, as_of),
                              baseline_days_late=_late(a.baseline_date, a.actual_date, as_of),
                              slip_days=added.get(a.key, 0))
             for a in activities}
    return ProjectDelay(slip_days=path.slip_days, nodes=nodes)
