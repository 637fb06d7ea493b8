"""Registry HTTP API: parse, authorize, call the service, shape the response."""
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from contracts.registry import UnitKind
from kit.app import SessionDep
from kit.auth import Principal, require
from kit.errors import Forbidden
from kit.idempotency import create_once
from kit.pagination import Page, PageParams, page_params
from services.registry import service
from services.registry.schemas import ProjectCreate, ProjectPublic, UnitCreate, UnitPublic

router = APIRouter()

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
Pagination = Annotated[PageParams, Depends(page_params)]
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]


def etag(version: int) -> str:
    return f'W/"{version}"'


@router.post("/units", status_code=201, response_model=UnitPublic, tags=["units"])
async def create_unit(unit_in: UnitCreate, session: SessionDep, _: Annotated[Principal, Depends(require("admin"))],
                      idempotency_key: IdempotencyKey = None):
    async def create():
        return UnitPublic.model_validate(await service.create_unit(session=session, unit_in=unit_in))

    return await create_once(session, key=idempotency_key, scope="units", request_body=unit_in, create=create)


@router.get("/units/{unit_id}", response_model=UnitPublic, tags=["units"])
async def get_unit(unit_id: str, session: SessionDep, _: Reader):
    return await service.get_unit(session=session, unit_id=unit_id)


@router.get("/units", response_model=Page[UnitPublic], tags=["units"])
async def list_units(session: SessionDep, _: Reader, page: Pagination, kind: UnitKind | None = None):
    items, cursor = await service.list_units(session=session, params=page, kind=kind)
    return Page(items=items, next_cursor=cursor)


@router.post("/projects", status_code=201, response_model=ProjectPublic, tags=["projects"])
async def create_project(project_in: ProjectCreate, session: SessionDep, principal: Writer,
                         idempotency_key: IdempotencyKey = None):
    if principal.unit_id and principal.unit_id != project_in.responsible_unit_id:
        raise Forbidden("this token may only write projects of its own unit")

    async def create():
        return ProjectPublic.model_validate(await service.create_project(session=session, project_in=project_in))

    return await create_once(session, key=idempotency_key, scope="projects", request_body=project_in, create=create)


@router.get("/projects/{project_id}", response_model=ProjectPublic, tags=["projects"])
async def get_project(project_id: str, session: SessionDep, _: Reader, response: Response):
    project = await service.get_project(session=session, project_id=project_id)
    response.headers["ETag"] = etag(project.version)
    return ProjectPublic.model_validate(project, from_attributes=True)


@router.get("/projects", response_model=Page[ProjectPublic], tags=["projects"])
async def list_projects(session: SessionDep, _: Reader, page: Pagination, unit_id: str | None = None,
                        year: int | None = None):
    items, cursor = await service.list_projects(session=session, params=page, unit_id=unit_id, year=year)
    return Page(items=[ProjectPublic.model_validate(p, from_attributes=True) for p in items], next_cursor=cursor)
