"""Template endpoints: list, read, create and replace custom templates."""
from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.registry import Category
from kit.app import SessionDep
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.milestones.access import Reader, TemplateWriter
from services.milestones.templates import service
from services.milestones.templates.schemas import TemplateCreate, TemplatePublic, TemplateUpdate

router = APIRouter(tags=["templates"])
Pagination = Annotated[PageParams, Depends(page_params)]


@router.get("/templates", response_model=Page[TemplatePublic])
async def list_templates(session: SessionDep, _: Reader, page: Pagination, category: Category | None = None):
    items, cursor = await service.list_(session=session, params=page, category=category)
    return Page(items=items, next_cursor=cursor)


@router.get("/templates/{key}", response_model=TemplatePublic)
async def get_template(key: str, session: SessionDep, _: Reader):
    return await service.get(session=session, key=key)


@router.post("/templates", status_code=201, response_model=TemplatePublic)
async def create_template(template_in: TemplateCreate, session: SessionDep, principal: TemplateWriter,
                          idempotency_key: IdempotencyKey = None):
    async def create():
        return await service.create(session=session, template_in=template_in, principal=principal)

    return await create_once(session, key=idempotency_key, scope="templates", request_body=template_in, create=create)


@router.put("/templates/{key}", response_model=TemplatePublic)
async def replace_template(key: str, template_in: TemplateUpdate, session: SessionDep, _: TemplateWriter):
    return await service.update(session=session, key=key, template_in=template_in)
