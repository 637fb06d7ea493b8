"""Node endpoints: a project's nodes, one node (reschedule, reassign, complete, history), the cross-project list."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from contracts.milestones import MilestoneStatus
from kit.app import SessionDep, url_for
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from kit.inputs import Day
from kit.pagination import Page, PageParams, page_params
from services.milestones.access import Reader, Writer
from services.milestones.nodes import service
from services.milestones.nodes.schemas import (ChangePublic, Completion, MilestoneCreate, MilestonePublic,
                                               MilestoneUpdate)

router = APIRouter(tags=["milestones"])
Pagination = Annotated[PageParams, Depends(page_params)]


def _context(request: Request) -> tuple:
    settings = request.app.state.settings
    return settings, today(settings)


@router.get("/projects/{project_id}/milestones", response_model=Page[MilestonePublic])
async def list_project_milestones(project_id: str, session: SessionDep, _: Reader, page: Pagination,
                                  request: Request, as_of: Day | None = None):
    settings, now = _context(request)
    items, cursor = await service.list_for_project(session=session, project_id=project_id, params=page)
    return Page(items=[service.public(n, as_of=as_of or now, settings=settings) for n in items], next_cursor=cursor)


@router.post("/projects/{project_id}/milestones", status_code=201, response_model=MilestonePublic)
async def add_milestone(project_id: str, node_in: MilestoneCreate, session: SessionDep, principal: Writer,
                        request: Request, idempotency_key: IdempotencyKey = None):
    settings, now = _context(request)

    async def create():
        node = await service.add(session=session, project_id=project_id, node_in=node_in, principal=principal,
                                 settings=settings, today=now)
        return service.public(node, as_of=now, settings=settings)

    return await create_once(session, key=idempotency_key, scope=f"milestones:{project_id}", request_body=node_in,
                             create=create, location=lambda b: url_for(request, "get_milestone", milestone_id=b["id"]))


@router.delete("/projects/{project_id}/milestones/{milestone_id}", status_code=204)
async def remove_milestone(project_id: str, milestone_id: str, session: SessionDep, principal: Writer,
                           request: Request, reason: Annotated[str | None, Query(max_length=2000)] = None):
    settings, now = _context(request)
    await service.remove(session=session, project_id=project_id, milestone_id=milestone_id, reason=reason,
                         principal=principal, settings=settings, today=now)
    return Response(status_code=204)


@router.get("/milestones", response_model=Page[MilestonePublic])
async def search_milestones(
    session: SessionDep, _: Reader, page: Pagination, request: Request,
    status: Annotated[list[MilestoneStatus] | None, Query()] = None,
    unit_id: str | None = None, project_id: str | None = None,
    min_days_late: Annotated[int | None, Query(ge=0, le=36500)] = None,
    due_before: Day | None = None, critical: bool | None = None,
    as_of: Day | None = None, include_closed: bool = False,
):
    """The office's lists across projects, e.g. `?status=overdue&unit_id=…&min_days_late=15`, as of today."""
    settings, now = _context(request)
    as_of = as_of or now
    items, cursor = await service.search(
        session=session, params=page, as_of=as_of, due_soon_days=settings.due_soon_days, statuses=status or [],
        unit_id=unit_id, project_id=project_id, min_days_late=min_days_late, due_before=due_before,
        critical=critical, include_closed=include_closed)
    return Page(items=[service.public(n, as_of=as_of, settings=settings) for n in items], next_cursor=cursor)


@router.get("/milestones/{milestone_id}", response_model=MilestonePublic)
async def get_milestone(milestone_id: str, session: SessionDep, _: Reader, request: Request):
    settings, now = _context(request)
    return service.public(await service.get(session=session, milestone_id=milestone_id), as_of=now, settings=settings)


@router.patch("/milestones/{milestone_id}", response_model=MilestonePublic)
async def update_milestone(milestone_id: str, update_in: MilestoneUpdate, session: SessionDep, principal: Writer,
                           request: Request):
    settings, now = _context(request)
    node = await service.change(session=session, milestone_id=milestone_id, update_in=update_in,
                                principal=principal, settings=settings, today=now)
    return service.public(node, as_of=now, settings=settings)


@router.post("/milestones/{milestone_id}/complete", response_model=MilestonePublic)
async def complete_milestone(milestone_id: str, completion: Completion, session: SessionDep, principal: Writer,
                             request: Request):
    settings, now = _context(request)
    node = await service.complete(session=session, milestone_id=milestone_id, completion=completion,
                                  principal=principal, settings=settings, today=now)
    return service.public(node, as_of=now, settings=settings)


@router.get("/milestones/{milestone_id}/history", response_model=Page[ChangePublic])
async def milestone_history(milestone_id: str, session: SessionDep, _: Reader, page: Pagination):
    items, cursor = await service.history(session=session, milestone_id=milestone_id, params=page)
    return Page(items=[ChangePublic.model_validate(c, from_attributes=True) for c in items], next_cursor=cursor)
