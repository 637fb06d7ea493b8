"""Reports event handlers: keep the read models and their aggregates current, idempotent and in order per project.

Each event is applied once (the consumer's inbox). Project state events carry the whole state and a version: an
older version than the row's is ignored. The other facts are idempotent by nature (upserts keyed by the fact's id),
and events of one project arrive in order on their topic's partition; facts that arrive before the project is
registered wait on an unregistered row. Every fact is dated by the business date its event carries (a project's 入库
and 出库 days, the day a change of its unit or year takes effect, a task's days); only events written before they
carried one, and task answers and returns (which carry none), are dated by their event's time in the deployment's
time zone.
"""
import functools
from datetime import date, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import alerts, milestones, registry, topics
from contracts.envelope import CloudEvent, EventData
from kit.consumer import Handler, Handlers
from services.reports.cells import STAGE_DATE_COLUMNS
from services.reports.models import (AlertView, InvestmentMonth, MilestoneView, ParcelView, ProjectMove,
                                     RoundReportView, RoundView, StatisticsHistory, StatusHistory, SuspensionView,
                                     TaskHistory, TaskView, UnitView)
from services.reports.projection import (append, batch_writes, changing, counted_year, derive_later, held_time,
                                         node_counts, upsert, write_kept, ytd_of)
from services.reports.settings import ReportsSettings

CONSUMED_TOPICS = topics.CONSUMERS["reports"]
# PostgreSQL advisory lock that fences live event handling off a running rebuild (see services.reports.rebuild).
REBUILD_LOCK = 0x6B70_0404
# The business day each task event happened on (events written before it was carried: the day published).
TASK_EVENT_DAYS = {alerts.TaskOpened: "opened_on", alerts.TaskClosed: "closed_on", alerts.TaskEscalated: "as_of",
                   alerts.TaskResolvableChanged: "as_of", alerts.TaskFeedback: "answered_on",
                   alerts.TaskReturned: "returned_on", alerts.TaskHoldChanged: "as_of"}


@functools.cache
def _zone() -> ZoneInfo:
    return ZoneInfo(ReportsSettings().timezone)


def day_of(event: CloudEvent) -> date:
    """The day an event was published, in the deployment's time zone: only for facts whose events carry no date of
    their own (those written before they did)."""
    return event.time.astimezone(_zone()).date()


def _effective_on(event: CloudEvent, project: registry.ProjectState) -> date:
    """The day a change of the project's unit or year takes effect: as the registry dates it."""
    return getattr(project, "effective_on", None) or day_of(event)


def deployment_of(event: CloudEvent) -> str:
    """The deployment an event comes from: its source without the producing service (/keyproject/330102)."""
    return event.source.rstrip("/").rpartition("/")[0]


async def on_unit(session: AsyncSession, event: CloudEvent, unit: registry.UnitState) -> None:
    await upsert(session, UnitView, {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind.value,
                                     "parent_id": unit.parent_id, "deployment": deployment_of(event)}, keys=("id",))


