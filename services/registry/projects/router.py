"""Project endpoints: create (idempotent), read with ETag, list, update with If-Match, archive, history."""
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from contracts.registry import Level, Sector, Stage
from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.clock import today
from kit.db import single_statement
from kit.conditional import admitted_versions, etag
from kit.openapi import IF_MATCH_REQUIRED
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.registry import history
from services.registry.categories import AcceptedCategory
from services.registry.events import project_state
from services.registry.investments import service as investments
from services.registry.projects import service
from services.registry.projects.schemas import (ArchiveRequest, ChangePublic, ProjectCreate, ProjectPublic,
                                                ProjectUpdate)

router = APIRouter(tags=["projects"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]
Pagination = Annotated[PageParams, Depends(page_params)]
SortKey = Annotated[str, Query(pattern=r"^-?(" + "|".join(service.SORTABLE) + ")$")]

def public(project_or_state, response: Response | None = None) -> ProjectPublic:
    project = ProjectPublic.model_validate(project_state(project_or_state))
    if response is not None:
        response.headers["ETag"] = etag(project.version)
    return project


@router.post("/projects", status_code=201, response_model=ProjectPublic)
async def create_project(project_in: ProjectCreate, session: SessionDep, principal: Writer, request: Request,
                         idempotency_key: IdempotencyKey = None):
    principal.ensure_unit(project_in.responsible_unit_id)
    if idempotency_key is None:
        # The create is one statement (its row and event: kit.outbox.WriteWithEvent); a keyed one adds the key's.
        await single_statement(session)

    async def create():
        return public(await service.create(session=session, project_in=project_in,
                                           today=today(request.app.state.settings)))

    return await create_once(session, key=idempotency_key, scope="projects", request_body=project_in, create=create,
                             location=lambda b: url_for(request, "get_project", project_id=b["id"]),
                             etag=lambda b: etag(b["version"]))


@router.get("/projects/{project_id}", response_model=ProjectPublic)
async def get_project(project_id: str, session: SessionDep, _: Reader, response: Response):
    return public(await service.get(session=session, project_id=project_id), response)


@router.get("/projects", response_model=Page[ProjectPublic])
async def list_projects(session: SessionDep, _: Reader, page: Pagination,
                        unit_id: str | None = None, year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                        level: Level | None = None, category: AcceptedCategory | None = None,
                        sector: Sector | None = None, stage: Stage | None = None,
                        q: Annotated[str | None, Query(max_length=100)] = None,
                        archived: bool = False, sort: SortKey = "code"):
    filters = {"responsible_unit_id": unit_id, "year": year, "level": level, "category": category,
               "sector": sector, "stage": stage}
    items, cursor = await service.list_(session=session, params=page, filters=filters, q=q, archived=archived,
                                        sort=sort)
    return Page(items=[public(p) for p in items], next_cursor=cursor)


@router.patch("/projects/{project_id}", response_model=ProjectPublic, openapi_extra={IF_MATCH_REQUIRED: True})
async def update_project(project_id: str, project_in: ProjectUpdate, session: SessionDep, principal: Writer,
                         request: Request, response: Response,
                         if_match: Annotated[str | None, Header(alias="If-Match")] = None):
    admitted = admitted_versions(if_match, required=True, what="project")
    state = await service.update_(session=session, project_id=project_id, project_in=project_in,
                                  admitted_versions=admitted, principal=principal,
                                  today=today(request.app.state.settings))
    if state["government_funded"] and project_in.model_fields_set & {"budget", "government_funded"}:
        project = await service.get(session=session, project_id=project_id)
        await investments.announce_budget(session=session, project=project, adjustment_approved=False)
    return public(state, response)


@router.post("/projects/{project_id}/archive", response_model=ProjectPublic)
async def archive_project(project_id: str, body: ArchiveRequest, session: SessionDep, principal: Writer,
                          request: Request, response: Response):
    return public(await service.archive(session=session, project_id=project_id, reason=body.reason,
                                        delisted_on=body.delisted_on, principal=principal,
                                        today=today(request.app.state.settings)), response)


@router.get("/projects/{project_id}/history", response_model=Page[ChangePublic])
async def project_history(project_id: str, session: SessionDep, _: Reader, page: Pagination):
    await service.get(session=session, project_id=project_id)
    items, cursor = await history.list_changes(session=session, project_id=project_id, params=page)
    return Page(items=[ChangePublic.model_validate(c, from_attributes=True) for c in items], next_cursor=cursor)
