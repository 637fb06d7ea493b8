"""Delays as of a day: each project's nodes attributed (attribution.py), charged to units, node kinds or projects;
the late nodes with their history as the evidence for 问责. Read-only."""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.milestones.delays.attribution import NodeDelay, ProjectDelay, attribute
from services.milestones.delays.schemas import Basis, DelayGroup, DelayRow, LateNode
from services.milestones.models import Milestone, MilestoneChange, ProjectFact, Schedule, UnitFact
from services.milestones.nodes.schemas import ChangePublic
from services.milestones.nodes.service import activities
from services.milestones.settings import MilestonesSettings

CHUNK = 500  # ids per IN (…) list


@dataclass(frozen=True)
class Charged:
    project: ProjectFact
    node: Milestone
    delay: NodeDelay
    project_delay: ProjectDelay

    def late(self, basis: Basis) -> int:
        return self.delay.days_late if basis is Basis.plan else self.delay.baseline_days_late


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


async def charged(*, session: AsyncSession, settings: MilestonesSettings, as_of: date, year: int | None,
                  project_id: str | None, unit_id: str | None) -> list[Charged]:
    """Every open schedule's nodes with their delay as of the day (of the year's projects, or one project); of one
    unit's nodes when `unit_id` is given (the projects are still attributed whole)."""
    query = select(ProjectFact).where(ProjectFact.archived.is_(False))
    if year is not None:
        query = query.where(ProjectFact.year == year)
    if project_id is not None:
        query = query.where(ProjectFact.id == project_id)
    projects = {p.id: p for p in (await session.scalars(query)).all()}
    nodes: dict[str, list[Milestone]] = defaultdict(list)
    calendars: dict[str, str] = {}
    for ids in _chunks(sorted(projects)):
        for node in (await session.scalars(select(Milestone).where(Milestone.project_id.in_(ids),
                                                                    Milestone.closed.is_(False)))).all():
            nodes[node.project_id].append(node)
        calendars.update((await session.execute(select(Schedule.project_id, Schedule.calendar)
                                                .where(Schedule.project_id.in_(ids)))).tuples().all())
    found = []
    for pid, members in nodes.items():
        project = projects[pid]
        # a suspended project's delay stopped growing the day it was suspended
        day = min(as_of, project.suspended_on) if project.suspended_on else as_of
        delay = attribute(activities(members), as_of=day, calendar=settings.calendar(calendars.get(pid)))
        found += [Charged(projects[pid], node, delay.nodes[node.key], delay) for node in members
                  if unit_id is None or node.responsible_unit_id == unit_id]
    return found


async def unit_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    names = {}
    for chunk in _chunks(sorted(i for i in ids if i)):
        names.update((await session.execute(select(UnitFact.id, UnitFact.name).where(UnitFact.id.in_(chunk))))
                     .tuples().all())
    return names


def _row(key: str, name: str | None, members: list[Charged], basis: Basis) -> DelayRow:
    late = [c for c in members if c.late(basis) > 0 or c.delay.slip_days > 0]
    return DelayRow(key=key, name=name, late_nodes=sum(1 for c in members if c.late(basis) > 0),
                    days_late=sum(c.delay.days_late for c in members),
                    baseline_days_late=sum(c.delay.baseline_days_late for c in members),
                    slip_days=sum(c.delay.slip_days for c in members),
                    projects=len({c.project.id for c in late}))


def grouped(found: list[Charged], *, by: DelayGroup, basis: Basis, names: dict[str, str]) -> list[DelayRow]:
    """One row per unit, node kind or project that caused delay, most delay first."""
    groups: dict[str, list[Charged]] = defaultdict(list)
    labels: dict[str, str | None] = {}
    for c in found:
        if c.late(basis) <= 0 and c.delay.slip_days <= 0:
            continue
        if by is DelayGroup.unit:
            key = c.node.responsible_unit_id or ""
            labels[key] = names.get(key)
        elif by is DelayGroup.node_kind:
            key = c.node.key
            labels.setdefault(key, c.node.name)
        else:
            key = c.project.id
            labels[key] = f"{c.project.code} {c.project.name}"
        groups[key].append(c)
    rows = [_row(key, labels[key], members, basis) for key, members in groups.items()]
    measure = (lambda r: r.days_late) if basis is Basis.plan else (lambda r: r.baseline_days_late)
    return sorted(rows, key=lambda r: (-(r.slip_days + measure(r)), r.key))


def total(found: list[Charged], basis: Basis) -> DelayRow:
    return _row("total", "合计", [c for c in found if c.late(basis) > 0 or c.delay.slip_days > 0], basis)


async def late_nodes(session: AsyncSession, found: list[Charged], *, basis: Basis, limit: int) -> list[LateNode]:
    """The late nodes, most delay first, each with its history (the evidence trail)."""
    late = sorted((c for c in found if c.late(basis) > 0 or c.delay.slip_days > 0),
                  key=lambda c: (-(c.delay.slip_days + c.late(basis)), c.project.code, c.node.position))[:limit]
    trail: dict[str, list[ChangePublic]] = defaultdict(list)
    for chunk in _chunks([c.node.id for c in late]):
        changes = await session.scalars(select(MilestoneChange).where(MilestoneChange.milestone_id.in_(chunk))
                                        .order_by(MilestoneChange.id))
        for change in changes.all():
            trail[change.milestone_id].append(ChangePublic.model_validate(change, from_attributes=True))
    names = await unit_names(session, {c.node.responsible_unit_id for c in late})
    return [LateNode(id=c.node.id, project_id=c.project.id, project_code=c.project.code,
                     project_name=c.project.name, project_slip_days=c.project_delay.slip_days, key=c.node.key,
                     name=c.node.name, responsible_unit_id=c.node.responsible_unit_id,
                     responsible_unit_name=names.get(c.node.responsible_unit_id or ""),
                     planned_date=c.node.planned_date, baseline_date=c.node.baseline_date,
                     actual_date=c.node.actual_date, days_late=c.delay.days_late,
                     baseline_days_late=c.delay.baseline_days_late, slip_days=c.delay.slip_days,
                     critical=c.node.critical, history=trail[c.node.id])
            for c in late]
