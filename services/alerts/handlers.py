"""Consumed events: keep the facts each rule needs, then evaluate the project (or parcel) the event is about.

Project state events are applied in version order (older versions are ignored); events about a project not
yet seen create a placeholder row (version 0) that its state event completes, and which is not evaluated
until then.
"""
from datetime import date, timezone
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import milestones, registry
from contracts.catalog import EVENTS
from contracts.envelope import CloudEvent
from kit.auth import ADMIN, Principal
from kit.clock import today, utcnow
from kit.consumer import Handlers
from services.alerts.evaluation.service import evaluate_parcels, evaluate_projects
from services.alerts.models import (MilestoneFact, ParcelFact, ProjectFact, ReportingRoundFact, RoundReportFact,
                                   Unit)
from services.alerts.tasks import service as tasks
from services.alerts.tasks.schemas import ProblemCreate
from services.alerts.settings import AlertsSettings


async def _facts(session: AsyncSession, project_id: str, *, unit_id: str, year: int) -> ProjectFact:
    """The project's facts row, locked; a placeholder when the project's state has not arrived yet."""
    row = await session.get(ProjectFact, project_id, with_for_update=True)
    if row is None:
        row = ProjectFact(id=project_id, unit_id=unit_id, year=year, version=0, code="", name="", stage="planning",
                          statistics_status="not_submitted", annual_plan_investment=Decimal(0),
                          ytd_investment=Decimal(0), government_funded=False, archived=False, updated_at=utcnow())
        session.add(row)
    return row


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

    async def _evaluate(self, session: AsyncSession, row: ProjectFact, on: date | None = None) -> None:
        """Evaluate the project of this facts row as of `on` (default today), never before its last evaluation."""
        on = on or self.today()
        await evaluate_projects(session, project_ids=[row.id], on=max(on, row.evaluated_on or on), exact=True)

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
        await session.flush()
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
        await session.flush()
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
        await session.flush()
        await self._evaluate(session, row)

    async def on_budget(self, session: AsyncSession, _event: CloudEvent, budget: registry.BudgetChanged) -> None:
        row = await _facts(session, budget.project_id, unit_id=budget.responsible_unit_id, year=self.today().year)
        row.government_funded = True
        row.budget, row.approved_adjustments = budget.budget, budget.approved_adjustments
        row.spent_to_date, row.overrun_ratio, row.updated_at = budget.spent_to_date, budget.overrun_ratio, utcnow()
        await session.flush()
        await self._evaluate(session, row)

    async def on_statistics(self, session: AsyncSession, _event: CloudEvent,
                            change: registry.StatisticsStatusChanged) -> None:
        row = await _facts(session, change.project_id, unit_id=change.responsible_unit_id, year=change.date.year)
        row.statistics_status, row.updated_at = change.status.value, utcnow()
        await session.flush()
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
        on = getattr(node, "as_of", None) or self.today()
        await evaluate_projects(session, project_ids=[node.project_id], on=on)

    async def on_milestone_removed(self, session: AsyncSession, _event: CloudEvent,
                                   node: milestones.MilestoneRemoved) -> None:
        await session.execute(delete(MilestoneFact).where(MilestoneFact.id == node.id))
        await evaluate_projects(session, project_ids=[node.project_id], on=self.today())

    async def on_schedule(self, session: AsyncSession, _event: CloudEvent,
                          schedule: milestones.ScheduleGenerated) -> None:
        """A generated schedule is the project's whole node set from now on: nodes it no longer has are gone."""
        await session.execute(delete(MilestoneFact).where(
            MilestoneFact.project_id == schedule.project_id,
            MilestoneFact.id.not_in([node.id for node in schedule.milestones])))
        for node in schedule.milestones:
            await self._keep_node(session, node)
        await session.flush()
        await evaluate_projects(session, project_ids=[schedule.project_id], on=self.today())

    async def on_round_opened(self, session: AsyncSession, _event: CloudEvent,
                              round_: registry.ReportingRoundOpened) -> None:
        await session.merge(ReportingRoundFact(id=round_.id, period=round_.period, year=round_.year,
                                               deadline=round_.deadline))

    async def on_round_report(self, session: AsyncSession, event: CloudEvent,
                              report: registry.RoundReportState) -> None:
        await session.merge(RoundReportFact(round_id=report.round_id, project_id=report.project_id,
                                            status=report.status, late=report.late))
        await session.flush()
        # a report that came after the deadline takes away the yellow mark (round_not_reported) at once
        await evaluate_projects(session, project_ids=[report.project_id], on=self.today())
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
