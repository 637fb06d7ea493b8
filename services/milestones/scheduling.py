"""Reverse (倒排) and forward scheduling of a node network over calendar or working days. Pure, no database.

A node's duration is the time from its last predecessor to the node itself (the work leading up to it):
forward, a node falls `duration` days after its latest predecessor (a start node `duration` days after the
anchor); backward, a node falls on the earliest of its successors' dates less their durations.
"""
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

from contracts.milestones import ScheduleMode as Mode
from services.milestones.network import ancestors, successors, topological_order

ONE_DAY = timedelta(days=1)


class CalendarKind(StrEnum):
    calendar = "calendar"
    working = "working"


class Calendar:
    """Calendar days: every day counts."""

    kind = CalendarKind.calendar

    def is_working(self, day: date) -> bool:
        return True

    def shift(self, day: date, days: int) -> date:
        """The date `days` days after `day` (before it when negative)."""
        return day + timedelta(days=days)

    def roll(self, day: date, *, later: bool) -> date:
        """`day` itself when it is a working day, else the next (later) or previous working day."""
        return day


@dataclass(frozen=True)
class WorkingCalendar(Calendar):
    """Working days as Chinese offices count them: with `official`, the State Council's holidays and make-up days
    (调休) from the maintained `chinesecalendar` data; listed holidays and make-up days override it; years the data
    does not cover yet (and `official` off) count weekends only."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    official: bool = False
    kind = CalendarKind.working

    def is_working(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        if self.official:
            official = _official_workday(day)
            if official is not None:
                return official
        return day.weekday() < 5

    def roll(self, day: date, *, later: bool) -> date:
        step = ONE_DAY if later else -ONE_DAY
        while not self.is_working(day):
            day += step
        return day

    def shift(self, day: date, days: int) -> date:
        """The `days`-th working day after `day` (before it when negative); 0 rolls to a working day."""
        if days == 0:
            return self.roll(day, later=True)
        step = ONE_DAY if days > 0 else -ONE_DAY
        remaining = abs(days)
        while remaining:
            day += step
            if self.is_working(day):
                remaining -= 1
        return day


@functools.lru_cache(maxsize=16384)
def _official_workday(day: date) -> bool | None:
    """Whether the official calendar counts `day` a working day, None for a year not published yet. Remembered: the
    library checks its argument at length on each call, and a shift by working days asks day after day."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


CALENDAR_DAYS = Calendar()


def working_calendar(*, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = (),
                     official: bool = False) -> WorkingCalendar:
    return WorkingCalendar(holidays=frozenset(holidays), extra_workdays=frozenset(extra_workdays), official=official)


@dataclass(frozen=True)
class PlanNode:
    key: str
    duration_days: int
    predecessors: tuple[str, ...] = ()


def plan(nodes: Sequence[PlanNode], *, mode: Mode, anchor: date, anchor_key: str | None = None,
         calendar: Calendar = CALENDAR_DAYS, pinned: Mapping[str, date] | None = None) -> dict[str, date]:
    """Planned date of every node.

    Without `anchor_key`: backward puts every end node on `anchor` and derives the others backwards (as late as
    possible); forward starts every start node from `anchor` and derives the others forwards (as soon as possible).
    With `anchor_key` (either mode): that node falls on `anchor`, the nodes it depends on are derived backwards
    from it and every other node forwards. A `pinned` node keeps its given date and the others flow around it.
    """
    pinned = dict(pinned or {})
    predecessors = {n.key: tuple(n.predecessors) for n in nodes}
    duration = {n.key: n.duration_days for n in nodes}
    order = topological_order(predecessors)
    after = successors(predecessors)
    dates: dict[str, date] = {}

    def backward_over(members: set[str], sink_date: date) -> None:
        for key in reversed(order):
            if key not in members:
                continue
            if key in pinned:
                dates[key] = pinned[key]
                continue
            later = [calendar.shift(dates[s], -duration[s]) for s in after[key] if s in members]
            dates[key] = min(later) if later else sink_date

    def forward_over(members: set[str], start: date) -> None:
        for key in order:
            if key not in members:
                continue
            if key in pinned:
                dates[key] = pinned[key]
                continue
            earlier = [dates[p] for p in predecessors[key]]
            base = max(earlier) if earlier else start
            dates[key] = calendar.shift(base, duration[key])

    if anchor_key is None and mode is Mode.backward:
        backward_over(set(order), calendar.roll(anchor, later=False))
    elif anchor_key is None:
        forward_over(set(order), calendar.roll(anchor, later=True))
    else:
        before = ancestors(predecessors, anchor_key) | {anchor_key}
        pinned.setdefault(anchor_key, calendar.roll(anchor, later=mode is Mode.forward))
        backward_over(before, pinned[anchor_key])
        # Start nodes unrelated to the anchor start with the earliest derived date.
        forward_over(set(order) - before, min(dates.values()))
    return {key: dates[key] for key in order}


def push_later(nodes: Sequence[PlanNode], planned: Mapping[str, date], *, moved_from: Iterable[str],
               done: Mapping[str, date] | None = None, calendar: Calendar = CALENDAR_DAYS) -> dict[str, date]:
    """Dates after moving the `moved_from` nodes: each node after them (their successors, transitively) moves later
    only as far as its predecessors now require. Done nodes never move, and drive their successors by their actual
    date, never by a stale plan; nodes not after a moved one are left as they are. Returns the nodes that moved."""
    done = dict(done or {})
    predecessors = {n.key: tuple(n.predecessors) for n in nodes}
    duration = {n.key: n.duration_days for n in nodes}
    dates = {**planned, **done}
    after = set(moved_from)
    moved: dict[str, date] = {}
    for key in topological_order(predecessors):
        if not any(p in after for p in predecessors[key]):
            continue
        after.add(key)
        if key in done:
            continue
        needed = max(calendar.shift(dates[p], duration[key]) for p in predecessors[key])
        if needed > dates[key]:
            dates[key] = moved[key] = needed
    return moved


def from_day(nodes: Sequence[PlanNode], planned: Mapping[str, date], *, day: date, fixed: Mapping[str, date],
             lead_days: int = 0, calendar: Calendar = CALENDAR_DAYS) -> dict[str, date]:
    """Dates of the open nodes planned from `day`: a node whose date has already passed falls its duration (at least
    `lead_days`) after `day`, and each node after a moved one moves as far as its predecessors now require. `fixed`
    nodes (done, pinned) keep their dates. Returns the nodes that moved."""
    predecessors = {n.key: tuple(n.predecessors) for n in nodes}
    duration = {n.key: n.duration_days for n in nodes}
    dates = {**planned, **fixed}
    moved: dict[str, date] = {}
    for key in topological_order(predecessors):
        if key in fixed:
            continue
        needed = [calendar.shift(dates[p], duration[key]) for p in predecessors[key] if p in moved]
        if dates[key] < day:
            needed.append(calendar.shift(day, max(duration[key], lead_days)))
        if needed and max(needed) > dates[key]:
            dates[key] = moved[key] = max(needed)
    return moved
