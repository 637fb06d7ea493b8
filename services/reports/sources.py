"""Where figures come from: the live aggregates (today), the project rows and their dated facts (a past date), or a
frozen snapshot. Each gives a CellSet, so overviews and rankings are computed the same way from any of them."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import (BindParameter, CompoundSelect, Date, Row, Select, and_, bindparam, case, func, literal, or_,
                        select, union_all)
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import TaskStatus
from kit.errors import Invalid, NotFound, field_error
from services.reports.cells import ALL, ALL_UNITS, METRICS, UNRATED, Cell, CellSet, ProjectFacts, stage_as_of
from services.reports.models import (InvestmentMonth, MilestoneView, ProjectMove, ProjectView, Snapshot,
                                     SnapshotCell, SnapshotUnit, StatisticsHistory, StatusHistory, TaskHistory,
                                     TaskView, UnitView, UnitYearCell)

Cells = tuple[tuple[str, str], ...]  # (dimension, value) cells


class UnitInfo(NamedTuple):  # a tuple: a ranking reads hundreds a request
    id: str
    code: str
    name: str
    kind: str


@dataclass
class Figures:
    """Cells and units for one year (None: every year) as of a date, and where they came from."""

    cells: CellSet
    units: dict[str, UnitInfo]
    year: int | None
    as_of: date
    source: str  # live | computed | snapshot
    period: str | None = None
    version: int | None = None  # of the snapshot read
    projects: list[tuple[Row, ProjectFacts]] = field(default_factory=list)  # project_view rows (computed only)


def _count_if(condition):
    return case((condition, 1), else_=0)


def check_as_of(as_of: date | None, today: date) -> date:
    """The date figures are asked for: today when not given; never after today."""
    if as_of is None:
        return today
    if as_of > today:
        raise Invalid("as_of is in the future", errors=[field_error("as_of", f"{as_of} is after today {today}")])
    return as_of


_UNITS = select(UnitView.id, UnitView.code, UnitView.name, UnitView.kind)


async def unit_infos(session: AsyncSession) -> dict[str, UnitInfo]:
    return {row[0]: UnitInfo(*row) for row in (await session.execute(_UNITS)).all()}


def counted(day: date | BindParameter | None = None):
    """The projects figures count: registered and not archived now, or (`day`) registered by then and not archived
    by then. Rows kept from before registrations were dated count as registered all along."""
    p = ProjectView
    if day is None:
        return and_(p.registered.is_(True), p.archived.is_(False))
    return and_(p.registered.is_(True), or_(p.registered_on.is_(None), p.registered_on <= day),
                or_(p.archived.is_(False), p.archived_on > day))


def late_task(status, resolvable, on_hold, day: date | BindParameter):
    """Late as the alerts service counts (and escalates): open - not awaiting verification, its alert not cleared,
    its project not suspended - and past its deadline."""
    return and_(status == TaskStatus.open.value, resolvable.is_(False), on_hold.is_(False), TaskView.deadline < day)


async def task_counts(session: AsyncSession, *, year: int | None, day: date, live: bool,
                      unit_id: str | None = None) -> dict[str, tuple[int, int]]:
    """Unclosed and late supervision tasks per unit: now (`live`, the tasks' states), or as they stood on `day` (the
    state each had been published in by then). Of a year: the tasks of that year's projects that count; of every
    year: those of every project that counts and those about no project."""
    query = _task_counts_query(live, year is not None, bool(unit_id))
    counts: dict[str, tuple[int, int]] = {}
    for unit, count, late in (await session.execute(query, {"day": day, "year": year, "unit_id": unit_id})).all():
        before = counts.get(unit, (0, 0))  # a unit's open and late tasks may come in two rows
        counts[unit] = (before[0] + int(count), before[1] + int(late or 0))
    return counts


# Statements built once for each shape, their values bound when run: building one (and its CASEs) costs more than
# running it on the reads' small results.
@cache
def _task_counts_query(live: bool, of_year: bool, of_unit: bool) -> Select | CompoundSelect:
    day, t = bindparam("day", type_=Date), TaskView
    if live and of_year:
        # the year's open tasks, then apart its late ones, each counted from an index alone (ix_task_view_counted_open,
        # ix_task_view_counted_late): each task carries its project's counted year (projection)
        mine = [t.counted_year == bindparam("year"), *([t.unit_id == bindparam("unit_id")] if of_unit else [])]
        return union_all(
            select(t.unit_id, func.count(), literal(0)).where(*mine, t.status != TaskStatus.closed.value)
            .group_by(t.unit_id),
            select(t.unit_id, literal(0), func.count()).where(*mine, late_task(t.status, t.resolvable, t.on_hold, day))
            .group_by(t.unit_id))
    if live:
        status, resolvable, on_hold = t.status, t.resolvable, t.on_hold
        query = select(t.unit_id)
    else:
        states = _latest(TaskHistory, TaskHistory.task_id, TaskHistory.date,
                         (TaskHistory.status, TaskHistory.resolvable, TaskHistory.on_hold), as_of=day)
        status, resolvable, on_hold = states.c.status, states.c.resolvable, states.c.on_hold
        query = select(t.unit_id).join(states, and_(states.c.task_id == t.id, states.c.rn == 1))
    query = query.add_columns(func.count(), func.sum(_count_if(late_task(status, resolvable, on_hold, day)))).where(
        status != TaskStatus.closed.value)
    query = query.join(ProjectView, ProjectView.id == t.project_id, isouter=not of_year)
    scope = counted(None if live else day)
    query = query.where(scope, ProjectView.year == bindparam("year")) if of_year else \
        query.where(or_(t.project_id.is_(None), scope))
    if of_unit:
        query = query.where(t.unit_id == bindparam("unit_id"))
    return query.group_by(t.unit_id)


def _only(model, only: Cells | None):
    return or_(*(and_(model.dimension == d, model.value == v) for d, v in only)) if only else None


async def live(session: AsyncSession, *, year: int | None, today: date, unit_id: str | None = None,
               per_unit: bool = False, dimensions: tuple[str, ...] | None = None, only: Cells | None = None,
               with_units: bool = True) -> Figures:
    """The aggregates as the handlers keep them: one unit ('*' = all), or every unit apart (`per_unit`); all cells,
    those of some `dimensions`, or `only` some (dimension, value) cells."""
    query = _live_query(year is not None, per_unit, dimensions, only)
    rows = (await session.execute(query, {"year": year, "unit_id": unit_id or ALL_UNITS})).all()
    cells = [Cell(r[0], r[1], r[2], dict(zip(METRICS, r[3:]))) for r in rows]
    tasks = await task_counts(session, year=year, day=today, live=True, unit_id=None if per_unit else unit_id)
    units = await unit_infos(session) if with_units else {}
    return Figures(cells=CellSet(cells, tasks), units=units, year=year, as_of=today, source="live")


@cache
def _live_query(of_year: bool, per_unit: bool, dimensions: tuple[str, ...] | None, only: Cells | None) -> Select:
    c = UnitYearCell
    # one year's cells are one row each; over every year they are summed
    sums = [getattr(c, m) if of_year else func.sum(getattr(c, m)).label(m) for m in METRICS]
    query = select(c.unit_id, c.dimension, c.value, *sums)
    if per_unit:
        query = query.where(c.unit_id != ALL_UNITS)
    else:
        query = query.where(c.unit_id == bindparam("unit_id"))
    if of_year:
        query = query.where(c.year == bindparam("year"))
    if dimensions is not None:
        query = query.where(c.dimension.in_(dimensions))
    if only:
        query = query.where(_only(c, only))
    if not of_year:
        query = query.group_by(c.unit_id, c.dimension, c.value)
    return query


def _latest(model, key, date_column, columns, *, as_of: date | BindParameter):
    """Dated rows on or before `as_of` ranked per key, the latest first (rn = 1; ties: the one applied last)."""
    return select(key, *columns, func.row_number().over(
        partition_by=key, order_by=(date_column.desc(), model.id.desc())).label("rn")
    ).where(date_column <= as_of).subquery()


async def _latest_per_project(session: AsyncSession, model, date_column, columns, *, as_of: date) -> dict:
    """The latest row per project dated on or before `as_of`."""
    ranked = _latest(model, model.project_id, date_column, columns, as_of=as_of)
    rows = (await session.execute(select(ranked).where(ranked.c.rn == 1))).all()
    return {r.project_id: r for r in rows}


async def placed_as_of(session: AsyncSession, as_of: date) -> dict[str, tuple[str | None, int | None]]:
    """The (unit, year) of each project whose unit or year changed, as they were on `as_of`: after the latest change
    in effect by then, or before the first one."""
    placed: dict[str, tuple] = {}
    for move in (await session.execute(select(ProjectMove).order_by(
            ProjectMove.project_id, ProjectMove.effective_on, ProjectMove.id))).scalars():
        if move.effective_on <= as_of:
            placed[move.project_id] = (move.unit_to, move.year_to)
        else:
            placed.setdefault(move.project_id, (move.unit_from, move.year_from))
    return placed


async def computed(session: AsyncSession, *, year: int | None, as_of: date, unit_id: str | None = None) -> Figures:
    """Figures as of a past date: each project's stage, colour, statistics, year-to-date and nodes on that date,
    from its dated facts, summed into cells like the handlers' (every unit, and '*')."""
    placed = await placed_as_of(session, as_of)
    moved = select(ProjectMove.project_id)
    # plain rows, not ORM objects: a snapshot of a big list reads them all
    query = select(*ProjectView.__table__.columns).where(counted(as_of))
    if year is not None:
        query = query.where(or_(ProjectView.year == year, ProjectView.id.in_(moved)))
    if unit_id:
        query = query.where(or_(ProjectView.unit_id == unit_id, ProjectView.id.in_(moved)))
    rows = []
    for row in (await session.execute(query.order_by(ProjectView.code))).all():
        if row.id in placed:  # where a dated change of unit or year had it on that day
            unit, of_year = placed[row.id]
            row = SimpleNamespace(**{**row._mapping, "unit_id": unit, "year": of_year})
        if (year is None or row.year == year) and (not unit_id or row.unit_id == unit_id):
            rows.append(row)
    month = f"{as_of:%Y-%m}"
    ytd_query = select(InvestmentMonth.project_id, InvestmentMonth.year, func.sum(InvestmentMonth.amount)).where(
        InvestmentMonth.period <= month).group_by(InvestmentMonth.project_id, InvestmentMonth.year)
    if year is not None:
        ytd_query = ytd_query.where(InvestmentMonth.year == year)
    ytd = {(project, of_year): amount for project, of_year, amount in (await session.execute(ytd_query)).all()}
    status = await _latest_per_project(session, StatusHistory, StatusHistory.as_of,
                                       (StatusHistory.colour, StatusHistory.grade), as_of=as_of)
    statistics = await _latest_per_project(session, StatisticsHistory, StatisticsHistory.date,
                                           (StatisticsHistory.status,), as_of=as_of)
    done = and_(MilestoneView.actual_date.is_not(None), MilestoneView.actual_date <= as_of)
    nodes = {r[0]: r[1:] for r in (await session.execute(select(
        MilestoneView.project_id, func.count(),
        func.sum(_count_if(done)),
        func.sum(_count_if(and_(done, MilestoneView.actual_date <= MilestoneView.planned_date))),
        func.sum(_count_if(and_(~done, MilestoneView.planned_date < as_of))),
    ).group_by(MilestoneView.project_id))).all()}
    cells, projects = CellSet(), []
    for row in rows:
        colour, grade = ("blue", UNRATED)
        if row.id in status:
            colour, grade = status[row.id].colour, status[row.id].grade
        node = nodes.get(row.id, (0, 0, 0, 0))
        facts = ProjectFacts(
            year=row.year, unit_id=row.unit_id, stage=stage_as_of(row, as_of), sector=row.sector,
            category=row.category, level=row.level, bracket=row.bracket, colour=colour, grade=grade,
            statistics=statistics[row.id].status if row.id in statistics else "not_submitted",
            total_investment=row.total_investment, annual_plan_investment=row.annual_plan_investment,
            ytd_investment=ytd.get((row.id, row.year)) or Decimal(0),
            real_started=row.real_start_date is not None and row.real_start_date <= as_of,
            nodes_total=int(node[0]), nodes_done=int(node[1] or 0), nodes_done_on_time=int(node[2] or 0),
            nodes_late=int(node[3] or 0))
        cells.add_facts(facts)
        projects.append((row, facts))
    cells.tasks = await task_counts(session, year=year, day=as_of, live=False, unit_id=unit_id)
    return Figures(cells=cells, units=await unit_infos(session), year=year, as_of=as_of, source="computed",
                   projects=projects)


