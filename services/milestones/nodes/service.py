"""Node use-cases: list, add, remove, reschedule, reassign, complete; completion by registry facts. Never commit."""
import dataclasses
import functools
import operator
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from contracts.milestones import (MilestoneCompleted, MilestonePlanned, MilestoneReassigned, MilestoneRemoved,
                                  MilestoneReopened, MilestoneRescheduled, MilestoneStatus)
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from kit.pagination import PageParams, keyset, page_of
from services.milestones.bulk import insert_rows
from services.milestones.critical_path import Activity, CriticalPath, analyse
from services.milestones.events import node_state, publish
from services.milestones.models import Milestone, MilestoneAlert, MilestoneChange, ProjectFact, Schedule
from services.milestones.network import without_implied
from services.milestones.nodes.schemas import Completion, MilestoneCreate, MilestonePublic, MilestoneUpdate
from services.milestones.scheduling import Calendar, CalendarKind, PlanNode, push_later
from services.milestones.settings import MilestonesSettings
from services.milestones.status import alert_levels, first_alert_date, standing
from services.milestones.templates.schemas import Trigger
from services.milestones.validation import ensure_plausible

SYSTEM = "milestones"  # the actor of changes made by the service itself (registry facts, generation)


# --- loading ----------------------------------------------------------------------------------------------------

async def get_project(*, session: AsyncSession, project_id: str, for_update: bool = False) -> ProjectFact:
    """Gets a project as the registry last announced it."""
    project = await session.get(ProjectFact, project_id, with_for_update=for_update)
    if project is None:
        raise NotFound(f"project {project_id} is not known here (yet): the registry announces projects by event")
    return project


async def get_writable_project(*, session: AsyncSession, project_id: str, principal: Principal) -> ProjectFact:
    """Gets a project whose schedule the caller may change, locked: not archived, of the caller's unit if bound."""
    project = await get_project(session=session, project_id=project_id, for_update=True)
    principal.ensure_unit(project.responsible_unit_id)
    if project.archived:
        raise Conflict(f"project {project_id} is archived; its schedule is closed")
    return project


async def project_nodes(*, session: AsyncSession, project_id: str) -> list[Milestone]:
    """A project's nodes in schedule order."""
    query = select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.position, Milestone.id)
    return list((await session.scalars(query)).all())


async def get(*, session: AsyncSession, milestone_id: str) -> Milestone:
    """Gets a node by its id."""
    node = await session.get(Milestone, milestone_id)
    if node is None:
        raise NotFound(f"milestone {milestone_id} does not exist")
    return node


async def get_writable(*, session: AsyncSession, milestone_id: str, principal: Principal) -> Milestone:
    """Gets a node the caller may change: its project is locked, writable by the caller, and not archived."""
    node = await get(session=session, milestone_id=milestone_id)
    await get_writable_project(session=session, project_id=node.project_id, principal=principal)
    await session.refresh(node)
    return node


async def calendar_of(*, session: AsyncSession, project_id: str, settings: MilestonesSettings) -> Calendar:
    """The calendar the project's schedule counts in."""
    schedule = await session.get(Schedule, project_id)
    return settings.calendar(CalendarKind(schedule.calendar) if schedule else None)


# --- shared rules -----------------------------------------------------------------------------------------------

def levels(settings: MilestonesSettings) -> tuple[int, ...]:
    return _levels(settings.due_soon_days, tuple(settings.overdue_thresholds))


@functools.lru_cache(maxsize=64)
def _levels(due_soon_days: int, overdue_thresholds: tuple[int, ...]) -> tuple[int, ...]:
    """Worked out once per configuration, not per node (a schedule restarts a dozen nodes' alerts)."""
    return tuple(alert_levels(due_soon_days=due_soon_days, overdue_thresholds=overdue_thresholds))