async def on_project_state(session: AsyncSession, event: CloudEvent, project: registry.ProjectState) -> None:
    """Every project event carries the whole state: keep the newest version; an archived project counts nowhere
    (and, as of a past date, only from the day it was registered until the day it was archived)."""
    async with changing(session, project.id) as row:
        if row.registered and row.version >= project.version:
            return
        # Investments of a project are announced after it (one key, one ordered partition), but a producer that
        # re-feeds a broker which lost its log may deliver one before it: a project seen for the first time sums
        # whatever months are already here.
        first_seen_registered = not row.registered
        year_changed = row.registered and row.year != project.year
        if row.registered and (row.unit_id, row.year) != (project.responsible_unit_id, project.year):
            await append(session, ProjectMove, {
                "project_id": project.id, "effective_on": _effective_on(event, project), "unit_from": row.unit_id,
                "year_from": row.year, "unit_to": project.responsible_unit_id, "year_to": project.year})
        # On the list from its 入库 day and until its 出库 day, as the registry dates them; events written before
        # those dates existed: the day the project was first seen, and archived.
        first_seen = row.registered_on if row.registered else day_of(event)
        row.registered_on = project.listed_on or project.registered_on or first_seen
        row.entered_on = project.registered_on or row.entered_on or first_seen
        row.registered = True
        row.deployment = deployment_of(event)
        row.archived = project.archived
        row.archived_on = (project.delisted_on or row.archived_on or day_of(event)) if project.archived else None
        row.version = project.version
        row.code, row.name, row.year = project.code, project.name, project.year
        row.unit_id = project.responsible_unit_id
        row.level, row.category, row.sector = project.level.value, project.category, project.sector.value
        row.bracket, row.stage = project.bracket.value, project.stage.value
        row.total_investment = project.total_investment
        row.annual_plan_investment = project.annual_plan_investment
        row.owner, row.lead_leader = project.owner, project.lead_leader
        row.planned_start_date = project.planned_start_date
        row.planned_completion_date = project.planned_completion_date
        for stage, column in STAGE_DATE_COLUMNS.items():
            setattr(row, column, project.stage_dates.get(stage))
        row.real_start_date = project.real_start_date
        row.government_funded = project.government_funded
        row.concentrated_start = project.concentrated_start
        if (year_changed or first_seen_registered) and not derive_later(session, months=project.id):
            row.ytd_investment = await ytd_of(session, project_id=project.id, year=project.year)


async def on_start_confirmed(session: AsyncSession, _event: CloudEvent, start: registry.ProjectStartConfirmed) -> None:
    async with changing(session, start.project_id) as row:
        row.real_start_date = start.date


def _timed_row(data: EventData) -> tuple[type, dict] | None:
    """The row an event sets only when it was staged no earlier than the event that last set it, with its key (a
    producer re-feeding a broker may deliver an event after a newer one); None for other events."""
    if isinstance(data, registry.InvestmentReported):
        return InvestmentMonth, {"project_id": data.project_id, "period": data.period}
    if isinstance(data, alerts.AlertState):
        return AlertView, {"id": data.id}
    if isinstance(data, alerts.TaskState):
        return TaskView, {"id": data.id}
    return None


async def _older(session: AsyncSession, event: CloudEvent, data: EventData) -> bool:
    """Whether its row was set from an event staged after this one (re-fed by a producer after the newer one)."""
    held = await held_time(session, *_timed_row(data))
    if held is None:
        return False
    time = event.time.astimezone(timezone.utc)
    return (held if held.tzinfo else held.replace(tzinfo=timezone.utc)) > time


async def on_investment(session: AsyncSession, event: CloudEvent, investment: registry.InvestmentReported) -> None:
    """One month's amount (a correction replaces it); the project's year-to-date is summed from its months."""
    if await _older(session, event, investment):
        return
    await upsert(session, InvestmentMonth, {"project_id": investment.project_id, "period": investment.period,
                                            "year": investment.year, "amount": investment.amount,
                                            "event_time": event.time}, keys=("project_id", "period"))
    if derive_later(session, months=investment.project_id):
        return
    async with changing(session, investment.project_id) as row:
        row.ytd_investment = await ytd_of(session, project_id=row.id, year=row.year)


async def on_statistics(session: AsyncSession, _event: CloudEvent, change: registry.StatisticsStatusChanged) -> None:
    await append(session, StatisticsHistory, {"project_id": change.project_id, "date": change.date,
                                              "status": change.status.value})
    async with changing(session, change.project_id) as row:
        row.statistics_status, row.statistics_date = change.status.value, change.date


async def on_parcel(session: AsyncSession, _event: CloudEvent, parcel: registry.ParcelState) -> None:
    await upsert(session, ParcelView, {
        "id": parcel.id, "code": parcel.code, "unit_id": parcel.unit_id, "project_id": parcel.project_id,
        "area_mu": parcel.area_mu, "sale_date": parcel.sale_date, "delivery_date": parcel.delivery_date,
        "start_deadline": parcel.start_deadline, "started_date": parcel.started_date}, keys=("id",))


