"""When the daily scan must next look at a project: the first day on which its evaluation may differ by the date alone.

A project with a finding is looked at every day (its messages count days). One without is left until the first day
a rule may find something or its grade may change, as each rule tells (`Rule.finds_from`). What changes the facts
evaluates the project at once and leaves it due (an event, a task changed); what changes the rules themselves or a
fact outside the project row (the thresholds, a reporting round) makes projects due again with `mark_due`.
"""
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.models import ProjectFact
from services.alerts.rules.definitions import earliest, first_day_below, investment_ratio
from services.alerts.rules.facts import ProjectFacts

NEVER = date.max  # nothing but a change of the facts will change the evaluation


def is_due(evaluated_on: date | None, due_on: date | None, as_of: date) -> bool:
    """Whether a scan for `as_of` must evaluate the project: what an evaluation found holds from the day it was made
    until `due_on`, and for no day before it (a scan for an earlier day evaluates)."""
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


def next_due(facts: ProjectFacts, findings: dict, checks: list, as_of: date, *, faster_ratio,
             also: date | None = None) -> date:
    """The day the scan must next evaluate a project it evaluated today without changing anything. `checks`: the
    enabled (rule, thresholds) pairs; `also`: a day that concerns every project (the next round deadline)."""
    dates = [also, grade_changes_from(facts, as_of, faster_ratio)]
    for rule, limits in checks:
        if findings.get(rule.name) is None:
            dates.append(rule.finds_from(facts, limits, as_of))
        elif rule.dated:
            return as_of + timedelta(days=1)
    return earliest(dates) or NEVER


async def mark_due(session: AsyncSession, *where) -> None:
    """Projects (all, or those `where` selects) the next scan evaluates whatever their day."""
    await session.execute(update(ProjectFact).where(ProjectFact.due_on.is_not(None), *where).values(due_on=None),
                          execution_options={"synchronize_session": False})  # read by statements only