async def current(session: AsyncSession, *, year: int | None, as_of: date | None, today: date,
                  unit_id: str | None = None, per_unit: bool = False, dimensions: tuple[str, ...] | None = None,
                  only: Cells | None = None, with_units: bool = True) -> Figures:
    """Live aggregates for today, computed figures for a past date."""
    as_of = check_as_of(as_of, today)
    if as_of == today:
        return await live(session, year=year, today=today, unit_id=unit_id, per_unit=per_unit,
                          dimensions=dimensions, only=only, with_units=with_units)
    return await computed(session, year=year, as_of=as_of, unit_id=None if per_unit else unit_id)


async def snapshot_of(session: AsyncSession, period: str) -> Snapshot:
    found = await session.get(Snapshot, period)
    if found is None:
        raise NotFound(f"there is no snapshot of {period}; take one with POST /api/v1/snapshots")
    return found


async def resolve(session: AsyncSession, *, year: int | None, as_of: date | None, period: str | None, today: date,
                  unit_id: str | None = None, per_unit: bool = False, dimensions: tuple[str, ...] | None = None,
                  only: Cells | None = None, with_units: bool = True) -> Figures:
    """The figures a request asks for: a month's snapshot (`period`), else live or computed for `as_of`."""
    if period is not None:
        if as_of is not None:
            raise Invalid("give either period or as_of", errors=[field_error("as_of", "not with period")])
        snapshot = await snapshot_of(session, period)
        if year is not None and year != snapshot.year:
            raise Invalid("the year is not the period's",
                          errors=[field_error("year", f"{period} is of {snapshot.year}")])
        return await frozen(session, snapshot, unit_id=unit_id, per_unit=per_unit, dimensions=dimensions, only=only)
    return await current(session, year=year, as_of=as_of, today=today, unit_id=unit_id, per_unit=per_unit,
                         dimensions=dimensions, only=only, with_units=with_units)


