"""Snapshot use-cases: freeze a month as of its last day, read what was frozen. Never commit."""
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import message_on
from kit.clock import utcnow
from kit.errors import Conflict, NotFound
from kit.pagination import PageParams, keyset, page_of
from services.reports import sources
from services.reports.cells import ALL, ALL_UNITS, METRICS
from services.reports.figures import TargetRounding
from services.reports.models import (AlertView, Snapshot, SnapshotCell, SnapshotProject, SnapshotUnit,
                                     SnapshotVersion, Target)
from services.reports.overview.service import overview_of, parcel_figures
from services.reports.overview.schemas import ParcelFigures
from services.reports.periods import last_day, parse_month
from services.reports.projects.service import ACTIVE_ALERTS
from services.reports.scoring import service as scoring
from services.reports.snapshots.schemas import FrozenProject, SnapshotDetail, SnapshotPublic
from services.reports.targets import service as targets
from services.reports.unit_tree import unit_tree

_BATCH = 2000


def public(snapshot: Snapshot, project_count: int) -> SnapshotPublic:
    return SnapshotPublic(period=snapshot.period, year=snapshot.year, as_of=snapshot.as_of, kind=snapshot.kind,
                          version=snapshot.version, reason=snapshot.reason,
                          taken_at=snapshot.taken_at, taken_by=snapshot.taken_by,
                          scoring_version=snapshot.scoring_version, target_rate=Decimal(snapshot.target_rate),
                          project_count=project_count)


async def _insert(session: AsyncSession, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), _BATCH):
        await session.execute(insert(model), rows[start:start + _BATCH])


async def take(*, session: AsyncSession, period: str, kind: str, taken_by: str, target_rate: Decimal,
               today: date, target_rounding: TargetRounding = TargetRounding.nearest,
               reason: str | None = None, suspended_in_start_rate: bool = True) -> SnapshotPublic:
    """Freezes the month's figures as of its last day: overview cells of every unit, units, projects, targets
    progress, land parcels. Events that arrive later change the live figures, never the snapshot; a month already
    frozen is frozen again only with a reason, as a new version (the one it replaces is kept, readable)."""
    year, _ = parse_month(period)
    as_of = last_day(period)
    if as_of >= today:
        raise Conflict(f"{period} has not ended yet (today is {today}); a month is frozen after its last day")
    version = 1
    existing = await session.get(Snapshot, period, with_for_update=True)
    if existing is not None:
        if not reason:
            raise Conflict(f"{period} is already frozen (version {existing.version}); freeze it again only with a "
                           f"reason, as a new version")
        version = existing.version + 1
        await _supersede(session, existing, target_rounding=target_rounding)
    figures = await sources.computed(session, year=year, as_of=as_of)
    facts = [f for _, f in figures.projects]
    year_targets = list((await session.scalars(select(Target).where(Target.year == year)
                                               .order_by(Target.name, Target.id))).all())
    tree = await unit_tree(session)
    progress = targets.report_of(year=year, as_of=as_of, source="snapshot", items=[
        targets.progress_of(t, targets.achieved_by_facts(t, facts, tree)) for t in year_targets])
    parcels = await parcel_figures(session, as_of=as_of)
    snapshot = Snapshot(period=period, year=year, as_of=as_of, kind=kind, taken_at=utcnow(), taken_by=taken_by,
                        scoring_version=(await scoring.current(session=session)).version,
                        target_rate=str(target_rate), suspended_in_start_rate=suspended_in_start_rate,
                        targets=progress.model_dump(mode="json"),
                        parcels={unit: p.model_dump() for unit, p in parcels.items()}, version=version,
                        reason=reason)
    session.add(snapshot)
    await session.flush()
    cells = figures.cells
    await _insert(session, SnapshotCell, [
        {"period": period, "unit_id": c.unit_id, "dimension": c.dimension, "value": c.value,
         **{m: c.metrics[m] for m in METRICS},
         **dict(zip(("open_tasks", "late_tasks"), cells.task_counts(c.unit_id) if c.dimension == ALL else (0, 0)))}
        for c in cells.items()])
    await _insert(session, SnapshotUnit, [
        {"period": period, "unit_id": u.id, "code": u.code, "name": u.name, "kind": u.kind}
        for u in figures.units.values()])
    alerts: dict[str, list[str]] = {}  # the alerts active on the last day (each with its latest wording, for that day)
    a = AlertView
    for project_id, message, wording in (await session.execute(select(a.project_id, a.message, a.wording).where(
            a.raised_on <= as_of, or_(a.status.in_(ACTIVE_ALERTS), a.resolved_on > as_of))
            .order_by(a.raised_on, a.id))).all():
        alerts.setdefault(project_id, []).append(message_on(wording, message, as_of, as_of))
    await _insert(session, SnapshotProject, [
        {"period": period, "project_id": row.id, "code": row.code, "name": row.name, "unit_id": f.unit_id,
         "level": f.level, "category": f.category, "sector": f.sector, "bracket": f.bracket, "stage": f.stage,
         "colour": f.colour, "grade": f.grade, "statistics_status": f.statistics,
         "total_investment": f.total_investment, "annual_plan_investment": f.annual_plan_investment,
         "ytd_investment": f.ytd_investment, "real_started": f.real_started, "nodes_total": f.nodes_total,
         "nodes_done": f.nodes_done, "nodes_done_on_time": f.nodes_done_on_time, "nodes_late": f.nodes_late,
         "government_funded": row.government_funded, "concentrated_start": row.concentrated_start,
         "owner": row.owner, "lead_leader": row.lead_leader,
         "alert_messages": alerts.get(row.id, []) if f.colour != "blue" else []}
        for row, f in figures.projects])
    return public(snapshot, cells.total()["project_count"])