def restart_alerts(node: Milestone, settings: MilestonesSettings) -> None:
    """A new plan for the node: it may become due soon and overdue again, from its new planned date."""
    node.alert.alert_round += 1
    open_ = node.actual_date is None and not node.closed and node.paused_on is None
    node.alert.next_alert_date = first_alert_date(node.planned_date, levels(settings)) if open_ else None


def activities(nodes: Sequence[Milestone]) -> list[Activity]:
    return [Activity(key=n.key, duration_days=n.duration_days, predecessors=tuple(n.predecessors),
                     planned_date=n.planned_date, baseline_date=n.baseline_date, actual_date=n.actual_date,
                     pinned=n.pinned) for n in nodes]


def mark_critical(nodes: Sequence[Milestone], calendar: Calendar) -> CriticalPath | None:
    """Set each node's critical flag from the critical path of the current plan; returns that path."""
    if not nodes:
        return None
    path = analyse(activities(nodes), calendar=calendar)
    for node in nodes:
        if node.critical != path.timings[node.key].critical:
            node.critical = path.timings[node.key].critical
    return path


def public(node: Milestone, *, as_of: date, settings: MilestonesSettings) -> MilestonePublic:
    where = standing(planned=node.planned_date, actual=node.actual_date, as_of=as_of,
                     due_soon_days=settings.due_soon_days, paused_on=node.paused_on)
    against_baseline = standing(planned=node.baseline_date, actual=node.actual_date, as_of=as_of,
                                due_soon_days=settings.due_soon_days, paused_on=node.paused_on)
    values = {c.key: getattr(node, c.key) for c in Milestone.__table__.columns}
    return MilestonePublic.model_validate({**values, "status": where.status, "days_late": where.days_late,
                                           "variance_days": where.variance_days,
                                           "baseline_status": against_baseline.status,
                                           "baseline_days_late": against_baseline.days_late})


async def record(session: AsyncSession, node: Milestone, *, action: str, actor: str, changes: dict | None = None,
                 reason: str | None = None) -> None:
    """Appends one entry to the node's history (a node being created keeps it until insert_drafts writes both)."""
    entry = dict(milestone_id=node.id, project_id=node.project_id, action=action, changes=changes or {},
                 reason=reason, actor=actor, at=utcnow())
    if isinstance(node, DraftNode):
        node.history += (entry,)
    else:
        session.add(MilestoneChange(**entry))


async def announce(session: AsyncSession, model: type[EventData], node: Milestone, *, settings: MilestonesSettings,
                   today: date, **extra) -> None:
    state = node_state(node, as_of=today, due_soon_days=settings.due_soon_days)
    await publish(session, model.model_validate({**state, **extra}), subject=node.project_id)


def _touch(node: Milestone) -> None:
    node.version = (node.version or 0) + 1
    node.updated_at = utcnow()


def _complete(node: Milestone, *, actual: date, by: str, evidence: list[str], note: str | None,
              forced: bool) -> None:
    node.actual_date = actual
    node.done_days_late = max((actual - node.planned_date).days, 0)
    node.completed_by, node.forced = by, forced
    node.evidence, node.note = list(evidence), note
    node.alert.next_alert_date = None
    _touch(node)


_NODE_COLUMNS = [c.key for c in Milestone.__table__.columns]
_ALERT_COLUMNS = ["milestone_id", "alert_round", "next_alert_date"]
_CHANGE_COLUMNS = ["milestone_id", "project_id", "action", "changes", "reason", "actor", "at"]
_node_values, _change_values = operator.attrgetter(*_NODE_COLUMNS), operator.itemgetter(*_CHANGE_COLUMNS)


@dataclasses.dataclass(slots=True)
class DraftAlert:
    alert_round: int = 0
    next_alert_date: date | None = None


