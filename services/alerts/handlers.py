"""Consumed events: keep the facts each rule needs, then evaluate the project (or parcel) the event is about.

Project state events are applied in version order (older versions are ignored); events about a project not
yet seen create a placeholder row (version 0) that its state event completes, and which is not evaluated
until then.

A fetch applied in one transaction (the consumer's batch path, `FactHandlers.per_fetch`) evaluates the projects its
events changed together, in waves: a project's evaluation waits until the fetch ends or another event about it (or
one about no project, a reporting round) comes, and the waiting ones are evaluated then, in one pass. So every event
is still evaluated before the next one about its project is applied: the same alerts, changes and events as one at a
time, with one evaluation for many projects.
"""
import contextlib
from collections.abc import AsyncIterator
from datetime import date, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import milestones, registry
from contracts.catalog import EVENTS
from contracts.envelope import CloudEvent, EventData
from kit.auth import ADMIN, Principal
from kit.clock import today, utcnow
from kit.consumer import KEEP_LOADED, Handler, Handlers
from kit.db import one_of
from services.alerts.evaluation.due import mark_due
from services.alerts.evaluation.engine import update_by_id
from services.alerts.evaluation.service import evaluate_parcels, evaluate_projects
from services.alerts.models import (MilestoneFact, ParcelFact, ProjectFact, ReportingRoundFact, RoundReportFact,
                                   Unit)
from services.alerts.tasks import service as tasks
from services.alerts.tasks.schemas import ProblemCreate
from services.alerts.settings import AlertsSettings

# session.info while a fetch is applied: project id -> the day its waiting evaluation is as of; project id -> its
# facts row, read at the fetch's start
_PENDING, _LOADED = "alerts.pending_evaluations", "alerts.loaded_facts"
# Within a fetch the facts rows are the fetch's own (not the ORM's): those changed since last written, and of those
# the ones not in the table yet, are written in bulk before anything reads them (`_write_facts`).
_CHANGED, _NEW = "alerts.changed_facts", "alerts.new_facts"
_WRITTEN = [c.key for c in ProjectFact.__table__.columns if c.key not in ("evaluated_on", "due_on")]  # evaluations'


async def _facts(session: AsyncSession, project_id: str, *, unit_id: str, year: int) -> ProjectFact | SimpleNamespace:
    """The project's facts row, locked (within a fetch: read with the fetch's others at its start, as plain values);
    a placeholder when the project's state has not arrived yet."""
    loaded: dict | None = session.info.get(_LOADED)  # None: not within a fetch
    if loaded is not None and project_id in loaded:
        row = loaded[project_id]
    else:
        row = await session.get(ProjectFact, project_id, with_for_update=True)
        if row is not None and loaded is not None:
            session.expunge(row)
    if row is None:
        row = ProjectFact(id=project_id, unit_id=unit_id, year=year, version=0, code="", name="", stage="planning",
                          statistics_status="not_submitted", annual_plan_investment=Decimal(0),
                          ytd_investment=Decimal(0), government_funded=False, archived=False, updated_at=utcnow())
        if loaded is None:
            session.add(row)
        else:
            session.info[_NEW].add(project_id)
    if loaded is not None:
        loaded[project_id] = session.info[_CHANGED][project_id] = row
    return row


async def _write_facts(session: AsyncSession) -> None:
    """Within a fetch: its facts rows changed since last written, in two statements at most (the ORM would take one
    UPDATE a row, and most of a fetch's time)."""
    changed: dict[str, ProjectFact] | None = session.info.get(_CHANGED)
    if not changed:
        return
    new: set[str] = session.info[_NEW]
    rows = {project_id: {c: getattr(row, c) for c in _WRITTEN} for project_id, row in changed.items()}
    if inserted := [values for project_id, values in rows.items() if project_id in new]:
        await session.execute(insert(ProjectFact.__table__), inserted)
    if updated := [values for project_id, values in rows.items() if project_id not in new]:
        await update_by_id(session, ProjectFact, updated)
    changed.clear()
    new.clear()


def _project_of(data: EventData) -> str | None:
    return data.id if isinstance(data, registry.ProjectState) else getattr(data, "project_id", None)


