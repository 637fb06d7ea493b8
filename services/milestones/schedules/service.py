"""Schedule use-cases: generate (or regenerate) a project's nodes from a template, view them, their critical path.
Never commit."""
import functools
import logging
from datetime import date
from types import EllipsisType

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.milestones import MilestoneRemoved, ScheduleGenerated, ScheduleMode
from contracts.registry import Stage
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from services.milestones.critical_path import analyse
from services.milestones.events import node_state
from services.milestones.models import Milestone, ProjectFact, Schedule
from services.milestones.network import without_implied
from services.milestones.nodes import service as nodes
from services.milestones.schedules.schemas import CriticalPathPublic, NodeTiming, SchedulePublic, ScheduleRequest
from services.milestones.scheduling import Calendar, PlanNode, from_day, plan
from services.milestones.settings import MilestonesSettings
from services.milestones.templates import service as templates
from services.milestones.templates.schemas import TemplateNode
from services.milestones.validation import ensure_plausible, project_window
from services.milestones.writes import Writes

log = logging.getLogger(__name__)

# Whether a project has a schedule or nodes: built once, a registration asks it every time.
_SCHEDULED = select(or_(exists().where(Schedule.project_id == bindparam("project_id")),
                        exists().where(Milestone.project_id == bindparam("project_id"))))

# The node a schedule hangs on by default: the target date is completion acceptance, the start date the start.
DEFAULT_ANCHOR_STAGE = {ScheduleMode.backward: Stage.completed, ScheduleMode.forward: Stage.started}