async def _keep_node(session: AsyncSession, node: milestones.MilestoneState) -> None:
    """The node as its newest event says: an older version (re-fed after a newer one) changes nothing."""
    values = {"id": node.id, "project_id": node.project_id, "key": node.key, "name": node.name,
              "status": node.status.value, "planned_date": node.planned_date, "actual_date": node.actual_date,
              "days_late": node.days_late, "critical": node.critical, "version": node.version}
    await upsert(session, MilestoneView, values, keys=("id",), newer="version")


async def _recount_nodes(session: AsyncSession, project_id: str) -> None:
    if derive_later(session, nodes=project_id):
        return
    async with changing(session, project_id) as row:
        for column, count in (await node_counts(session, project_id=project_id)).items():
            setattr(row, column, count)


async def on_milestone(session: AsyncSession, _event: CloudEvent, node: milestones.MilestoneState) -> None:
    await _keep_node(session, node)
    await _recount_nodes(session, node.project_id)


async def on_milestone_removed(session: AsyncSession, _event: CloudEvent, node: milestones.MilestoneRemoved) -> None:
    await write_kept(session, MilestoneView)  # the node's kept row is written before it goes
    await session.execute(delete(MilestoneView).where(MilestoneView.id == node.id))
    await _recount_nodes(session, node.project_id)


async def on_schedule(session: AsyncSession, _event: CloudEvent, schedule: milestones.ScheduleGenerated) -> None:
    """A generated schedule is the project's whole node set from now on."""
    keep = [node.id for node in schedule.milestones]
    await write_kept(session, MilestoneView)  # nodes kept earlier in the fetch go or stay as the others do
    await session.execute(delete(MilestoneView).where(MilestoneView.project_id == schedule.project_id,
                                                      MilestoneView.id.not_in(keep)))
    for node in schedule.milestones:
        await _keep_node(session, node)
    await _recount_nodes(session, schedule.project_id)


async def on_status(session: AsyncSession, _event: CloudEvent, status: alerts.ProjectStatusChanged) -> None:
    """The project's colour and grade; a status dated before the one held (a backfill) only enters the history."""
    await append(session, StatusHistory, {"project_id": status.project_id, "as_of": status.as_of,
                                          "colour": status.to_colour.value, "grade": status.to_grade.value})
    async with changing(session, status.project_id) as row:
        if row.status_as_of is None or status.as_of >= row.status_as_of:
            row.colour, row.grade, row.status_as_of = status.to_colour.value, status.to_grade.value, status.as_of


async def on_alert(session: AsyncSession, event: CloudEvent, alert: alerts.AlertState) -> None:
    """The alert as last announced; a resolved one is dated by its `as_of` (the day it cleared)."""
    if await _older(session, event, alert):
        return
    resolved = alert.status == alerts.AlertStatus.resolved
    await upsert(session, AlertView, {"id": alert.id, "project_id": alert.project_id, "rule": alert.rule,
                                      "colour": alert.colour.value, "message": alert.message,
                                      "wording": alert.wording, "as_of": alert.as_of, "status": alert.status.value, "raised_on": alert.raised_on,
                                      "resolved_on": alert.as_of if resolved else None, "event_time": event.time},
                 keys=("id",))


async def on_task(session: AsyncSession, event: CloudEvent, task: alerts.TaskState) -> None:
    """Tasks count per unit when read (late depends on the day): the task as it is, and the state it was in from
    the day of this event on."""
    if await _older(session, event, task):
        return
    await upsert(session, TaskView, {
        "id": task.id, "project_id": task.project_id, "unit_id": task.unit_id, "title": task.title,
        "status": task.status.value, "deadline": task.deadline, "escalation_level": task.escalation_level.value,
        "resolvable": task.resolvable, "on_hold": task.on_hold, "opened_on": task.opened_on,
        "closed_on": task.closed_on, "event_time": event.time,
        "counted_year": await counted_year(session, task.project_id)},
                 keys=("id",))
    day = getattr(task, TASK_EVENT_DAYS.get(type(task), ""), None) or day_of(event)
    await append(session, TaskHistory, {"task_id": task.id, "date": day, "status": task.status.value,
                                        "resolvable": task.resolvable, "on_hold": task.on_hold})


