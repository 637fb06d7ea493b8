"""Unit endpoints."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from contracts.registry import UnitKind
from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.registry.units import service
from services.registry.units.schemas import UnitCreate, UnitPublic, UnitUpdate

router = APIRouter(tags=["units"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Admin = Annotated[Principal, Depends(require("admin"))]


@router.post("/units", status_code=201, response_model=UnitPublic)
async def create_unit(unit_in: UnitCreate, session: SessionDep, _: Admin, request: Request,
                      idempotency_key: IdempotencyKey = None):
    async def create():
        return UnitPublic.model_validate(await service.create(session=session, unit_in=unit_in))

    return await create_once(session, key=idempotency_key, scope="units", request_body=unit_in, create=create,
                             location=lambda b: url_for(request, "get_unit", unit_id=b["id"]))


@router.get("/units/{unit_id}", response_model=UnitPublic)
async def get_unit(unit_id: str, session: SessionDep, _: Reader):
    return await service.get(session=session, unit_id=unit_id)


@router.get("/units", response_model=Page[UnitPublic])
async def list_units(session: SessionDep, _: Reader, page: Annotated[PageParams, Depends(page_params)],
                     kind: UnitKind | None = None, parent_id: str | None = None):
    items, cursor = await service.list_(session=session, params=page, kind=kind, parent_id=parent_id)
    return Page(items=items, next_cursor=cursor)


@router.patch("/units/{unit_id}", response_model=UnitPublic)
async def update_unit(unit_id: str, unit_in: UnitUpdate, session: SessionDep, _: Admin):
    return await service.update_(session=session, unit_id=unit_id, unit_in=unit_in)