@dataclasses.dataclass(slots=True, eq=False)
class DraftNode:
    """A node being created: plain attributes (no ORM bookkeeping per attribute; slots: a fetch's registrations hold
    thousands until its end), its alert row and its history so far, written by insert_drafts."""

    id: str
    project_id: str
    key: str
    name: str
    position: int
    planned_date: date
    baseline_date: date
    responsible_unit_id: str
    paused_on: date | None
    created_at: datetime
    updated_at: datetime
    name_en: str | None = None
    stage: str | None = None
    trigger: str | None = None
    duration_days: int = 0
    predecessors: list[str] = dataclasses.field(default_factory=list)
    actual_date: date | None = None
    done_days_late: int | None = None
    pinned: bool = False
    responsible_person: str | None = None
    weight: int = 1
    critical: bool = False
    custom: bool = False
    completed_by: str | None = None
    forced: bool = False
    evidence: list[str] = dataclasses.field(default_factory=list)
    note: str | None = None
    closed: bool = False
    version: int = 1
    alert: DraftAlert = dataclasses.field(default_factory=DraftAlert)
    history: tuple[dict, ...] = ()


def draft_node(*, project: ProjectFact, key: str, name: str, planned: date, position: int, now: datetime | None = None,
               responsible_unit_id: str | None = None, **values) -> DraftNode:
    now = now or utcnow()
    return DraftNode(id=str(uuid.uuid4()), project_id=project.id, key=key, name=name, position=position,
                     planned_date=planned, baseline_date=planned,
                     responsible_unit_id=responsible_unit_id or project.responsible_unit_id,
                     paused_on=project.suspended_on, created_at=now, updated_at=now, **values)


def draft_rows(drafts: Sequence[DraftNode]) -> list[tuple[Table, list[str], list[tuple]]]:
    """What new nodes write: their rows, their alert rows and their history so far, as (table, columns, rows)."""
    return [(Milestone.__table__, _NODE_COLUMNS, list(map(_node_values, drafts))),
            (MilestoneAlert.__table__, _ALERT_COLUMNS,
             [(d.id, d.alert.alert_round, d.alert.next_alert_date) for d in drafts]),
            (MilestoneChange.__table__, _CHANGE_COLUMNS,
             [_change_values(entry) for d in drafts for entry in d.history])]


async def insert_drafts(session: AsyncSession, drafts: Sequence[DraftNode]) -> None:
    """Write new nodes, their alert rows and history, one statement per table (a schedule creates a dozen nodes at
    once, a fetch's registrations thousands)."""
    if not drafts:
        return
    conn = await session.connection()
    for table, columns, rows in draft_rows(drafts):
        await insert_rows(conn, table, columns, rows)


# --- registry facts ---------------------------------------------------------------------------------------------

def fact_dates(project: ProjectFact) -> tuple[dict[str, date], dict[str, date]]:
    """The registry's dates that complete nodes: by stage, and by other fact (trigger)."""
    stages = {stage: date.fromisoformat(str(when)) for stage, when in (project.stage_dates or {}).items()}
    triggers = {}
    if project.real_start_date is not None:
        triggers[Trigger.real_start.value] = project.real_start_date
    if project.statistics_included_date is not None:
        triggers[Trigger.statistics_included.value] = project.statistics_included_date
    return stages, triggers


