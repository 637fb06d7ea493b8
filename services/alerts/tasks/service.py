"""Task and problem use-cases: open, feedback, close (销号), return, list, read; problems open tasks. Never commit.

A task is late when it is open (not awaiting verification, its alert not cleared) past its deadline; only
such tasks escalate. A unit-bound token sees and answers its unit's tasks but cannot open, close or return.
"""
import uuid
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import alerts as contract
from contracts.alerts import EscalationLevel, TaskSource, TaskStatus
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from kit.pagination import PageParams, keyset, page_of
from services.alerts import events
from services.alerts.access import ensure_supervisor
from services.alerts.configuration import service as configuration
from services.alerts.evaluation.due import mark_due
from services.alerts.evaluation.service import evaluate_projects
from services.alerts.models import Problem, ProjectFact, Task, TaskChange, Unit
from services.alerts.rules.escalation import escalated_to, next_level
from services.alerts.tasks.schemas import PROBLEM_NAMES, ProblemCreate, TaskCreate

SYSTEM = "alerts"  # the actor of what the service does by itself (holding a suspended project's tasks)


async def _project(session: AsyncSession, project_id: str) -> ProjectFact:
    project = await session.get(ProjectFact, project_id)
    if project is None or project.version == 0:
        raise NotFound(f"project {project_id} is not known to the alerts service (yet)")
    return project


def _late(task: Task, as_of: date) -> bool:
    return task.status == TaskStatus.open and not task.resolvable and not task.on_hold and task.deadline < as_of


async def _deadline(session: AsyncSession, deadline: date | None, today: date) -> date:
    if deadline is None:
        return today + timedelta(days=(await configuration.load(session=session)).tasks.deadline_days)
    if deadline < today:
        raise Invalid("the deadline is in the past", errors=[field_error("deadline", f"{deadline} is before {today}")])
    return deadline


async def _record(session: AsyncSession, task: Task, *, action: str, actor: str, today: date,
                  note: str | None) -> None:
    await session.execute(insert(TaskChange).values(
        task_id=task.id, action=action, status=task.status, escalation_level=task.escalation_level, note=note,
        as_of=today, actor=actor, at=utcnow()))


async def hold(session: AsyncSession, *, project_id: str, as_of: date) -> None:
    """The project is suspended: its unclosed tasks wait (neither late nor escalated) until it resumes."""
    waiting = (await session.scalars(select(Task).where(Task.project_id == project_id, Task.status != TaskStatus.closed,
                                                        Task.on_hold.is_(False)).with_for_update())).all()
    for task in waiting:
        task.on_hold, task.updated_at = True, utcnow()
        await session.flush()
        await _record(session, task, action="on_hold", actor=SYSTEM, today=as_of, note=f"项目自 {as_of} 停工，督办暂停")
    await events.publish(session, [(contract.TaskHoldChanged(**events.task_state(t), as_of=as_of),
                                    events.task_subject(t)) for t in waiting])


async def release(session: AsyncSession, *, project_id: str, as_of: date, shift_days: int) -> None:
    """The project resumed: its waiting tasks run again, each deadline moved by the pause."""
    waiting = (await session.scalars(select(Task).where(Task.project_id == project_id,
                                                        Task.on_hold.is_(True)).with_for_update())).all()
    for task in waiting:
        task.on_hold, task.updated_at = False, utcnow()
        task.deadline += timedelta(days=max(shift_days, 0))
        await session.flush()
        await _record(session, task, action="resumed", actor=SYSTEM, today=as_of,
                      note=f"项目于 {as_of} 复工，期限顺延 {shift_days} 天至 {task.deadline}")
    await events.publish(session, [(contract.TaskHoldChanged(**events.task_state(t), as_of=as_of),
                                    events.task_subject(t)) for t in waiting])


