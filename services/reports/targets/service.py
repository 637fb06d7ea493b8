"""Target use-cases: hand targets down, change or withdraw them, and measure progress. Never commit."""
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.errors import Invalid, NotFound, field_error
from services.reports import sources
from services.reports.cells import COMPLETED_STAGES, STARTED_STAGES, ProjectFacts
from services.reports.figures import decimal_of, percent, rate
from services.reports.models import ProjectView, Target
from services.reports.targets.schemas import (COUNT_MEASURES, Measure, ProgressReport, TargetCreate, TargetFilter,
                                              TargetProgress, TargetPublic, TargetUpdate)
from services.reports.unit_tree import UnitTree, unit_tree

FILTER_FIELDS = ("category", "sector", "bracket", "level", "unit_id")
# A target handed down to a unit counts the projects of the units below it too (a district's towns).
MATCHED_FIELDS = ("category", "sector", "bracket", "level")


def public(target: Target) -> TargetPublic:
    return TargetPublic(id=target.id, year=target.year, name=target.name, measure=target.measure,
                        filter=TargetFilter(**{f: getattr(target, f) for f in FILTER_FIELDS}), value=target.value,
                        created_at=target.created_at, updated_at=target.updated_at)


async def create(*, session: AsyncSession, target_in: TargetCreate) -> TargetPublic:
    """Hands a target down for a year."""
    now = utcnow()
    target = Target(id=str(uuid.uuid4()), year=target_in.year, name=target_in.name, measure=target_in.measure,
                    value=target_in.value, created_at=now, updated_at=now, **target_in.filter.model_dump())
    session.add(target)
    await session.flush()
    return public(target)


async def get(*, session: AsyncSession, target_id: str) -> Target:
    target = await session.get(Target, target_id)
    if target is None:
        raise NotFound(f"there is no target {target_id}")
    return target


async def list_(*, session: AsyncSession, year: int | None) -> list[TargetPublic]:
    """Lists targets, of a year or all, by year and name."""
    query = select(Target).order_by(Target.year, Target.name, Target.id)
    if year is not None:
        query = query.where(Target.year == year)
    return [public(t) for t in (await session.scalars(query)).all()]


async def update(*, session: AsyncSession, target_id: str, target_in: TargetUpdate) -> TargetPublic:
    """Changes a target's name, filter or value."""
    target = await get(session=session, target_id=target_id)
    if target_in.value is not None:
        if target.measure in COUNT_MEASURES and target_in.value != target_in.value.to_integral_value():
            raise Invalid("a count target must be a whole number",
                          errors=[field_error("value", "not a whole number")])
        target.value = target_in.value
    if target_in.name is not None:
        target.name = target_in.name
    if target_in.filter is not None:
        for field, value in target_in.filter.model_dump().items():
            setattr(target, field, value)
    target.updated_at = utcnow()
    await session.flush()
    return public(target)


async def delete(*, session: AsyncSession, target_id: str) -> None:
    """Withdraws a target (snapshots keep the progress they froze)."""
    await session.delete(await get(session=session, target_id=target_id))


def _selects(target: Target, facts: ProjectFacts, units: frozenset[str] | None) -> bool:
    return facts.year == target.year and (units is None or facts.unit_id in units) and all(
        getattr(target, f) is None or getattr(target, f) == getattr(facts, f) for f in MATCHED_FIELDS)


def _units(target: Target, tree: UnitTree) -> frozenset[str] | None:
    """The units whose projects count towards the target: its unit and those below it; None for every unit."""
    return None if target.unit_id is None else tree.subtree(target.unit_id)


def achieved_by_facts(target: Target, projects: list[ProjectFacts], tree: UnitTree) -> Decimal:
    """What the projects (as of some date) achieved towards the target."""
    units = _units(target, tree)
    chosen = [f for f in projects if _selects(target, f, units)]
    if target.measure == Measure.started_count:
        return Decimal(sum(f.stage in STARTED_STAGES for f in chosen))
    if target.measure == Measure.completed_count:
        return Decimal(sum(f.stage in COMPLETED_STAGES for f in chosen))
    if target.measure == Measure.statistics_count:
        return Decimal(sum(f.statistics == "accepted" for f in chosen))
    return sum((f.ytd_investment for f in chosen), Decimal(0))


async def achieved_live(session: AsyncSession, target: Target, tree: UnitTree) -> Decimal:
    """What the live projects achieved towards the target."""
    p = ProjectView
    where = [sources.counted(), p.year == target.year]
    where += [getattr(p, f) == getattr(target, f) for f in MATCHED_FIELDS if getattr(target, f) is not None]
    if (units := _units(target, tree)) is not None:
        where.append(p.unit_id.in_(sorted(units)))
    if target.measure == Measure.investment_amount:
        total = await session.scalar(select(func.coalesce(func.sum(p.ytd_investment), 0)).where(*where))
        return total or Decimal(0)
    if target.measure == Measure.statistics_count:
        where.append(p.statistics_status == "accepted")
    else:
        stages = STARTED_STAGES if target.measure == Measure.started_count else COMPLETED_STAGES
        where.append(p.stage.in_([s.value for s in stages]))
    return Decimal(await session.scalar(select(func.count()).select_from(p).where(*where)))


def progress_of(target: Target, achieved: Decimal) -> TargetProgress:
    share = rate(achieved, target.value)
    return TargetProgress(target=public(target), achieved=achieved, remaining=max(Decimal(0), target.value - achieved),
                          rate=decimal_of(share), rate_percent=percent(share), not_yet_off_zero=achieved == 0)


def report_of(*, year: int, as_of: date, source: str, items: list[TargetProgress]) -> ProgressReport:
    return ProgressReport(year=year, as_of=as_of, source=source, targets_count=len(items),
                          reached_count=sum(i.remaining == 0 for i in items),
                          not_yet_off_zero_count=sum(i.not_yet_off_zero for i in items), items=items)


async def progress_as_of(*, session: AsyncSession, year: int, as_of: date, today: date) -> ProgressReport:
    """Progress of the year's targets: live today, from the projects' dated facts for a past date."""
    as_of = sources.check_as_of(as_of, today)
    targets = list((await session.scalars(select(Target).where(Target.year == year)
                                          .order_by(Target.name, Target.id))).all())
    tree = await unit_tree(session)
    if as_of == today:
        items = [progress_of(t, await achieved_live(session, t, tree)) for t in targets]
        return report_of(year=year, as_of=as_of, source="live", items=items)
    figures = await sources.computed(session, year=year, as_of=as_of)
    facts = [f for _, f in figures.projects]
    items = [progress_of(t, achieved_by_facts(t, facts, tree)) for t in targets]
    return report_of(year=year, as_of=as_of, source="computed", items=items)


async def progress(*, session: AsyncSession, year: int, as_of: date | None, period: str | None,
                   today: date) -> ProgressReport:
    """Progress live, as of a date, or as a month's snapshot froze it."""
    if period is None:
        return await progress_as_of(session=session, year=year, as_of=as_of or today, today=today)
    if as_of is not None:
        raise Invalid("give either period or as_of", errors=[field_error("as_of", "not with period")])
    snapshot = await sources.snapshot_of(session, period)
    return ProgressReport.model_validate(snapshot.targets)