async def apply_registry_facts(*, session: AsyncSession, project: ProjectFact, nodes: Sequence[Milestone],
                               settings: MilestonesSettings, today: date, announce_changes: bool = True) -> bool:
    """Complete the open nodes whose stage or fact the registry reports done, with its date; reopen those it took
    back. Returns whether a node changed."""
    stages, triggers = fact_dates(project)
    changed = False
    for node in nodes:
        if node.closed:
            continue
        done_on = stages.get(node.stage) if node.stage else triggers.get(node.trigger) if node.trigger else None
        if node.stage is None and node.trigger is None:
            continue
        what = f"stage {node.stage}" if node.stage else node.trigger
        if done_on is not None and (node.actual_date is None or node.completed_by == INFERRED):
            # (a date reported now replaces one only inferred from a later stage)
            _complete(node, actual=done_on, by="registry", evidence=[], note=f"registry: {what} on {done_on}",
                      forced=False)
            await record(session, node, action="completed", actor=SYSTEM,
                         changes={"actual_date": {"before": None, "after": done_on.isoformat()}},
                         reason=f"registry reported {what}")
            if announce_changes:
                await announce(session, MilestoneCompleted, node, settings=settings, today=today,
                               completed_by="registry", note=node.note)
            changed = True
        elif done_on is None and node.actual_date is not None and node.completed_by == "registry":
            before = node.actual_date
            node.actual_date, node.done_days_late, node.completed_by, node.note = None, None, None, None
            _touch(node)
            restart_alerts(node, settings)
            reason = f"the registry no longer reports {what}"
            await record(session, node, action="reopened", actor=SYSTEM,
                         changes={"actual_date": {"before": before.isoformat(), "after": None}}, reason=reason)
            if announce_changes:
                await announce(session, MilestoneReopened, node, settings=settings, today=today, reason=reason)
            changed = True
    changed |= await _infer_passed(session=session, nodes=nodes, settings=settings, today=today,
                                   announce_changes=announce_changes)
    return changed


INFERRED = "inferred"  # completed_by of a node done because a later stage was reached, on a date not reported


async def _infer_passed(*, session: AsyncSession, nodes: Sequence[Milestone], settings: MilestonesSettings,
                        today: date, announce_changes: bool) -> bool:
    """A project registered mid-flight (or moved past nodes nobody reported): what precedes a stage or fact the
    registry reports done was done, whenever exactly: never overdue, and not charged as late on a date the platform
    does not know (done by its plan at the latest). Taken back with the fact that implied it."""
    passed = _passed_before(nodes)
    changed = False
    for node in nodes:
        if node.closed:
            continue
        by = passed.get(node.key)
        if by is not None and node.actual_date is None:
            actual = min(node.planned_date, by.actual_date)
            _complete(node, actual=actual, by=INFERRED, evidence=[], forced=False,
                      note=f"登记前已完成（「{by.name}」已于 {by.actual_date} 完成，本节点实际日期不详）")
            await record(session, node, action="completed", actor=SYSTEM,
                         changes={"actual_date": {"before": None, "after": actual.isoformat()}},
                         reason=f"precedes {by.key}, done on {by.actual_date}")
            if announce_changes:
                await announce(session, MilestoneCompleted, node, settings=settings, today=today,
                               completed_by=INFERRED, note=node.note)
            changed = True
        elif by is None and node.completed_by == INFERRED:
            before = node.actual_date
            node.actual_date, node.done_days_late, node.completed_by, node.note = None, None, None, None
            _touch(node)
            restart_alerts(node, settings)
            reason = "no later stage reported by the registry implies it any more"
            await record(session, node, action="reopened", actor=SYSTEM,
                         changes={"actual_date": {"before": before.isoformat(), "after": None}}, reason=reason)
            if announce_changes:
                await announce(session, MilestoneReopened, node, settings=settings, today=today, reason=reason)
            changed = True
    return changed


def _passed_before(nodes: Sequence[Milestone]) -> dict[str, Milestone]:
    """The nodes that precede (transitively) a node the registry reports done, each with that node; nodes done by
    hand or by a fact of their own stop the walk (what precedes them is theirs to say)."""
    by_key = {node.key: node for node in nodes if not node.closed}
    found: dict[str, Milestone] = {}
    reported = [n for n in by_key.values() if n.actual_date is not None and n.completed_by == "registry"]
    for done in sorted(reported, key=lambda n: n.actual_date):
        stack = list(done.predecessors or [])
        while stack:
            node = by_key.get(stack.pop())
            if node is None or node.key in found:
                continue
            if node.actual_date is not None and node.completed_by != INFERRED:
                continue
            found[node.key] = done
            stack.extend(node.predecessors or [])
    return found