def _forget_others(session: AsyncSession) -> None:
    """After Core statements (an evaluation, a handler's delete): every loaded object but the fetch's facts rows is
    read again when next used; of those, only what an evaluation writes (the day evaluated)."""
    for held in list(session.identity_map.values()):
        if isinstance(held, ProjectFact):
            session.expire(held, ["evaluated_on", "due_on"])
        else:
            session.expire(held)


def _project_values(project: registry.ProjectState) -> dict:
    dates = {stage.value: when for stage, when in project.stage_dates.items()}
    return {
        "code": project.code, "name": project.name, "year": project.year, "unit_id": project.responsible_unit_id,
        "lead_leader": project.lead_leader, "stage": project.stage.value,
        "planned_start_date": project.planned_start_date, "planned_completion_date": project.planned_completion_date,
        "signed_on": dates.get("signed"), "land_supplied_on": dates.get("land_supplied"),
        "started_on": dates.get("started"), "completed_on": dates.get("completed"),
        "real_start_date": project.real_start_date, "annual_plan_investment": project.annual_plan_investment,
        "government_funded": project.government_funded, "budget": project.budget, "archived": project.archived,
        "version": project.version, "registered_on": project.registered_on or project.listed_on,
        "suspended_on": project.suspended_on, "listed_on": project.listed_on,
    }


