"""Evaluate named projects or parcels now: after an event, or after a task changed. Never commit.

The date of an evaluation is the event's own date when it carries one (a milestone's `as_of`), else today;
and never earlier than the date the subject was last evaluated for, so an event does not undo a later scan.
"""
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.configuration import service as configuration
from services.alerts.evaluation.due import evaluated_days
from services.alerts.evaluation.engine import Evaluation
from services.alerts.models import ParcelFact, ProjectFact


async def _by_date(session: AsyncSession, model, ids: list[str], on: date) -> dict[date, list[str]]:
    if model is ProjectFact:
        evaluated = await evaluated_days(session, ids)
    else:
        evaluated = dict((await session.execute(select(model.id, model.evaluated_on).where(model.id.in_(ids)))).all())
    groups: dict[date, list[str]] = {}
    for subject in ids:
        groups.setdefault(max(on, evaluated.get(subject) or on), []).append(subject)
    return groups


async def evaluate_projects(session: AsyncSession, *, project_ids: list[str], on: date,
                            settings: configuration.Configuration | None = None) -> Counter:
    """Evaluates these projects as of `on` (or the later date each was last evaluated for)."""
    counts: Counter = Counter()
    if not project_ids:
        return counts
    settings = settings or await configuration.load(session=session)
    for as_of, ids in sorted((await _by_date(session, ProjectFact, project_ids, on)).items()):
        evaluation = Evaluation(session, settings, as_of)
        await evaluation.projects(ids)
        await evaluation.flush()
        counts += evaluation.counts
    return counts


async def evaluate_parcels(session: AsyncSession, *, parcel_ids: list[str], on: date) -> Counter:
    """Evaluates the idle-parcel rule for these parcels, then the projects they are linked to (their colour)."""
    counts: Counter = Counter()
    settings = await configuration.load(session=session)
    touched: set[str] = set()
    for as_of, ids in sorted((await _by_date(session, ParcelFact, parcel_ids, on)).items()):
        evaluation = Evaluation(session, settings, as_of)
        touched |= await evaluation.parcels(ids)
        await evaluation.flush()
        counts += evaluation.counts
    counts += await evaluate_projects(session, project_ids=sorted(touched), on=on, settings=settings)
    return counts
