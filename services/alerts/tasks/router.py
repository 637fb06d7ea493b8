"""Task and problem endpoints: open by hand, list (a unit's own for its token), read, feedback, close, return."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from contracts.alerts import EscalationLevel, TaskSource, TaskStatus
from kit.app import SessionDep, url_for
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from kit.inputs import Day
from kit.pagination import Page, PageParams, page_params
from services.alerts.access import Reader, TaskWriter
from services.alerts.tasks import service
from services.alerts.tasks.schemas import (Closing, Escalation, Feedback, ProblemCreate, ProblemMove, ProblemPublic,
                                           ProblemStatus, ProblemType, Returning, TaskChangePublic, TaskCreate,
                                           TaskDetail, TaskPublic)

router = APIRouter(tags=["tasks"])
Pagination = Annotated[PageParams, Depends(page_params)]


def public(task) -> TaskPublic:
    return TaskPublic.model_validate(task, from_attributes=True)


def _today(request: Request) -> date:
    return today(request.app.state.settings)


@router.post("/tasks", status_code=201, response_model=TaskPublic)
async def open_task(body: TaskCreate, session: SessionDep, principal: TaskWriter, request: Request,
                    idempotency_key: IdempotencyKey = None):
    async def create():
        return public(await service.open_task(session=session, task_in=body, principal=principal,
                                              today=_today(request)))

    return await create_once(session, key=idempotency_key, scope="tasks", request_body=body, create=create,
                             location=lambda b: url_for(request, "get_task", task_id=b["id"]))


@router.get("/tasks", response_model=Page[TaskPublic])
async def list_tasks(session: SessionDep, principal: Reader, page: Pagination, request: Request,
                     unit_id: str | None = None, project_id: str | None = None, status: TaskStatus | None = None,
                     source: TaskSource | None = None, escalation_level: EscalationLevel | None = None,
                     late: bool | None = None, as_of: Day | None = None):
    filters = {"unit_id": unit_id, "project_id": project_id, "status": status, "source": source,
               "escalation_level": escalation_level}
    items, cursor = await service.list_(session=session, params=page, principal=principal, filters=filters,
                                        late=late, as_of=as_of or _today(request))
    return Page(items=[public(t) for t in items], next_cursor=cursor)


@router.get("/tasks/{task_id}", response_model=TaskDetail)
async def get_task(task_id: str, session: SessionDep, principal: Reader):
    task = await service.get(session=session, task_id=task_id, principal=principal)
    changes = await service.history(session=session, task_id=task_id)
    return TaskDetail(**public(task).model_dump(),
                      history=[TaskChangePublic.model_validate(c, from_attributes=True) for c in changes])


@router.post("/tasks/{task_id}/feedback", response_model=TaskPublic)
async def give_feedback(task_id: str, body: Feedback, session: SessionDep, principal: TaskWriter, request: Request):
    return public(await service.give_feedback(session=session, task_id=task_id, feedback=body.feedback,
                                              evidence=body.evidence, principal=principal, today=_today(request)))


@router.post("/tasks/{task_id}/close", response_model=TaskPublic)
async def close_task(task_id: str, body: Closing, session: SessionDep, principal: TaskWriter, request: Request):
    return public(await service.close(session=session, task_id=task_id, verification_note=body.verification_note,
                                      principal=principal, today=_today(request),
                                      requires_evidence=request.app.state.settings.task_close_requires_evidence))


@router.post("/tasks/{task_id}/escalate", response_model=TaskPublic)
async def escalate_task(task_id: str, body: Escalation, session: SessionDep, principal: TaskWriter,
                        request: Request):
    """提级督办: one rung up the ladder (unit head, lead leader, 问责) by the office's decision, with the reason."""
    return public(await service.escalate(session=session, task_id=task_id, reason=body.reason, principal=principal,
                                         today=_today(request)))


@router.post("/tasks/{task_id}/return", response_model=TaskPublic)
async def return_task(task_id: str, body: Returning, session: SessionDep, principal: TaskWriter, request: Request):
    return public(await service.return_(session=session, task_id=task_id, reason=body.reason, principal=principal,
                                        today=_today(request)))


@router.post("/projects/{project_id}/problems", status_code=201, response_model=ProblemPublic)
async def report_problem(project_id: str, body: ProblemCreate, session: SessionDep, principal: TaskWriter,
                         request: Request, idempotency_key: IdempotencyKey = None):
    async def create():
        problem, task = await service.report_problem(session=session, project_id=project_id, problem_in=body,
                                                     principal=principal, today=_today(request))
        return ProblemPublic.model_validate({**_problem(problem), "task": public(task)})

    return await create_once(session, key=idempotency_key, scope=f"problems:{project_id}", request_body=body,
                             create=create, location=lambda _: url_for(request, "list_problems", project_id=project_id))


@router.get("/projects/{project_id}/problems", response_model=list[ProblemPublic])
async def list_problems(project_id: str, session: SessionDep, _: Reader):
    return [ProblemPublic.model_validate({**_problem(p), "task": public(t) if t else None})
            for p, t in await service.list_problems(session=session, project_id=project_id)]


def _problem(problem, as_of: date | None = None) -> dict:
    values = {f: getattr(problem, f) for f in ("id", "project_id", "type", "description", "solving_unit_id",
                                               "task_id", "reported_by", "reported_on", "status", "status_changed_on",
                                               "history")}
    return {**values, "age_days": (as_of - problem.reported_on).days if as_of else None}


@router.get("/problems", response_model=Page[ProblemPublic])
async def search_problems(session: SessionDep, principal: Reader, page: Pagination, request: Request,
                          solving_unit_id: str | None = None, project_id: str | None = None,
                          status: Annotated[list[ProblemStatus], Query()] = (),
                          type: Annotated[list[ProblemType], Query()] = (),
                          min_age_days: Annotated[int | None, Query(ge=0, le=36500)] = None,
                          as_of: Day | None = None):
    """堵点 across projects, oldest first, with their age as of a day (default today); a unit-bound token sees the
    problems its unit must solve."""
    as_of = as_of or _today(request)
    items, cursor = await service.search_problems(
        session=session, params=page, as_of=as_of, solving_unit_id=principal.unit_id or solving_unit_id,
        statuses=[s.value for s in status], types=[t.value for t in type], project_id=project_id,
        min_age_days=min_age_days)
    return Page(items=[ProblemPublic.model_validate(_problem(p, as_of)) for p in items], next_cursor=cursor)


@router.post("/problems/{problem_id}/status", response_model=ProblemPublic)
async def move_problem(problem_id: str, body: ProblemMove, session: SessionDep, principal: TaskWriter,
                       request: Request):
    """The solving unit works the problem (in_progress, solved); the office also escalates and reopens it."""
    today_ = _today(request)
    problem = await service.move_problem(session=session, problem_id=problem_id, status=body.status.value,
                                         note=body.note, principal=principal, today=today_)
    return ProblemPublic.model_validate(_problem(problem, today_))
