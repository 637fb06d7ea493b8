"""Template endpoints: list, read, create and replace custom templates."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import CategoryKey
from kit.app import SessionDep, url_for
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.milestones.access import Reader, TemplateWriter
from services.milestones.templates import service
from services.milestones.templates.schemas import TemplateCreate, TemplatePublic, TemplateUpdate

router = APIRouter(tags=["templates"])
Pagination = Annotated[PageParams, Depends(page_params)]


async def _shown(session: AsyncSession, request: Request, *templates: TemplatePublic) -> list[TemplatePublic]:
    """The templates as answered: `default_for` after the service's KP_CATEGORY_TEMPLATES."""
    return await service.with_default_for(session=session, templates=list(templates),
                                          configured=request.app.state.settings.category_templates)


@router.get("/templates", response_model=Page[TemplatePublic])
async def list_templates(session: SessionDep, _: Reader, page: Pagination, request: Request,
                         category: CategoryKey | None = None):
    items, cursor = await service.list_(session=session, params=page, category=category)
    return Page(items=await _shown(session, request, *items), next_cursor=cursor)


@router.get("/templates/{key}", response_model=TemplatePublic)
async def get_template(key: str, session: SessionDep, _: Reader, request: Request):
    [template] = await _shown(session, request, await service.get(session=session, key=key))
    return template


@router.post("/templates", status_code=201, response_model=TemplatePublic)
async def create_template(template_in: TemplateCreate, session: SessionDep, principal: TemplateWriter,
                          request: Request, idempotency_key: IdempotencyKey = None):
    async def create():
        [template] = await _shown(session, request, await service.create(session=session, template_in=template_in,
                                                                         principal=principal))
        return template

    return await create_once(session, key=idempotency_key, scope="templates", request_body=template_in, create=create,
                             location=lambda b: url_for(request, "get_template", key=b["key"]))


@router.put("/templates/{key}", response_model=TemplatePublic)
async def replace_template(key: str, template_in: TemplateUpdate, session: SessionDep, _: TemplateWriter,
                           request: Request):
    [template] = await _shown(session, request, await service.update(session=session, key=key, template_in=template_in))
    return template