async def _open(session: AsyncSession, *, project_id: str | None, unit_id: str, title: str, description: str | None,
                deadline: date, source: TaskSource, actor: str, today: date, problem: Problem | None = None) -> Task:
    now = utcnow()
    task = Task(id=str(uuid.uuid4()), project_id=project_id, subject_id=None, unit_id=unit_id, title=title,
                description=description, deadline=deadline, status=TaskStatus.open.value,
                escalation_level=EscalationLevel.none.value, source=source.value, alert_id=None, rule=None,
                problem_id=problem.id if problem else None, problem_type=problem.type if problem else None,
                resolvable=False, opened_on=today, opened_by=actor, created_at=now, updated_at=now)
    session.add(task)
    await session.flush()
    if project_id is not None:  # its deadline feeds the late-task rule of the project
        await mark_due(session, ProjectFact.id == project_id)
    await _record(session, task, action="opened", actor=actor, today=today, note=description)
    await events.publish(session, [(contract.TaskOpened.model_validate(events.task_state(task)),
                                    events.task_subject(task))])
    return task


async def open_system_task(session: AsyncSession, *, unit_id: str, title: str, description: str, deadline: date,
                           source: TaskSource, actor: str, today: date) -> Task:
    """A task the service opens by itself (about a unit, no project): e.g. a unit that has not reported."""
    return await _open(session, project_id=None, unit_id=unit_id, title=title, description=description,
                       deadline=deadline, source=source, actor=actor, today=today)


async def open_task(*, session: AsyncSession, task_in: TaskCreate, principal: Principal, today: date) -> Task:
    """Opens a task by hand for a unit (the project's responsible unit unless another is named)."""
    ensure_supervisor(principal, "open tasks by hand")
    unit_id = task_in.unit_id
    if task_in.project_id is not None:
        unit_id = unit_id or (await _project(session, task_in.project_id)).unit_id
    if unit_id is None:
        raise Invalid("a task needs a unit", errors=[field_error("unit_id", "required when no project is given")])
    return await _open(session, project_id=task_in.project_id, unit_id=unit_id, title=task_in.title,
                       description=task_in.description, deadline=await _deadline(session, task_in.deadline, today),
                       source=TaskSource.manual, actor=principal.subject, today=today)


async def get(*, session: AsyncSession, task_id: str, principal: Principal, for_update: bool = False) -> Task:
    """Gets a task; a unit-bound token sees only its unit's tasks."""
    task = await session.get(Task, task_id, with_for_update=for_update)
    if task is None or (principal.unit_id is not None and task.unit_id != principal.unit_id):
        raise NotFound(f"task {task_id} does not exist")
    return task


async def history(*, session: AsyncSession, task_id: str) -> list[TaskChange]:
    return list((await session.scalars(select(TaskChange).where(TaskChange.task_id == task_id)
                                       .order_by(TaskChange.id))).all())


async def list_(*, session: AsyncSession, params: PageParams, principal: Principal, filters: dict,
                late: bool | None, as_of: date) -> tuple[list[Task], str | None]:
    """Lists tasks, newest first; a unit-bound token gets its own unit's list."""
    if principal.unit_id is not None:
        if filters.get("unit_id") not in (None, principal.unit_id):
            raise Forbidden("this token may only list its own unit's tasks")
        filters = {**filters, "unit_id": principal.unit_id}
    query = select(Task)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Task, name) == value)
    if late is not None:
        is_late = (Task.status == TaskStatus.open) & Task.resolvable.is_(False) & Task.on_hold.is_(False) & (
            Task.deadline < as_of)
        query = query.where(is_late if late else ~is_late)
    rows = list((await session.scalars(keyset(query, key=Task.id, sort=Task.created_at, params=params,
                                              descending=True))).all())
    return page_of(rows, params, keys=lambda r: [r.created_at, r.id])


async def _reevaluate(session: AsyncSession, task: Task, today: date) -> None:
    """A task's state feeds the late-task rule of its project."""
    if task.project_id is not None:
        await evaluate_projects(session, project_ids=[task.project_id], on=today)


async def _move(session: AsyncSession, task: Task, *, action: str, status: TaskStatus, actor: str, today: date,
                note: str, event: type, extra: dict) -> Task:
    task.status, task.updated_at = status.value, utcnow()
    await session.flush()
    await _record(session, task, action=action, actor=actor, today=today, note=note)
    await events.publish(session, [(event.model_validate({**events.task_state(task), **extra}),
                                    events.task_subject(task))])
    await _reevaluate(session, task, today)
    return task