async def frozen(session: AsyncSession, snapshot, *, unit_id: str | None = None, per_unit: bool = False,
                 dimensions: tuple[str, ...] | None = None, only: Cells | None = None) -> Figures:
    """The cells and units a snapshot froze."""
    c = SnapshotCell
    query = select(c.unit_id, c.dimension, c.value, c.open_tasks, c.late_tasks, *(getattr(c, m) for m in METRICS)
                   ).where(c.period == snapshot.period)
    if dimensions is not None:
        query = query.where(c.dimension.in_(dimensions))
    if only:
        query = query.where(_only(c, only))
    if per_unit:
        query = query.where(c.unit_id != ALL_UNITS)
    else:
        query = query.where(c.unit_id == (unit_id or ALL_UNITS))
    rows = (await session.execute(query)).all()
    cells = [Cell(r.unit_id, r.dimension, r.value, {m: getattr(r, m) for m in METRICS}) for r in rows]
    tasks = {r.unit_id: (r.open_tasks, r.late_tasks) for r in rows if r.dimension == ALL}
    u = SnapshotUnit
    units = {r.unit_id: UnitInfo(r.unit_id, r.code, r.name, r.kind) for r in (await session.execute(
        select(u.unit_id, u.code, u.name, u.kind).where(u.period == snapshot.period))).all()}
    return Figures(cells=CellSet(cells, tasks), units=units, year=snapshot.year, as_of=snapshot.as_of,
                   source="snapshot", period=snapshot.period, version=snapshot.version)
