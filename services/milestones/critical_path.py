"""The critical path method over a project's current plan. Pure, no database.

Earliest dates come forward through the network: a done node at its actual date; an open node `duration` days
after its latest predecessor, never before its own date when that date is a commitment (a start node, or a node
rescheduled or pinned by hand), and never before `as_of` when given (an open node cannot be done in the past).
Latest dates come backward from the projected completion (the latest earliest date). Float is latest minus
earliest in calendar days; the critical nodes are those without float.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.milestones.network import successors, topological_order
from services.milestones.scheduling import CALENDAR_DAYS, Calendar


@dataclass(frozen=True)
class Activity:
    key: str
    duration_days: int
    predecessors: tuple[str, ...]
    planned_date: date
    baseline_date: date
    actual_date: date | None = None
    # The planned date was set by hand (rescheduled, pinned): the node will not happen before it.
    pinned: bool = False


@dataclass(frozen=True)
class Timing:
    key: str
    earliest_date: date
    latest_date: date
    float_days: int
    critical: bool


@dataclass(frozen=True)
class CriticalPath:
    timings: dict[str, Timing]
    path: list[str]
    projected_completion_date: date
    baseline_completion_date: date

    @property
    def slip_days(self) -> int:
        """Days the projected completion lies after the baseline's (negative: ahead)."""
        return (self.projected_completion_date - self.baseline_completion_date).days


def analyse(activities: Sequence[Activity], *, calendar: Calendar = CALENDAR_DAYS,
            as_of: date | None = None) -> CriticalPath:
    """Earliest and latest dates, float and critical nodes, projected completion against the baseline."""
    if not activities:
        raise ValueError("a critical path needs at least one node")
    by_key = {a.key: a for a in activities}
    predecessors = {a.key: tuple(a.predecessors) for a in activities}
    order = topological_order(predecessors)
    after = successors(predecessors)

    earliest: dict[str, date] = {}
    for key in order:
        node = by_key[key]
        if node.actual_date is not None:
            earliest[key] = node.actual_date
            continue
        floors = [calendar.shift(earliest[p], node.duration_days) for p in node.predecessors]
        if node.pinned or not node.predecessors:
            floors.append(node.planned_date)
        if as_of is not None:
            floors.append(as_of)
        earliest[key] = max(floors)

    end = max(earliest.values())
    latest: dict[str, date] = {}
    for key in reversed(order):
        later = [calendar.shift(latest[s], -by_key[s].duration_days) for s in after[key]]
        latest[key] = min(later) if later else end

    timings = {}
    for key in order:
        slack = (latest[key] - earliest[key]).days
        timings[key] = Timing(key=key, earliest_date=earliest[key], latest_date=latest[key],
                              float_days=slack, critical=slack <= 0)
    return CriticalPath(
        timings=timings,
        path=[key for key in order if timings[key].critical],
        projected_completion_date=end,
        baseline_completion_date=max(a.baseline_date for a in activities),
    )