async def pause(*, session: AsyncSession, project: ProjectFact, since: date) -> None:
    """A suspended project's open nodes stop ageing from `since`: no scan reaches them until it resumes."""
    for node in await project_nodes(session=session, project_id=project.id):
        if node.actual_date is None and not node.closed and node.paused_on is None:
            node.paused_on, node.alert.next_alert_date = since, None
            _touch(node)
            await record(session, node, action="paused", actor=SYSTEM, reason=f"项目自 {since} 停工",
                         changes={"paused_on": {"before": None, "after": since.isoformat()}})


async def resume(*, session: AsyncSession, project: ProjectFact, paused_from: date, resumed_on: date,
                 paused_days: int, settings: MilestonesSettings, today: date) -> None:
    """The project runs again: each paused node's plan moves by the pause (its baseline stays) and ages again."""
    members = await project_nodes(session=session, project_id=project.id)
    reason = f"项目 {paused_from} 至 {resumed_on} 停工，顺延 {paused_days} 天"
    for node in members:
        if node.paused_on is None:
            continue
        before = node.planned_date
        node.paused_on = None
        node.planned_date = before + timedelta(days=max(paused_days, 0))
        restart_alerts(node, settings)
        _touch(node)
        await record(session, node, action="rescheduled", actor=SYSTEM, reason=reason,
                     changes={"planned_date": {"before": before.isoformat(), "after": node.planned_date.isoformat()}})
        if node.planned_date != before:
            await announce(session, MilestoneRescheduled, node, settings=settings, today=today,
                           previous_planned_date=before, reason=reason)
    mark_critical(members, await calendar_of(session=session, project_id=project.id, settings=settings))


async def close_schedule(*, session: AsyncSession, project: ProjectFact) -> None:
    """An archived project's schedule is closed: its nodes stay readable but leave lists, scans and changes."""
    schedule = await session.get(Schedule, project.id)
    if schedule is not None:
        schedule.closed = True
    for node in await project_nodes(session=session, project_id=project.id):
        if not node.closed:
            node.closed, node.alert.next_alert_date = True, None
            _touch(node)


# --- use-cases --------------------------------------------------------------------------------------------------

async def add(*, session: AsyncSession, project_id: str, node_in: MilestoneCreate, principal: Principal,
              settings: MilestonesSettings, today: date) -> Milestone:
    """Adds a custom node to a project's schedule; its planned date is also its baseline."""
    project = await get_writable_project(session=session, project_id=project_id, principal=principal)
    ensure_plausible(project, {"planned_date": node_in.planned_date})
    nodes = await project_nodes(session=session, project_id=project_id)
    by_key = {n.key: n for n in nodes}
    if node_in.key in by_key:
        raise Conflict(f"the project already has a node '{node_in.key}'")
    errors = [field_error(f"predecessors[{i}]", f"unknown node '{p}'")
              for i, p in enumerate(node_in.predecessors) if p not in by_key]
    for attribute in ("stage", "trigger"):
        value = getattr(node_in, attribute)
        holder = next((n.key for n in nodes if value is not None and getattr(n, attribute) == value), None)
        if holder:
            errors.append(field_error(attribute, f"node '{holder}' is already completed by {attribute} '{value}'"))
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)
    node = draft_node(project=project, key=node_in.key, name=node_in.name, planned=node_in.planned_date,
                    position=max((n.position for n in nodes), default=-1) + 1, name_en=node_in.name_en,
                    stage=node_in.stage, trigger=node_in.trigger, duration_days=node_in.duration_days,
                    predecessors=list(dict.fromkeys(node_in.predecessors)), pinned=True, custom=True,
                    responsible_unit_id=node_in.responsible_unit_id, responsible_person=node_in.responsible_person,
                    weight=node_in.weight)
    restart_alerts(node, settings)
    nodes.append(node)
    await record(session, node, action="planned", actor=principal.subject,
                 changes={"planned_date": {"before": None, "after": node.planned_date.isoformat()}})
    await apply_registry_facts(session=session, project=project, nodes=[node], settings=settings, today=today,
                               announce_changes=False)
    mark_critical(nodes, await calendar_of(session=session, project_id=project_id, settings=settings))
    await insert_drafts(session, [node])
    await session.flush()
    await announce(session, MilestonePlanned, node, settings=settings, today=today)
    if node.actual_date is not None:
        await announce(session, MilestoneCompleted, node, settings=settings, today=today, completed_by="registry",
                       note=node.note)
    return node