async def give_feedback(*, session: AsyncSession, task_id: str, feedback: str, principal: Principal,
                        today: date, evidence: list[str] = ()) -> Task:
    """The unit reports what it did, with its evidence; the task waits for the supervisor's verification."""
    task = await get(session=session, task_id=task_id, principal=principal, for_update=True)
    if task.status != TaskStatus.open:
        raise Conflict(f"feedback is given on an open task; this one is {task.status}")
    task.feedback, task.evidence = feedback, list(evidence)
    return await _move(session, task, action="feedback", status=TaskStatus.feedback_submitted,
                       actor=principal.subject, today=today, note=feedback, event=contract.TaskFeedback,
                       extra={"feedback": feedback, "evidence": list(evidence), "answered_on": today})


async def close(*, session: AsyncSession, task_id: str, verification_note: str, principal: Principal,
                today: date, requires_evidence: bool = False) -> Task:
    """销号: a supervisor verifies the feedback (or that the alert has cleared) and closes the task; with
    `requires_evidence` only once the unit has shown photos or documents."""
    ensure_supervisor(principal, "close tasks (销号)")
    task = await get(session=session, task_id=task_id, principal=principal, for_update=True)
    if task.status == TaskStatus.closed:
        raise Conflict("the task is already closed")
    if task.status == TaskStatus.open and not task.resolvable:
        raise Conflict("an open task is closed after the unit's feedback, or once its alert has cleared")
    if requires_evidence and not task.evidence:
        raise Conflict("销号前须有佐证材料（照片或文件）: the unit's feedback carries no evidence")
    task.verification_note, task.closed_on = verification_note, today
    return await _move(session, task, action="closed", status=TaskStatus.closed, actor=principal.subject,
                       today=today, note=verification_note, event=contract.TaskClosed,
                       extra={"verification_note": verification_note})


async def escalate(*, session: AsyncSession, task_id: str, reason: str, principal: Principal, today: date) -> Task:
    """提级督办: the office moves a task one rung up the ladder by hand, whatever its deadline, with the reason; the
    daily scan never moves it back down."""
    ensure_supervisor(principal, "escalate tasks (提级督办)")
    task = await get(session=session, task_id=task_id, principal=principal, for_update=True)
    if task.status == TaskStatus.closed:
        raise Conflict("a closed task is not escalated")
    if task.on_hold:
        raise Conflict("the task waits while its project is suspended (停工): it is not escalated")
    level = next_level(task.escalation_level)
    if level is None:
        raise Conflict("the task is already at 问责, the top of the ladder")
    unit_name = await session.scalar(select(Unit.name).where(Unit.id == task.unit_id))
    leader = task.project_id and await session.scalar(select(ProjectFact.lead_leader)
                                                      .where(ProjectFact.id == task.project_id))
    to = escalated_to(level, unit_name=unit_name, lead_leader=leader or None)
    task.escalation_level, task.escalated_on, task.updated_at = level.value, today, utcnow()
    await session.flush()
    await _record(session, task, action="escalated", actor=principal.subject, today=today, note=f"{to}：{reason}")
    days_late = max(0, (today - task.deadline).days)
    await events.publish(session, [(contract.TaskEscalated.model_validate({
        **events.task_state(task), "as_of": today, "days_late": days_late, "escalated_to": to}),
        events.task_subject(task))])
    return task


async def return_(*, session: AsyncSession, task_id: str, reason: str, principal: Principal, today: date) -> Task:
    """The supervisor finds the feedback insufficient: the task is open again, with the reason."""
    ensure_supervisor(principal, "return tasks")
    task = await get(session=session, task_id=task_id, principal=principal, for_update=True)
    if task.status != TaskStatus.feedback_submitted:
        raise Conflict(f"only a task with feedback can be returned; this one is {task.status}")
    task.return_reason = reason
    return await _move(session, task, action="returned", status=TaskStatus.open, actor=principal.subject,
                       today=today, note=reason, event=contract.TaskReturned,
                       extra={"reason": reason, "returned_on": today})