async def _supersede(session: AsyncSession, snapshot: Snapshot, *, target_rounding: TargetRounding) -> None:
    """Keep the current version of a month as it reads (with its whole-list overview), then clear it for the next."""
    old = await detail(session=session, period=snapshot.period, unit_id=None, target_rounding=target_rounding)
    session.add(SnapshotVersion(period=snapshot.period, version=snapshot.version, superseded_at=utcnow(),
                                detail=old.model_dump(mode="json")))
    for model in (SnapshotCell, SnapshotUnit, SnapshotProject):
        await session.execute(delete(model).where(model.period == snapshot.period))
    await session.delete(snapshot)
    await session.flush()


async def versions(*, session: AsyncSession, period: str) -> list[SnapshotPublic]:
    """Every version of a month's snapshot, the first first: the earlier ones as they read when replaced."""
    current = await sources.snapshot_of(session, period)
    earlier = (await session.scalars(select(SnapshotVersion).where(SnapshotVersion.period == period)
                                     .order_by(SnapshotVersion.version))).all()
    return [*(SnapshotPublic.model_validate(v.detail) for v in earlier),
            public(current, await _project_count(session, period))]


async def earlier_version(*, session: AsyncSession, period: str, version: int) -> SnapshotDetail:
    """An earlier version of a month's snapshot, as it read when it was replaced."""
    found = await session.get(SnapshotVersion, (period, version))
    if found is None:
        raise NotFound(f"{period} has no version {version}")
    return SnapshotDetail.model_validate(found.detail)


async def _project_count(session: AsyncSession, period: str) -> int:
    return await session.scalar(select(SnapshotCell.project_count).where(
        SnapshotCell.period == period, SnapshotCell.unit_id == ALL_UNITS, SnapshotCell.dimension == ALL)) or 0


async def list_(*, session: AsyncSession, year: int | None) -> list[SnapshotPublic]:
    """Lists snapshots, newest month first."""
    query = select(Snapshot).order_by(Snapshot.period.desc())
    if year is not None:
        query = query.where(Snapshot.year == year)
    return [public(s, await _project_count(session, s.period)) for s in (await session.scalars(query)).all()]


async def detail(*, session: AsyncSession, period: str, unit_id: str | None,
                 target_rounding: TargetRounding) -> SnapshotDetail:
    """Gets a snapshot with its frozen overview (of one unit, or of every unit)."""
    snapshot = await sources.snapshot_of(session, period)
    figures = await sources.frozen(session, snapshot, unit_id=unit_id)
    frozen_parcels = snapshot.parcels.get(unit_id or ALL_UNITS)
    overview = overview_of(figures, unit_id=unit_id, target_rate=Decimal(snapshot.target_rate),
                           target_rounding=target_rounding, with_suspended=snapshot.suspended_in_start_rate,
                           parcels=ParcelFigures(**frozen_parcels) if frozen_parcels else None)
    return SnapshotDetail(**public(snapshot, await _project_count(session, period)).model_dump(), overview=overview)


async def projects(*, session: AsyncSession, period: str, filters: dict, params: PageParams
                   ) -> tuple[list[FrozenProject], str | None]:
    """Lists the projects as the snapshot froze them, by code."""
    await sources.snapshot_of(session, period)
    p = SnapshotProject
    query = select(p).where(p.period == period, *[getattr(p, k) == v for k, v in filters.items() if v is not None])
    rows, cursor = page_of(list((await session.scalars(keyset(query, key=p.code, params=params))).all()), params,
                           keys=lambda r: [r.code])
    return [FrozenProject.model_validate(r) for r in rows], cursor


async def frozen_projects(session: AsyncSession, period: str) -> list[SnapshotProject]:
    return list((await session.scalars(select(SnapshotProject).where(SnapshotProject.period == period)
                                       .order_by(SnapshotProject.unit_id, SnapshotProject.code))).all())


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Snapshot)) or 0