async def remove(*, session: AsyncSession, project_id: str, milestone_id: str, reason: str | None,
                 principal: Principal, settings: MilestonesSettings, today: date) -> None:
    """Removes a node that is not done; the nodes after it inherit its predecessors."""
    await get_writable_project(session=session, project_id=project_id, principal=principal)
    nodes = await project_nodes(session=session, project_id=project_id)
    node = next((n for n in nodes if n.id == milestone_id), None)
    if node is None:
        raise NotFound(f"milestone {milestone_id} is not a node of project {project_id}")
    if node.actual_date is not None:
        raise Conflict(f"node '{node.key}' was done on {node.actual_date}; a done node is kept")
    rest = [n for n in nodes if n.id != node.id]
    bridged = {n.key: list(dict.fromkeys(k for p in n.predecessors for k in (node.predecessors if p == node.key
                                                                             else [p]))) for n in rest}
    for other in rest:
        if node.key in other.predecessors:
            other.predecessors = without_implied(bridged, other.key)
            _touch(other)
    mark_critical(rest, await calendar_of(session=session, project_id=project_id, settings=settings))
    await record(session, node, action="removed", actor=principal.subject, reason=reason)
    await announce(session, MilestoneRemoved, node, settings=settings, today=today)
    await session.delete(node)
    await session.flush()


async def change(*, session: AsyncSession, milestone_id: str, update_in: MilestoneUpdate, principal: Principal,
                 settings: MilestonesSettings, today: date) -> Milestone:
    """Reschedules (with a reason; the baseline stays, the history keeps the old date) and/or reassigns a node."""
    node = await get_writable(session=session, milestone_id=milestone_id, principal=principal)
    ensure_plausible(await get_project(session=session, project_id=node.project_id),
                     {"planned_date": update_in.planned_date})
    sent = update_in.model_fields_set
    nodes = await project_nodes(session=session, project_id=node.project_id)
    node = next(n for n in nodes if n.id == milestone_id)
    calendar = await calendar_of(session=session, project_id=node.project_id, settings=settings)
    moved: list[tuple[Milestone, date]] = []
    if "planned_date" in sent and update_in.planned_date is None:
        raise Invalid("the planned date cannot be null", errors=[field_error("planned_date", "cannot be null")])
    if update_in.planned_date is not None and update_in.planned_date != node.planned_date:
        if node.actual_date is not None:
            raise Conflict(f"node '{node.key}' was done on {node.actual_date}; a done node is not rescheduled")
        if not update_in.reason:
            raise Invalid("rescheduling needs a reason", errors=[field_error("reason", "required with planned_date")])
        moved.append((node, node.planned_date))
        node.planned_date, node.pinned = update_in.planned_date, True
        if update_in.cascade:
            later = push_later([PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in nodes],
                               {n.key: n.planned_date for n in nodes}, calendar=calendar, moved_from=[node.key],
                               done={n.key: n.actual_date for n in nodes if n.actual_date is not None})
            for other in nodes:
                if other.key in later:
                    moved.append((other, other.planned_date))
                    other.planned_date = later[other.key]
    reassigned = {f: getattr(update_in, f) for f in ("responsible_unit_id", "responsible_person")
                  if f in sent and getattr(update_in, f) != getattr(node, f)}
    previous = {f"previous_{f}": getattr(node, f) for f in ("responsible_unit_id", "responsible_person")}
    for field in reassigned:
        setattr(node, field, reassigned[field])
    edited = {f: getattr(update_in, f) for f in ("name", "weight")
              if f in sent and getattr(update_in, f) is not None and getattr(update_in, f) != getattr(node, f)}
    before_edit = {f: getattr(node, f) for f in edited}
    for field, value in edited.items():
        setattr(node, field, value)
    if not moved and not reassigned and not edited:
        return node
    for moved_node, _ in moved:
        restart_alerts(moved_node, settings)
        _touch(moved_node)
    if (reassigned or edited) and not any(m is node for m, _ in moved):
        _touch(node)
    mark_critical(nodes, calendar)
    await session.flush()
    for moved_node, before in moved:
        reason = update_in.reason if moved_node is node else f"moved after '{node.key}': {update_in.reason}"
        await record(session, moved_node, action="rescheduled", actor=principal.subject, reason=reason,
                     changes={"planned_date": {"before": before.isoformat(),
                                               "after": moved_node.planned_date.isoformat()}})
        await announce(session, MilestoneRescheduled, moved_node, settings=settings, today=today,
                       previous_planned_date=before, reason=reason)
    if reassigned:
        await record(session, node, action="reassigned", actor=principal.subject, reason=update_in.reason,
                     changes={f: {"before": previous[f"previous_{f}"], "after": v} for f, v in reassigned.items()})
        await announce(session, MilestoneReassigned, node, settings=settings, today=today, **previous)
    if edited:
        await record(session, node, action="updated", actor=principal.subject, reason=update_in.reason,
                     changes={f: {"before": before_edit[f], "after": v} for f, v in edited.items()})
    return node