async def report_problem(*, session: AsyncSession, project_id: str, problem_in: ProblemCreate,
                         principal: Principal, today: date) -> tuple[Problem, Task]:
    """Records a blocking problem of a project and opens a task for the unit that must solve it. Work is handed to
    another unit by the office: a unit-bound token reports its own projects' problems for its own unit to solve."""
    project = await _project(session, project_id)
    principal.ensure_unit(project.unit_id)
    if principal.unit_id is not None and problem_in.solving_unit_id != principal.unit_id:
        raise Forbidden("a unit may not assign a problem to another unit; the office (a token without a unit) "
                        "names the solving unit (请报重点项目办协调交办)")
    deadline = await _deadline(session, problem_in.deadline, today)
    problem = Problem(id=str(uuid.uuid4()), project_id=project_id, type=problem_in.type.value,
                      description=problem_in.description, solving_unit_id=problem_in.solving_unit_id, task_id="",
                      reported_by=principal.subject, reported_on=today, created_at=utcnow())
    task = await _open(session, project_id=project_id, unit_id=problem_in.solving_unit_id,
                       title=f"{project.name}：{PROBLEM_NAMES[problem_in.type]}问题",
                       description=problem_in.description, deadline=deadline, source=TaskSource.problem,
                       actor=principal.subject, today=today, problem=problem)
    problem.task_id = task.id
    session.add(problem)
    await session.flush()
    return problem, task


async def list_problems(*, session: AsyncSession, project_id: str) -> list[tuple[Problem, Task | None]]:
    """Lists a project's problems, oldest first, each with its task."""
    await _project(session, project_id)
    problems = list((await session.scalars(select(Problem).where(Problem.project_id == project_id)
                                           .order_by(Problem.created_at, Problem.id))).all())
    tasks = {t.id: t for t in (await session.scalars(select(Task).where(
        Task.id.in_([p.task_id for p in problems])))).all()} if problems else {}
    return [(p, tasks.get(p.task_id)) for p in problems]


# Who may move a problem where: the solving unit works it (in progress, solved); the office also escalates it and
# reopens it. A solved or escalated problem goes back to open only by the office.
UNIT_MOVES = {("open", "in_progress"), ("open", "solved"), ("in_progress", "solved")}
OFFICE_MOVES = UNIT_MOVES | {("open", "escalated"), ("in_progress", "escalated"), ("solved", "open"),
                             ("escalated", "open"), ("escalated", "in_progress"), ("escalated", "solved")}


async def move_problem(*, session: AsyncSession, problem_id: str, status: str, note: str | None,
                       principal: Principal, today: date) -> Problem:
    """Moves a problem to another status, recorded with who, when and why."""
    problem = await session.get(Problem, problem_id, with_for_update=True)
    if problem is None:
        raise NotFound(f"problem {problem_id} does not exist")
    if principal.unit_id is not None and principal.unit_id != problem.solving_unit_id:
        raise Forbidden("only the unit that must solve a problem (or the office) moves it")
    allowed = UNIT_MOVES if principal.unit_id is not None else OFFICE_MOVES
    if (problem.status, status) not in allowed:
        raise Conflict(f"a problem {problem.status} cannot be moved to {status} by this token")
    problem.history = [*(problem.history or []), {"from": problem.status, "to": status, "on": today.isoformat(),
                                                  "by": principal.subject, "note": note}]
    problem.status, problem.status_changed_on = status, today
    await session.flush()
    return problem


async def search_problems(*, session: AsyncSession, params: PageParams, as_of: date, solving_unit_id: str | None,
                          statuses: list[str], types: list[str], project_id: str | None, min_age_days: int | None
                          ) -> tuple[list[Problem], str | None]:
    """Problems across projects, oldest first: by solving unit, status, type, project and age as of a day."""
    query = select(Problem)
    if solving_unit_id:
        query = query.where(Problem.solving_unit_id == solving_unit_id)
    if statuses:
        query = query.where(Problem.status.in_(statuses))
    if types:
        query = query.where(Problem.type.in_(types))
    if project_id:
        query = query.where(Problem.project_id == project_id)
    if min_age_days is not None:
        query = query.where(Problem.reported_on <= as_of - timedelta(days=min_age_days))
    rows = list((await session.scalars(keyset(query, key=Problem.id, sort=Problem.reported_on, params=params))).all())
    return page_of(rows, params, keys=lambda p: [p.reported_on, p.id])