@functools.lru_cache(maxsize=256)
def _kept(network: tuple[tuple[str, tuple[str, ...]], ...], omit: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Each kept node's predecessors: a node after an omitted one inherits its predecessors. By the dependencies alone,
    so the projects of a template share one answer."""
    by_key = dict(network)

    def through(key: str) -> list[str]:
        return [k for p in by_key[key] for k in through(p)] if key in omit else [key]

    bridged = {key: list(dict.fromkeys(k for p in before for k in through(p)))
               for key, before in network if key not in omit}
    return {key: tuple(without_implied(bridged, key)) for key in bridged}


def _omit(template_nodes: list[TemplateNode], omit: set[str]) -> list[TemplateNode]:
    """The template without the omitted nodes; a node after an omitted one inherits its predecessors."""
    kept = _kept(tuple((n.key, tuple(n.predecessors)) for n in template_nodes), frozenset(omit))
    return [node if tuple(node.predecessors) == kept[node.key]
            else node.model_copy(update={"predecessors": list(kept[node.key])})
            for node in template_nodes if node.key in kept]


async def _template_nodes(*, session: AsyncSession, project: ProjectFact, request: ScheduleRequest,
                          settings: MilestonesSettings):
    key = request.template or await templates.default_key(session=session, category=project.category,
                                                          configured=settings.category_templates)
    try:
        template = await templates.get(session=session, key=key)
    except NotFound as exc:
        raise Invalid(f"template {key} does not exist", errors=[field_error("template", "no such template")]) from exc
    keys = {n.key for n in template.nodes}
    errors = [field_error(f"omit[{i}]", f"the template has no node '{k}'")
              for i, k in enumerate(request.omit) if k not in keys]
    errors += [field_error(f"overrides.{k}", f"the template has no node '{k}'")
               for k in request.overrides if k not in keys or k in request.omit]
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)
    return template, _omit(list(template.nodes), set(request.omit))


def _anchor(*, project: ProjectFact, request: ScheduleRequest, specs: list[TemplateNode]) -> tuple[date, str | None]:
    mode = request.mode
    if "anchor_key" in request.model_fields_set:
        anchor_key = request.anchor_key
        if anchor_key is not None and anchor_key not in {s.key for s in specs}:
            raise Invalid(f"the template has no node '{anchor_key}'",
                          errors=[field_error("anchor_key", f"no node '{anchor_key}'")])
    else:
        anchor_key = next((s.key for s in specs if s.stage == DEFAULT_ANCHOR_STAGE[mode]), None)
    anchor_date = request.anchor_date
    if anchor_date is None:
        anchor_date = project.planned_completion_date if mode is ScheduleMode.backward else project.planned_start_date
        if anchor_date is None:
            which = "completion" if mode is ScheduleMode.backward else "start"
            raise Invalid(f"the project has no planned {which} date; send an anchor date",
                          errors=[field_error("anchor_date", f"required: the project has no planned {which} date")])
    return anchor_date, anchor_key


def _start_key(specs: list[TemplateNode]) -> str | None:
    return next((s.key for s in specs if s.stage == Stage.started), None)


def _derive(*, project: ProjectFact, request: ScheduleRequest, specs: list[TemplateNode], durations: dict[str, int],
            pinned: dict[str, date], anchor_date: date, anchor_key: str | None,
            calendar: Calendar) -> dict[str, date]:
    """Every node's date by the template. Backward from the project's own planned completion, a derived start later
    than the project's own planned start is put back on it (the approvals before it are derived from it): the
    template's durations never push the start past what the project itself plans."""
    network = [PlanNode(s.key, durations[s.key], tuple(s.predecessors)) for s in specs]
    dates = plan(network, mode=request.mode, anchor=anchor_date, anchor_key=anchor_key, calendar=calendar,
                 pinned=pinned)
    start, planned_start = _start_key(specs), project.planned_start_date
    if (request.mode is ScheduleMode.backward and request.anchor_date is None and planned_start is not None
            and start is not None and start not in pinned and start != anchor_key
            and planned_start < dates[start]):
        dates = plan(network, mode=request.mode, anchor=anchor_date, anchor_key=anchor_key, calendar=calendar,
                     pinned={**pinned, start: planned_start})
    return dates


async def _plan_remaining_from(session: AsyncSession, members: list, *, day: date, calendar: Calendar, actor: str,
                               reason: str | None, settings: MilestonesSettings) -> bool:
    """Open nodes whose date has already passed are planned from `day`, none sooner than the configured lead (their
    successors after them): a plan made today does not start out overdue. New nodes take the new date as their baseline too. Returns whether any moved."""
    present = {n.key for n in members}
    network = [PlanNode(n.key, n.duration_days, tuple(p for p in n.predecessors if p in present)) for n in members]
    fixed = {n.key: n.actual_date or n.planned_date for n in members
             if n.actual_date is not None or n.pinned or n.closed}
    moved = from_day(network, {n.key: n.planned_date for n in members}, day=day, fixed=fixed,
                     lead_days=settings.replan_lead_days, calendar=calendar)
    for node in members:
        if node.key not in moved:
            continue
        before, node.planned_date = node.planned_date, moved[node.key]
        if isinstance(node, nodes.DraftNode):
            node.baseline_date = node.planned_date
        else:
            await nodes.record(session, node, action="rescheduled", actor=actor, reason=reason or f"planned from {day}",
                               changes={"planned_date": {"before": before.isoformat(),
                                                         "after": node.planned_date.isoformat()}})
        nodes.restart_alerts(node, settings)
    return bool(moved)


def notes(schedule: Schedule, members: list[Milestone], project: ProjectFact) -> list[str]:
    """What the office should know about the plan, in its words."""
    said = []
    if schedule.replanned_from is not None:
        said.append(f"生成时部分节点的计划日期已过，未完成节点自 {schedule.replanned_from} 起重新排期")
    completion = next((n for n in members if n.stage == Stage.completed.value and not n.closed), None)
    planned_completion = project.planned_completion_date
    if completion is not None and completion.actual_date is None and planned_completion is not None and \
            completion.planned_date > planned_completion:
        said.append(f"竣工验收节点计划于 {completion.planned_date}，晚于项目计划竣工日期 {planned_completion} "
                    f"{(completion.planned_date - planned_completion).days} 天")
    start = next((n for n in members if n.stage == Stage.started.value and not n.closed), None)
    planned_start = project.planned_start_date
    if start is not None and start.actual_date is None and planned_start is not None:
        late = (start.planned_date - planned_start).days
        if late > 0:
            said.append(f"开工节点计划于 {start.planned_date}，晚于项目计划开工日期 {planned_start} {late} 天")
        elif late < 0 and schedule.mode == ScheduleMode.backward.value:
            said.append(f"按模板工期倒排，开工节点需于 {start.planned_date}，早于项目计划开工日期 {planned_start} "
                        f"{-late} 天")
    return said


def _generated(members: list[Milestone], *, as_of: date, due_soon_days: int, **fields) -> ScheduleGenerated:
    return ScheduleGenerated(**fields, milestones=[node_state(n, as_of=as_of, due_soon_days=due_soon_days)
                                                   for n in members])


async def generate(*, session: AsyncSession, project: ProjectFact, request: ScheduleRequest, actor: str,
                   settings: MilestonesSettings, today: date,
                   existing: list[Milestone] | None = None,
                   schedule: Schedule | None | EllipsisType = ...,
                   writes: Writes | None = None) -> tuple[Schedule, list[Milestone]]:
    """Derives every node's planned date from the template and the anchor; regenerating (with a reason) keeps done
    nodes, custom nodes and baselines, moves open nodes and drops template nodes no longer wanted. Planned from the
    project's own dates, open nodes already past on `today` are planned from it (`replan_past`).

    The schedule row is the record of a generation (a node's history starts with its later changes). What it creates
    (new nodes, a first schedule, its event) joins `writes` when given, else is written before it returns."""
    if schedule is ...:
        schedule = await session.get(Schedule, project.id)
    if existing is None:
        existing = await nodes.project_nodes(session=session, project_id=project.id)
    if existing and not request.reason:
        raise Conflict("the project already has a schedule; regenerating it needs a reason")
    ensure_plausible(project, {"anchor_date": request.anchor_date,
                               **{f"overrides.{k}.planned_date": o.planned_date for k, o in request.overrides.items()}})
    template, specs = await _template_nodes(session=session, project=project, request=request, settings=settings)
    anchor_date, anchor_key = _anchor(project=project, request=request, specs=specs)
    calendar = settings.calendar(request.calendar)
    overrides = request.overrides
    durations = {s.key: (overrides[s.key].duration_days if s.key in overrides and
                         overrides[s.key].duration_days is not None else s.duration_days) for s in specs}
    pinned = {k: o.planned_date for k, o in overrides.items() if o.planned_date is not None}
    try:
        dates = _derive(project=project, request=request, specs=specs, durations=durations, pinned=pinned,
                        anchor_date=anchor_date, anchor_key=anchor_key, calendar=calendar)
    except OverflowError:
        dates = None
    first, last = project_window(project)
    if dates is None or not all(first <= d <= last for d in dates.values()):
        raise Invalid(f"scheduled {request.mode.value} from {anchor_date}, the nodes fall outside {first}..{last}",
                      errors=[field_error("anchor_date", f"{anchor_date} puts the nodes' dates outside "
                                                         f"{first.year}–{last.year} (the project's plausible years)")])

    now = utcnow()
    left = {n.key: n for n in existing}
    result: list = []  # nodes kept (ORM rows) and new ones (drafts, inserted below)
    drafts: list[nodes.DraftNode] = []
    for position, spec in enumerate(specs):
        override = overrides.get(spec.key)
        assigned = {f: getattr(override, f) for f in ("responsible_unit_id", "responsible_person", "weight")
                    if override is not None and getattr(override, f) is not None}
        shape = dict(name=spec.name, name_en=spec.name_en, stage=spec.stage, trigger=spec.trigger,
                     duration_days=durations[spec.key], predecessors=list(spec.predecessors), position=position,
                     weight=spec.weight, custom=False, pinned=spec.key in pinned)
        node = left.pop(spec.key, None)
        if node is None:
            node = nodes.draft_node(project=project, key=spec.key, planned=dates[spec.key], now=now,
                                    **{**shape, **assigned})
            nodes.restart_alerts(node, settings)
            drafts.append(node)
        else:
            for field, value in {**shape, **assigned}.items():
                setattr(node, field, value)
            if node.actual_date is None and not node.closed and node.planned_date != dates[spec.key]:
                before, node.planned_date = node.planned_date, dates[spec.key]
                nodes.restart_alerts(node, settings)
                await nodes.record(session, node, action="rescheduled", actor=actor, reason=request.reason,
                                   changes={"planned_date": {"before": before.isoformat(),
                                                             "after": node.planned_date.isoformat()}})
            node.version += 1
            node.updated_at = now
        result.append(node)
    dropped = {k for k, n in left.items() if not n.custom and n.actual_date is None}
    kept = ({n.key for n in result} | set(left)) - dropped
    for node in left.values():
        if node.key not in dropped:
            node.position = len(result)
            node.predecessors = [p for p in node.predecessors if p in kept]
            result.append(node)
        else:
            await nodes.record(session, node, action="removed", actor=actor, reason=request.reason)
            await nodes.announce(session, MilestoneRemoved, node, settings=settings, today=today)
            await session.delete(node)

    await nodes.apply_registry_facts(session=session, project=project, nodes=result, settings=settings, today=today,
                                     announce_changes=False)
    replanned = request.anchor_date is None and request.replan_past and await _plan_remaining_from(
        session, result, day=today, calendar=calendar, actor=actor, reason=request.reason, settings=settings)
    path = nodes.mark_critical(result, calendar)
    created = writes or Writes()
    created.nodes.extend(drafts)
    if schedule is None:
        schedule = Schedule(project_id=project.id, revision=0)
        created.schedules.append(schedule)
    schedule.template, schedule.template_version = template.key, template.version
    schedule.mode, schedule.anchor_date, schedule.anchor_key = request.mode.value, anchor_date, anchor_key
    schedule.calendar = calendar.kind.value
    schedule.revision += 1
    schedule.generated_by, schedule.generated_at, schedule.closed = actor, now, False
    schedule.replanned_from = today if replanned else None
    created.publish(functools.partial(
        _generated, result, as_of=today, due_soon_days=settings.due_soon_days, project_id=project.id,
        template=template.key, mode=request.mode, anchor_date=anchor_date,
        projected_completion_date=path.projected_completion_date), subject=project.id)
    if writes is None:
        await created.write(session)
    return schedule, result


async def generate_automatically(*, session: AsyncSession, project: ProjectFact, settings: MilestonesSettings,
                                 today: date, writes: Writes | None = None) -> bool:
    """A project announced with planned dates and without a schedule gets its category's template: backward from the
    planned completion, else forward from the planned start. Returns whether a schedule was generated. A project
    whose facts wait in `writes` (first heard of in this transaction) has neither schedule nor nodes - both need a
    known project - and is not looked up for them; its schedule's rows join its facts (an import's burst of
    registrations)."""
    if not settings.auto_schedule or project.archived:
        return False
    if project.planned_completion_date is None and project.planned_start_date is None:
        return False
    if writes is None and await session.scalar(_SCHEDULED, {"project_id": project.id}):
        return False
    mode = ScheduleMode.backward if project.planned_completion_date else ScheduleMode.forward
    try:
        await generate(session=session, project=project, request=ScheduleRequest(mode=mode), actor=nodes.SYSTEM,
                       settings=settings, today=today, existing=[], schedule=None, writes=writes)
    except Invalid as exc:  # e.g. planned dates too far out: the project is kept, its schedule left to a request
        log.warning("no schedule generated for project %s: %s", project.id, exc)
        return False
    return True


def view(schedule: Schedule, members: list[Milestone], project: ProjectFact, *, settings: MilestonesSettings,
         today: date) -> SchedulePublic:
    """The schedule with its nodes, projected completion and slip."""
    members = sorted(members, key=lambda n: (n.position, n.id))
    path = analyse(nodes.activities(members), calendar=settings.calendar(schedule.calendar))
    return SchedulePublic(
        project_id=schedule.project_id, template=schedule.template, template_version=schedule.template_version,
        mode=schedule.mode, anchor_date=schedule.anchor_date, anchor_key=schedule.anchor_key,
        calendar=schedule.calendar, revision=schedule.revision, generated_by=schedule.generated_by,
        generated_at=schedule.generated_at, closed=schedule.closed,
        projected_completion_date=path.projected_completion_date,
        baseline_completion_date=path.baseline_completion_date, slip_days=path.slip_days,
        replanned_from=schedule.replanned_from, notes=notes(schedule, members, project),
        milestones=[nodes.public(n, as_of=today, settings=settings) for n in members])


async def get(*, session: AsyncSession, project_id: str, settings: MilestonesSettings, today: date) -> SchedulePublic:
    """Gets a project's schedule with its nodes."""
    project = await nodes.get_project(session=session, project_id=project_id)
    schedule = await session.get(Schedule, project_id)
    members = await nodes.project_nodes(session=session, project_id=project_id)
    if schedule is None or not members:
        raise NotFound(f"project {project_id} has no schedule")
    return view(schedule, members, project, settings=settings, today=today)


async def critical_path(*, session: AsyncSession, project_id: str, settings: MilestonesSettings,
                        as_of: date) -> CriticalPathPublic:
    """The critical path of the current plan, projected from `as_of`: open nodes cannot be done before it."""
    await nodes.get_project(session=session, project_id=project_id)
    members = await nodes.project_nodes(session=session, project_id=project_id)
    if not members:
        raise NotFound(f"project {project_id} has no schedule")
    calendar = await nodes.calendar_of(session=session, project_id=project_id, settings=settings)
    path = analyse(nodes.activities(members), calendar=calendar, as_of=as_of)
    timings = [NodeTiming(id=n.id, key=n.key, name=n.name, duration_days=n.duration_days,
                          predecessors=list(n.predecessors), planned_date=n.planned_date,
                          baseline_date=n.baseline_date, actual_date=n.actual_date,
                          earliest_date=path.timings[n.key].earliest_date,
                          latest_date=path.timings[n.key].latest_date,
                          float_days=path.timings[n.key].float_days, critical=path.timings[n.key].critical)
               for n in members]
    return CriticalPathPublic(project_id=project_id, as_of=as_of,
                              projected_completion_date=path.projected_completion_date,
                              baseline_completion_date=path.baseline_completion_date, slip_days=path.slip_days,
                              critical_path=path.path, nodes=timings)