async def complete(*, session: AsyncSession, milestone_id: str, completion: Completion, principal: Principal,
                   settings: MilestonesSettings, today: date) -> Milestone:
    """Completes a node on its actual date; not in the future, and not ahead of its predecessors unless forced."""
    node = await get_writable(session=session, milestone_id=milestone_id, principal=principal)
    if node.actual_date is not None:
        raise Conflict(f"node '{node.key}' was already done on {node.actual_date}")
    if completion.actual_date > today:
        raise Invalid("the actual date is in the future",
                      errors=[field_error("actual_date", f"{completion.actual_date} is after today ({today})")])
    if completion.force and not completion.reason:
        raise Invalid("forcing a completion needs a reason", errors=[field_error("reason", "required with force")])
    ensure_plausible(await get_project(session=session, project_id=node.project_id),
                     {"actual_date": completion.actual_date})
    nodes = await project_nodes(session=session, project_id=node.project_id)
    node = next(n for n in nodes if n.id == milestone_id)
    by_key = {n.key: n for n in nodes}
    open_ = [p for p in node.predecessors if by_key[p].actual_date is None]
    later = [p for p in node.predecessors
             if by_key[p].actual_date is not None and by_key[p].actual_date > completion.actual_date]
    if (open_ or later) and not completion.force:
        parts = []
        if open_:
            parts.append(f"not done yet: {', '.join(open_)}")
        if later:
            parts.append(f"done after {completion.actual_date}: {', '.join(later)}")
        raise Conflict(f"node '{node.key}' comes after predecessors {'; '.join(parts)} "
                       "(send force with a reason to complete it anyway)")
    forced = bool(open_ or later)
    _complete(node, actual=completion.actual_date, by="manual", evidence=completion.evidence, note=completion.note,
              forced=forced)
    mark_critical(nodes, await calendar_of(session=session, project_id=node.project_id, settings=settings))
    await session.flush()
    changes = {"actual_date": {"before": None, "after": completion.actual_date.isoformat()}}
    if forced:
        changes["forced_past"] = {"before": None, "after": open_ + later}
    await record(session, node, action="completed", actor=principal.subject, changes=changes,
                 reason=completion.reason)
    await announce(session, MilestoneCompleted, node, settings=settings, today=today, completed_by="manual",
                   forced=forced, evidence=node.evidence, note=node.note)
    return node