class FactHandlers:
    """The consumer's handlers; `today` comes from the service's clock."""

    def __init__(self, settings: AlertsSettings):
        self.settings = settings

    def today(self) -> date:
        return today(self.settings)

    async def _evaluate(self, session: AsyncSession, row: ProjectFact) -> None:
        await self._evaluate_projects(session, [row.id], self.today())

    @staticmethod
    async def _evaluate_projects(session: AsyncSession, project_ids: list[str], on: date) -> None:
        """Evaluate these projects as of `on` (never before each one's last evaluation); within a fetch, with the
        wave it is in."""
        pending: dict[str, date] | None = session.info.get(_PENDING)
        if pending is None:
            await evaluate_projects(session, project_ids=project_ids, on=on)
            return
        pending.update((project_id, on) for project_id in project_ids)

    @staticmethod
    async def _evaluate_wave(session: AsyncSession) -> None:
        """The evaluations waiting in this fetch, made now: one pass a date."""
        await _write_facts(session)
        pending: dict[str, date] = session.info[_PENDING]
        by_date: dict[date, list[str]] = {}
        for project_id, on in pending.items():
            by_date.setdefault(on, []).append(project_id)
        pending.clear()
        for on, project_ids in sorted(by_date.items()):
            await evaluate_projects(session, project_ids=sorted(project_ids), on=on)
        _forget_others(session)

    @contextlib.asynccontextmanager
    async def per_fetch(self, session: AsyncSession, events) -> AsyncIterator[None]:
        """The consumer's batch scope: the facts rows of the fetch's projects read and locked at once (in key order),
        kept loaded between its events; its evaluations made in waves, the last at its end."""
        ids = sorted({p for _, data in events if (p := _project_of(data)) is not None})
        found = (await session.execute(select(*ProjectFact.__table__.columns).where(
            one_of(session, ProjectFact.id, ids)).order_by(ProjectFact.id).with_for_update())).all() if ids else []
        loaded: dict[str, SimpleNamespace | ProjectFact | None] = dict.fromkeys(ids)
        loaded.update((row.id, SimpleNamespace(**row._mapping)) for row in found)  # plain values: no ORM state
        session.info.update({_PENDING: {}, _LOADED: loaded, _CHANGED: {}, _NEW: set(), KEEP_LOADED: True})
        try:
            yield
            await self._evaluate_wave(session)
        finally:
            for key in (_PENDING, _LOADED, _CHANGED, _NEW, KEEP_LOADED):
                session.info.pop(key, None)

    def _in_order(self, handler: Handler) -> Handler:
        """The handler, after the waiting evaluations when its event is about a project that has one waiting, or
        about no project (a round, which evaluations read). Within a fetch, what a handler that is not one of the
        facts rows' own wrote with Core statements is read again afterwards."""
        facts_only = handler in (self.on_project_state, self.on_start_confirmed, self.on_investment, self.on_budget,
                                 self.on_statistics)

        async def apply(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
            pending = session.info.get(_PENDING)
            if pending and not isinstance(data, registry.UnitState):
                project_id = _project_of(data)
                if project_id is None or project_id in pending:
                    await self._evaluate_wave(session)
            if not facts_only:
                await _write_facts(session)
            await handler(session, event, data)
            if pending is not None and not facts_only:
                await session.flush()
                _forget_others(session)

        return apply

    async def on_unit(self, session: AsyncSession, _event: CloudEvent, unit: registry.UnitState) -> None:
        await session.merge(Unit(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind.value,
                                 parent_id=unit.parent_id))

    async def on_project_state(self, session: AsyncSession, _event: CloudEvent, project: registry.ProjectState) -> None:
        row = await _facts(session, project.id, unit_id=project.responsible_unit_id, year=project.year)
        if row.version >= project.version:
            return
        was_suspended = row.suspended_on
        for name, value in _project_values(project).items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        if project.suspended_on is not None and was_suspended is None:
            await tasks.hold(session, project_id=project.id, as_of=project.suspended_on)
        elif project.suspended_on is None and was_suspended is not None:
            resumed = project if isinstance(project, registry.ProjectResumed) else None
            await tasks.release(session, project_id=project.id, as_of=resumed.resumed_on if resumed else self.today(),
                                shift_days=resumed.paused_days if resumed else 0)
        await self._evaluate(session, row)

    async def on_start_confirmed(self, session: AsyncSession, _event: CloudEvent,
                                 start: registry.ProjectStartConfirmed) -> None:
        row = await _facts(session, start.project_id, unit_id=start.responsible_unit_id, year=start.date.year)
        row.real_start_date, row.updated_at = start.date, utcnow()
        await self._evaluate(session, row)

    async def on_investment(self, session: AsyncSession, event: CloudEvent,
                            report: registry.InvestmentReported) -> None:
        row = await _facts(session, report.project_id, unit_id=report.responsible_unit_id, year=report.year)
        if row.ytd_year is not None and report.year < row.ytd_year:
            return  # a correction of an earlier year: this year's figures stand
        held = row.ytd_event_time
        if held is not None and (held if held.tzinfo else held.replace(tzinfo=timezone.utc)) > event.time:
            return  # an older sum, re-fed after a newer one
        row.ytd_investment, row.ytd_year, row.ytd_event_time = report.ytd_investment, report.year, event.time
        row.annual_plan_investment, row.updated_at = report.annual_plan_investment, utcnow()
        await self._evaluate(session, row)

    async def on_budget(self, session: AsyncSession, _event: CloudEvent, budget: registry.BudgetChanged) -> None:
        row = await _facts(session, budget.project_id, unit_id=budget.responsible_unit_id, year=self.today().year)
        row.government_funded = True
        row.budget, row.approved_adjustments = budget.budget, budget.approved_adjustments
        row.spent_to_date, row.overrun_ratio, row.updated_at = budget.spent_to_date, budget.overrun_ratio, utcnow()
        await self._evaluate(session, row)

    async def on_statistics(self, session: AsyncSession, _event: CloudEvent,
                            change: registry.StatisticsStatusChanged) -> None:
        row = await _facts(session, change.project_id, unit_id=change.responsible_unit_id, year=change.date.year)
        row.statistics_status, row.updated_at = change.status.value, utcnow()
        await self._evaluate(session, row)

    async def on_parcel(self, session: AsyncSession, _event: CloudEvent, parcel: registry.ParcelState) -> None:
        row = await session.get(ParcelFact, parcel.id, with_for_update=True)
        if row is None:
            row = ParcelFact(id=parcel.id)
            session.add(row)
        row.code, row.unit_id, row.project_id, row.location = parcel.code, parcel.unit_id, parcel.project_id, parcel.location
        row.start_deadline, row.started_date, row.updated_at = parcel.start_deadline, parcel.started_date, utcnow()
        await session.flush()
        await evaluate_parcels(session, parcel_ids=[parcel.id], on=self.today())

    async def on_milestone(self, session: AsyncSession, _event: CloudEvent, node: milestones.MilestoneState) -> None:
        await self._keep_node(session, node)
        await session.flush()
        await self._evaluate_projects(session, [node.project_id], getattr(node, "as_of", None) or self.today())

    async def on_milestone_removed(self, session: AsyncSession, _event: CloudEvent,
                                   node: milestones.MilestoneRemoved) -> None:
        await session.execute(delete(MilestoneFact).where(MilestoneFact.id == node.id))
        await self._evaluate_projects(session, [node.project_id], self.today())

    async def on_schedule(self, session: AsyncSession, _event: CloudEvent,
                          schedule: milestones.ScheduleGenerated) -> None:
        """A generated schedule is the project's whole node set from now on: nodes it no longer has are gone."""
        await session.execute(delete(MilestoneFact).where(
            MilestoneFact.project_id == schedule.project_id,
            MilestoneFact.id.not_in([node.id for node in schedule.milestones])))
        for node in schedule.milestones:
            await self._keep_node(session, node)
        await session.flush()
        await self._evaluate_projects(session, [schedule.project_id], self.today())

    async def on_round_opened(self, session: AsyncSession, _event: CloudEvent,
                              round_: registry.ReportingRoundOpened) -> None:
        await session.merge(ReportingRoundFact(id=round_.id, period=round_.period, year=round_.year,
                                               deadline=round_.deadline))
        await mark_due(session, ProjectFact.year == round_.year)  # its deadline may mark them 未报

    async def on_round_report(self, session: AsyncSession, event: CloudEvent,
                              report: registry.RoundReportState) -> None:
        await session.merge(RoundReportFact(round_id=report.round_id, project_id=report.project_id,
                                            status=report.status, late=report.late))
        await session.flush()
        # a report that came after the deadline takes away the yellow mark (round_not_reported) at once
        await self._evaluate_projects(session, [report.project_id], self.today())
        if isinstance(report, registry.RoundReportApproved):
            await self.on_round_report_approved(session, event, report)

    async def on_round_report_approved(self, session: AsyncSession, event: CloudEvent,
                                       report: registry.RoundReportApproved) -> None:
        """The problems a unit reported with its approved monthly report become 堵点, each with a task for the
        project's unit (the office may hand one to another unit afterwards)."""
        row = await session.get(ProjectFact, report.project_id)
        if row is None or row.version == 0 or not report.problems:
            return
        reporter = Principal(subject=f"月调度 {report.period}", scopes=frozenset({ADMIN}), unit_id=None)
        for problem in report.problems:
            await tasks.report_problem(session=session, project_id=report.project_id, today=report.on,
                                       principal=reporter, problem_in=ProblemCreate(
                                           type=problem["type"], description=problem["description"],
                                           solving_unit_id=report.responsible_unit_id))

    @staticmethod
    async def _keep_node(session: AsyncSession, node: milestones.MilestoneState) -> None:
        """The node as its newest event says: an older version (re-fed after a newer one) changes nothing."""
        held = await session.get(MilestoneFact, node.id)
        if held is not None and None not in (held.version, node.version) and held.version > node.version:
            return
        await session.merge(MilestoneFact(id=node.id, project_id=node.project_id, key=node.key, name=node.name,
                                          planned_date=node.planned_date, actual_date=node.actual_date,
                                          critical=node.critical, version=node.version, updated_at=utcnow()))

    def handlers(self) -> Handlers:
        return {model: self._in_order(handler) for model, handler in self._handlers().items()}

    def _handlers(self) -> Handlers:
        return {
            registry.UnitCreated: self.on_unit,
            registry.UnitUpdated: self.on_unit,
            registry.ProjectRegistered: self.on_project_state,
            registry.ProjectUpdated: self.on_project_state,
            registry.ProjectArchived: self.on_project_state,
            registry.ProjectStageChanged: self.on_project_state,
            registry.ProjectSuspended: self.on_project_state,
            registry.ProjectResumed: self.on_project_state,
            registry.ProjectStartConfirmed: self.on_start_confirmed,
            registry.InvestmentReported: self.on_investment,
            registry.BudgetChanged: self.on_budget,
            registry.StatisticsStatusChanged: self.on_statistics,
            registry.ParcelRegistered: self.on_parcel,
            registry.ParcelUpdated: self.on_parcel,
            # Every node state event (planned, rescheduled, completed, reopened, reassigned, due soon, overdue).
            **{model: self.on_milestone for model in EVENTS if issubclass(model, milestones.MilestoneState)},
            registry.ReportingRoundOpened: self.on_round_opened,
            registry.RoundReportSubmitted: self.on_round_report,
            registry.RoundReportReturned: self.on_round_report,
            registry.RoundReportApproved: self.on_round_report,
            milestones.MilestoneRemoved: self.on_milestone_removed,
            milestones.ScheduleGenerated: self.on_schedule,
        }
