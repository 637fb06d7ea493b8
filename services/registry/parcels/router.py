"""Land parcel endpoints: create (idempotent), read, list with filters, update."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.registry.parcels import service
from services.registry.parcels.schemas import ParcelCreate, ParcelPublic, ParcelUpdate

router = APIRouter(tags=["parcels"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]


@router.post("/parcels", status_code=201, response_model=ParcelPublic)
async def create_parcel(parcel_in: ParcelCreate, session: SessionDep, principal: Writer, request: Request,
                        idempotency_key: IdempotencyKey = None):
    async def create():
        return ParcelPublic.model_validate(await service.create(session=session, parcel_in=parcel_in,
                                                                principal=principal))

    return await create_once(session, key=idempotency_key, scope="parcels", request_body=parcel_in, create=create,
                             location=lambda b: url_for(request, "get_parcel", parcel_id=b["id"]))


@router.get("/parcels/{parcel_id}", response_model=ParcelPublic)
async def get_parcel(parcel_id: str, session: SessionDep, _: Reader):
    return await service.get(session=session, parcel_id=parcel_id)


@router.get("/parcels", response_model=Page[ParcelPublic])
async def list_parcels(session: SessionDep, _: Reader, page: Annotated[PageParams, Depends(page_params)],
                       unit_id: str | None = None, project_id: str | None = None, idle_as_of: date | None = None):
    items, cursor = await service.list_(session=session, params=page, unit_id=unit_id, project_id=project_id,
                                        idle_as_of=idle_as_of)
    return Page(items=items, next_cursor=cursor)


@router.patch("/parcels/{parcel_id}", response_model=ParcelPublic)
async def update_parcel(parcel_id: str, parcel_in: ParcelUpdate, session: SessionDep, principal: Writer):
    return await service.update_(session=session, parcel_id=parcel_id, parcel_in=parcel_in, principal=principal)