async def history(*, session: AsyncSession, milestone_id: str, params: PageParams) -> tuple[list, str | None]:
    """Lists a node's changes, oldest first (kept after the node is removed)."""
    query = select(MilestoneChange).where(MilestoneChange.milestone_id == milestone_id)
    rows = list((await session.scalars(keyset(query, key=MilestoneChange.id, params=params))).all())
    if not rows and not params.cursor and await session.get(Milestone, milestone_id) is None:
        raise NotFound(f"milestone {milestone_id} does not exist")
    return page_of(rows, params, keys=lambda r: [r.id])


async def list_for_project(*, session: AsyncSession, project_id: str, params: PageParams) -> tuple[list, str | None]:
    """Lists a project's nodes in schedule order."""
    await get_project(session=session, project_id=project_id)
    query = select(Milestone).where(Milestone.project_id == project_id)
    rows = list((await session.scalars(keyset(query, key=Milestone.id, sort=Milestone.position,
                                              params=params))).all())
    return page_of(rows, params, keys=lambda n: [n.position, n.id])


def status_condition(status: MilestoneStatus, *, as_of: date, due_soon_days: int):
    """SQL for a node having `status` as of a date (a paused node stands as it did when its project was suspended,
    and comes due never while paused)."""
    horizon = as_of + timedelta(days=due_soon_days)
    open_, done = Milestone.actual_date.is_(None), Milestone.actual_date.is_not(None)
    running, paused = Milestone.paused_on.is_(None), Milestone.paused_on.is_not(None)
    overdue = and_(open_, Milestone.planned_date < as_of,
                   or_(running, Milestone.planned_date < Milestone.paused_on))
    return {
        MilestoneStatus.pending: and_(open_, ~overdue, or_(paused, Milestone.planned_date > horizon)),
        MilestoneStatus.due_soon: and_(open_, running, Milestone.planned_date >= as_of,
                                       Milestone.planned_date <= horizon),
        MilestoneStatus.overdue: overdue,
        MilestoneStatus.done_on_time: and_(done, Milestone.done_days_late == 0),
        MilestoneStatus.done_late: and_(done, Milestone.done_days_late > 0),
    }[status]


async def search(*, session: AsyncSession, params: PageParams, as_of: date, due_soon_days: int,
                 statuses: list[MilestoneStatus], unit_id: str | None, project_id: str | None,
                 min_days_late: int | None, due_before: date | None, critical: bool | None,
                 include_closed: bool) -> tuple[list[Milestone], str | None]:
    """Nodes across projects by status as of a date, unit, lateness and due date; earliest planned first."""
    query = select(Milestone)
    if not include_closed:
        query = query.where(Milestone.closed.is_(False))
    if statuses:
        query = query.where(or_(*(status_condition(s, as_of=as_of, due_soon_days=due_soon_days) for s in statuses)))
    if unit_id is not None:
        query = query.where(Milestone.responsible_unit_id == unit_id)
    if project_id is not None:
        query = query.where(Milestone.project_id == project_id)
    if min_days_late:
        # (a paused node's lateness stopped with its project: it is left out here)
        query = query.where(or_(
            and_(Milestone.actual_date.is_(None), Milestone.paused_on.is_(None),
                 Milestone.planned_date <= as_of - timedelta(days=min_days_late)),
            Milestone.done_days_late >= min_days_late))
    if due_before is not None:
        query = query.where(Milestone.planned_date < due_before)
    if critical is not None:
        query = query.where(Milestone.critical.is_(critical))
    query = keyset(query, key=Milestone.id, sort=Milestone.planned_date, params=params)
    rows = list((await session.scalars(query)).all())
    return page_of(rows, params, keys=lambda n: [n.planned_date, n.id])
