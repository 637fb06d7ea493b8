"""When the daily scan must next look at a project: the first day on which its evaluation may differ by the date alone.

A project is left until the first day a rule may find otherwise (something where it found nothing, another colour,
another wording) or its grade may change, as each rule tells (`Rule.changes_from`): the days its alerts count are in
their wording, rendered for the day shown, so they change no row and need no event. What changes the facts
evaluates the project at once and leaves it due (an event, a task changed); what changes the rules themselves or a
fact outside the project row (the thresholds, a reporting round) makes projects due again with `mark_due`.
"""
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import one_of
from services.alerts.models import ProjectFact, ScanRun
from services.alerts.rules.definitions import earliest, first_day_below, investment_ratio
from services.alerts.rules.facts import ProjectFacts

NEVER = date.max  # nothing but a change of the facts will change the evaluation


def is_due(evaluated_on: date | None, due_on: date | None, as_of: date) -> bool:
    """Whether a scan for `as_of` must evaluate the project: what an evaluation found holds from the day it was made
    until `due_on`, and for no day before it (a scan for an earlier day evaluates). A project left is not written:
    `evaluated_days` tells the day it was last looked at."""
    return due_on is None or evaluated_on is None or not evaluated_on <= as_of < due_on


def grade_changes_from(facts: ProjectFacts, as_of: date, faster_ratio) -> date | None:
    """For a blue project: the first later day on which its grade may change by the date alone (a node turns late, its
    investment ratio falls below the bar of 快 or the year ends, its year begins)."""
    dates = [node.planned_date + timedelta(days=1) for node in facts.nodes if node.planned_date >= as_of]
    ratio = investment_ratio(facts, as_of)
    if ratio is not None and ratio >= Fraction(faster_ratio):
        dates.append(first_day_below(facts, faster_ratio, as_of) or date(as_of.year + 1, 1, 1))
    elif facts.year > as_of.year and facts.annual_plan_investment > 0:
        dates.append(date(facts.year, 1, 1))
    return earliest(dates)


def next_due(facts: ProjectFacts, checks: list, as_of: date, *, faster_ratio,
             also: date | None = None) -> date:
    """The day the scan must next evaluate a project it evaluated today without changing anything. `checks`: the
    enabled (rule, thresholds) pairs; `also`: another day that concerns it (the next round deadline, the end of its
    days as newly entered)."""
    dates = [also, grade_changes_from(facts, as_of, faster_ratio)]
    dates.extend(rule.changes_from(facts, limits, as_of) for rule, limits in checks)
    return earliest(dates) or NEVER


def _scanned():
    """The day of the last finished scan that found a project's evaluation still holding (before its `due_on`): a
    scan leaves such a project as it is, rather than rewrite a hundred thousand rows a day to say it looked."""
    return (select(func.max(ScanRun.as_of)).where(ScanRun.finished_at.is_not(None), ScanRun.as_of < ProjectFact.due_on)
            .correlate(ProjectFact).scalar_subquery())


async def evaluated_days(session: AsyncSession, ids) -> dict[str, date]:
    """The day each of these projects was last evaluated for: by an evaluation, or by a later scan that left it."""
    rows = (await session.execute(select(ProjectFact.id, ProjectFact.evaluated_on, _scanned()).where(
        one_of(session, ProjectFact.id, ids), ProjectFact.evaluated_on.is_not(None)))).all()
    return {project: max(evaluated, scanned or evaluated) for project, evaluated, scanned in rows}


async def mark_due(session: AsyncSession, *where) -> None:
    """Projects (all, or those `where` selects) the next scan evaluates whatever their day; the day each was last
    evaluated for is kept, as the scans that left it would no longer tell."""
    scanned = _scanned()
    await session.execute(update(ProjectFact).where(ProjectFact.due_on.is_not(None), *where).values(
        evaluated_on=case((scanned > ProjectFact.evaluated_on, scanned), else_=ProjectFact.evaluated_on), due_on=None),
        execution_options={"synchronize_session": False})  # read by statements only
