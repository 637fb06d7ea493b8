"""Registry events: keep the unit names and the project facts (newest version wins), drive nodes from stages, the
real start and the statistics inclusion, pause a suspended project's nodes and move them by the pause when it
resumes, close archived schedules, and generate schedules for projects announced with planned dates.

A fetch applied in one transaction (`per_fetch`) first looks up which of its projects are known here at all: an
import's burst of registrations then creates each project's facts without looking each up again, and writes the
facts, schedules, nodes and events of all its new projects at its end, one statement a table."""
import contextlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent
from contracts.registry import (ProjectArchived, ProjectRegistered, ProjectResumed, ProjectStageChanged,
                                ProjectStartConfirmed, ProjectState, ProjectSuspended, ProjectUpdated, StatisticsStatus,
                                StatisticsStatusChanged, UnitCreated, UnitState, UnitUpdated)
from kit.clock import today, utcnow
from kit.consumer import Handlers
from services.milestones.models import ProjectFact, UnitFact
from services.milestones.nodes import service as nodes
from services.milestones.schedules import service as schedules
from services.milestones.settings import MilestonesSettings
from services.milestones.writes import Writes

_FETCH = "milestones.fetch"


class _Fetch:
    """What a fetch applied in one transaction keeps between its events."""

    def __init__(self, absent: set[str]):
        self.absent = absent  # projects with no facts here, and none created by the fetch so far
        self.new: set[str] = set()  # projects whose rows wait in `writes`
        self.writes = Writes()

    async def write(self, session: AsyncSession) -> None:
        await self.writes.write(session)
        self.new.clear()


@contextlib.asynccontextmanager
async def per_fetch(session: AsyncSession, events):
    """The fetch's subjects that have no project facts yet, read at once; the rows of the projects it creates written
    at its end (kit.consumer's batch scope)."""
    subjects = sorted({event.subject for event, _ in events if event.subject})
    known = set((await session.scalars(select(ProjectFact.id).where(ProjectFact.id.in_(subjects)))).all())
    fetch = session.info[_FETCH] = _Fetch(set(subjects) - known)
    try:
        yield
        await fetch.write(session)
    finally:
        session.info.pop(_FETCH, None)


async def _locked_fact(session: AsyncSession, project_id: str) -> ProjectFact | None:
    """The project's facts, locked for the transaction; None (without a query) for a project the fetch found absent
    and has not created yet. A project the fetch created has its rows written first: this event reads them."""
    fetch: _Fetch | None = session.info.get(_FETCH)
    if fetch is not None:
        if project_id in fetch.absent:
            return None
        if project_id in fetch.new:
            await fetch.write(session)
    return await session.get(ProjectFact, project_id, with_for_update=True)


def handlers(settings: MilestonesSettings) -> Handlers:
    """The consumer's handlers, bound to the service's settings."""

    async def on_unit(session: AsyncSession, _event: CloudEvent, unit: UnitState) -> None:
        await session.merge(UnitFact(id=unit.id, code=unit.code, name=unit.name))

    async def on_project_state(session: AsyncSession, _event: CloudEvent, project: ProjectState) -> None:
        fact = await _locked_fact(session, project.id)
        if fact is not None and fact.version >= project.version:
            return
        values = dict(
            code=project.code, name=project.name, responsible_unit_id=project.responsible_unit_id,
            category=project.category, year=project.year, stage=project.stage.value,
            planned_start_date=project.planned_start_date, planned_completion_date=project.planned_completion_date,
            stage_dates={stage.value: when.isoformat() for stage, when in project.stage_dates.items()},
            real_start_date=project.real_start_date, archived=project.archived, version=project.version,
            suspended_on=project.suspended_on, updated_at=utcnow(),
        )
        if fact is None:
            await _create(session, ProjectFact(id=project.id, statistics_included_date=None, **values))
            return
        previous_unit, was_suspended = fact.responsible_unit_id, fact.suspended_on
        for field, value in values.items():
            setattr(fact, field, value)
        await session.flush()
        if project.archived:
            await nodes.close_schedule(session=session, project=fact)
            return
        if project.suspended_on is not None and was_suspended is None:
            await nodes.pause(session=session, project=fact, since=project.suspended_on)
        elif project.suspended_on is None and was_suspended is not None:
            resumed = project if isinstance(project, ProjectResumed) else None
            await nodes.resume(session=session, project=fact, paused_from=was_suspended,
                               resumed_on=resumed.resumed_on if resumed else today(settings),
                               paused_days=resumed.paused_days if resumed else 0, settings=settings,
                               today=today(settings))
        await _apply(session, fact, previous_unit=previous_unit)

    async def on_start_confirmed(session: AsyncSession, _event: CloudEvent, started: ProjectStartConfirmed) -> None:
        fact = await _locked_fact(session, started.project_id)
        if fact is None or fact.archived:
            return
        fact.real_start_date = started.date
        await _apply(session, fact)

    async def on_statistics_status(session: AsyncSession, _event: CloudEvent,
                                   change: StatisticsStatusChanged) -> None:
        fact = await _locked_fact(session, change.project_id)
        if fact is None or fact.archived:
            return
        fact.statistics_included_date = change.date if change.status == StatisticsStatus.accepted else None
        await _apply(session, fact)

    async def _create(session: AsyncSession, fact: ProjectFact) -> None:
        """A project first heard of: its facts and, announced with planned dates, its schedule (it has no nodes to
        pause or close yet); within a fetch, written with the fetch's others at its end."""
        fetch: _Fetch | None = session.info.get(_FETCH)
        writes = fetch.writes if fetch is not None else Writes()
        writes.facts.append(fact)
        await schedules.generate_automatically(session=session, project=fact, settings=settings,
                                               today=today(settings), writes=writes)
        if fetch is None:
            await writes.write(session)
        else:
            fetch.absent.discard(fact.id)
            fetch.new.add(fact.id)

    async def _apply(session: AsyncSession, fact: ProjectFact, *, previous_unit: str | None = None) -> None:
        members = await nodes.project_nodes(session=session, project_id=fact.id)
        if not members:
            await schedules.generate_automatically(session=session, project=fact, settings=settings,
                                                   today=today(settings))
            return
        if previous_unit is not None and previous_unit != fact.responsible_unit_id:
            # Nodes the project's unit answered for follow the project to its new unit.
            for node in members:
                if node.responsible_unit_id == previous_unit:
                    node.responsible_unit_id = fact.responsible_unit_id
        if await nodes.apply_registry_facts(session=session, project=fact, nodes=members, settings=settings,
                                            today=today(settings)):
            nodes.mark_critical(members, await nodes.calendar_of(session=session, project_id=fact.id,
                                                                 settings=settings))

    return {
        UnitCreated: on_unit,
        UnitUpdated: on_unit,
        ProjectRegistered: on_project_state,
        ProjectUpdated: on_project_state,
        ProjectArchived: on_project_state,
        ProjectStageChanged: on_project_state,
        ProjectSuspended: on_project_state,
        ProjectResumed: on_project_state,
        ProjectStartConfirmed: on_start_confirmed,
        StatisticsStatusChanged: on_statistics_status,
    }