async def on_suspension(session: AsyncSession, event: CloudEvent,
                        project: registry.ProjectSuspended | registry.ProjectResumed) -> None:
    """The project's state as every state event, and the suspension episode for the month's bulletin."""
    await on_project_state(session, event, project)
    if isinstance(project, registry.ProjectSuspended):
        await upsert(session, SuspensionView, {
            "id": project.suspension_id, "project_id": project.id, "unit_id": project.responsible_unit_id,
            "reason": project.reason, "suspended_on": project.suspended_on, "resumed_on": None}, keys=("id",))
    else:
        await upsert(session, SuspensionView, {
            "id": project.suspension_id, "project_id": project.id, "unit_id": project.responsible_unit_id,
            "reason": None, "suspended_on": project.paused_from, "resumed_on": project.resumed_on}, keys=("id",))


async def on_round_opened(session: AsyncSession, _event: CloudEvent, round_: registry.ReportingRoundOpened) -> None:
    await upsert(session, RoundView, {"id": round_.id, "period": round_.period, "year": round_.year,
                                      "deadline": round_.deadline}, keys=("id",))


async def on_round_report(session: AsyncSession, _event: CloudEvent, report: registry.RoundReportState) -> None:
    """Where the report stands; late as its first submission was (a correction never makes it late)."""
    await upsert(session, RoundReportView, {"round_id": report.round_id, "project_id": report.project_id,
                                            "unit_id": report.responsible_unit_id, "status": report.status,
                                            "late": report.late}, keys=("round_id", "project_id"))


def _subclasses(base: type[EventData], module) -> list[type[EventData]]:
    return [model for model in vars(module).values()
            if isinstance(model, type) and issubclass(model, base) and model is not base and hasattr(model, "type")]


HANDLERS: Handlers = {
    registry.UnitCreated: on_unit,
    registry.UnitUpdated: on_unit,
    **{model: on_project_state for model in _subclasses(registry.ProjectState, registry)},
    registry.ProjectSuspended: on_suspension,
    registry.ProjectResumed: on_suspension,
    registry.ReportingRoundOpened: on_round_opened,
    **{model: on_round_report for model in _subclasses(registry.RoundReportState, registry)},
    registry.ProjectStartConfirmed: on_start_confirmed,
    registry.InvestmentReported: on_investment,
    registry.StatisticsStatusChanged: on_statistics,
    **{model: on_parcel for model in _subclasses(registry.ParcelState, registry)},
    **{model: on_milestone for model in _subclasses(milestones.MilestoneState, milestones)},
    milestones.MilestoneRemoved: on_milestone_removed,
    milestones.ScheduleGenerated: on_schedule,
    alerts.ProjectStatusChanged: on_status,
    **{model: on_alert for model in _subclasses(alerts.AlertState, alerts)},
    **{model: on_task for model in _subclasses(alerts.TaskState, alerts)},
}


def batch_scope(session: AsyncSession, events: list[tuple[CloudEvent, EventData]]):
    """A fetch's (or a rebuild read's) transaction folded in memory: `batch_writes`, given the rows its events set
    only when newer."""
    return batch_writes(session, events, timed=[row for _, data in events if (row := _timed_row(data))])


_FENCED = "reports.fenced"


def fenced(handler: Handler) -> Handler:
    """The live consumer's handler: on PostgreSQL it first takes the rebuild lock shared, so while a rebuild holds
    it exclusively (on any instance) live events wait, and are applied after it (or found in its inbox)."""

    async def apply(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
        # Once per transaction (each consumer transaction has a session of its own): the lock is held until it ends.
        if session.bind.dialect.name == "postgresql" and not session.info.get(_FENCED):
            await session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": REBUILD_LOCK})
            session.info[_FENCED] = True
        await handler(session, event, data)

    apply.__name__ = getattr(handler, "__name__", "handler")
    return apply


LIVE_HANDLERS: Handlers = {model: fenced(handler) for model, handler in HANDLERS.items()}
