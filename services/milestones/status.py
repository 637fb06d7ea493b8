"""A node's status and lateness as of a date, and the alert levels the daily scan crosses. Pure, no database.

Alert levels are days late on one axis: due soon is -N (N days before the planned date), overdue thresholds are
1, 15, 30 by default. A node's `next_alert_date` is its planned date plus the next level it has not crossed yet;
the scan picks exactly the nodes whose next alert date has come.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.milestones import MilestoneStatus


@dataclass(frozen=True)
class Standing:
    status: MilestoneStatus
    days_late: int       # 0 unless late: days past the planned date (today or the actual date)
    variance_days: int   # actual (or as_of, while open) minus planned; negative = ahead of or before the date


def standing(*, planned: date, actual: date | None, as_of: date, due_soon_days: int,
             paused_on: date | None = None) -> Standing:
    """Where a node stands as of a date. A node of a suspended project (paused since `paused_on`) does not age: it
    stands as it did that day, and nothing comes due while it is paused."""
    if actual is not None:
        variance = (actual - planned).days
        status = MilestoneStatus.done_late if variance > 0 else MilestoneStatus.done_on_time
        return Standing(status, max(variance, 0), variance)
    if paused_on is not None:
        as_of = min(as_of, paused_on)
    variance = (as_of - planned).days
    if variance > 0:
        return Standing(MilestoneStatus.overdue, variance, variance)
    if -variance <= due_soon_days and paused_on is None:
        return Standing(MilestoneStatus.due_soon, 0, variance)
    return Standing(MilestoneStatus.pending, 0, variance)


def alert_levels(*, due_soon_days: int, overdue_thresholds: Sequence[int]) -> list[int]:
    """The levels in days late, ascending: -due_soon_days, then each overdue threshold."""
    return sorted({-due_soon_days, *(t for t in overdue_thresholds if t > 0)})


def first_alert_date(planned: date, levels: Sequence[int]) -> date:
    """When a node planned on `planned` crosses its first level."""
    return planned + timedelta(days=levels[0])


@dataclass(frozen=True)
class Crossing:
    level: int | None             # the highest level newly crossed (what is emitted); None: nothing new
    next_alert_date: date | None  # when the next level is crossed, None after the last


def crossing(*, planned: date, next_alert_date: date, as_of: date, levels: Sequence[int]) -> Crossing:
    """The highest level newly crossed as of `as_of` (lower ones crossed at the same time are not emitted apart).

    The level is None when nothing was crossed since the next alert date was set (the levels were reconfigured).
    """
    days_late = (as_of - planned).days
    already = (next_alert_date - planned).days  # the lowest level not yet crossed when it was set
    crossed = [level for level in levels if already <= level <= days_late]
    upcoming = [level for level in levels if level > days_late]
    following = planned + timedelta(days=upcoming[0]) if upcoming else None
    return Crossing(level=crossed[-1] if crossed else None, next_alert_date=following)
