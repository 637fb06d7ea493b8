"""Suspension endpoints (停复审核): request, resume, decide; the episodes; the configured reasons."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.registry.models import Suspension
from services.registry.suspensions import service
from services.registry.suspensions.schemas import (STATUS_LABELS, Decision, ReasonPublic, ResumptionRequest,
                                                   SuspensionPublic, SuspensionRequest, SuspensionStatus)

router = APIRouter(tags=["suspensions"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]


def public(suspension: Suspension, reasons: dict[str, str]) -> SuspensionPublic:
    paused = (suspension.resume_on - suspension.suspend_from).days \
        if suspension.status == SuspensionStatus.resumed.value and suspension.resume_on else None
    return SuspensionPublic(
        id=suspension.id, project_id=suspension.project_id, unit_id=suspension.unit_id, status=suspension.status,
        status_label=STATUS_LABELS[suspension.status], reason=suspension.reason,
        reason_label=reasons.get(suspension.reason, suspension.reason), detail=suspension.detail,
        evidence=suspension.evidence, suspend_from=suspension.suspend_from,
        expected_resume_on=suspension.expected_resume_on, resume_on=suspension.resume_on,
        new_planned_start_date=suspension.new_planned_start_date,
        new_planned_completion_date=suspension.new_planned_completion_date, paused_days=paused,
        steps=suspension.steps, created_at=suspension.created_at, updated_at=suspension.updated_at)


@router.get("/suspension-reasons", response_model=list[ReasonPublic])
async def reasons(request: Request, _: Reader):
    return [ReasonPublic(code=code, label=label)
            for code, label in request.app.state.settings.suspension_reasons.items()]


@router.post("/projects/{project_id}/suspensions", status_code=201, response_model=SuspensionPublic)
async def request_suspension(project_id: str, body: SuspensionRequest, session: SessionDep, principal: Writer,
                             request: Request, idempotency_key: IdempotencyKey = None):
    """A unit asks to suspend its project (停工申请); the office decides."""
    settings = request.app.state.settings

    async def create():
        suspension = await service.request(session=session, project_id=project_id, body=body, principal=principal,
                                           today=today(settings), reasons=settings.suspension_reasons)
        return public(suspension, settings.suspension_reasons)

    return await create_once(session, key=idempotency_key, scope=f"suspensions:{project_id}", request_body=body,
                             create=create, location=lambda b: url_for(request, "get_suspension", suspension_id=b["id"]))


@router.post("/suspensions/{suspension_id}/resumption", response_model=SuspensionPublic)
async def request_resumption(suspension_id: str, body: ResumptionRequest, session: SessionDep, principal: Writer,
                             request: Request):
    """The unit asks to resume (复工申请), with the project's new planned dates if they move."""
    settings = request.app.state.settings
    suspension = await service.request_resumption(session=session, suspension_id=suspension_id, body=body,
                                                  principal=principal, today=today(settings))
    return public(suspension, settings.suspension_reasons)


@router.post("/suspensions/{suspension_id}/decision", response_model=SuspensionPublic)
async def decide(suspension_id: str, body: Decision, session: SessionDep, principal: Writer, request: Request):
    """The office approves or rejects what is pending (a suspension or a resumption), with a comment."""
    settings = request.app.state.settings
    suspension = await service.decide(session=session, suspension_id=suspension_id, decision=body,
                                      principal=principal, today=today(settings))
    return public(suspension, settings.suspension_reasons)


@router.get("/suspensions", response_model=Page[SuspensionPublic])
async def list_suspensions(session: SessionDep, _: Reader, request: Request,
                           page: Annotated[PageParams, Depends(page_params)], project_id: str | None = None,
                           unit_id: str | None = None, status: SuspensionStatus | None = None):
    items, cursor = await service.list_(session=session, params=page, project_id=project_id, unit_id=unit_id,
                                        status=status)
    reasons_ = request.app.state.settings.suspension_reasons
    return Page(items=[public(s, reasons_) for s in items], next_cursor=cursor)


@router.get("/suspensions/{suspension_id}", response_model=SuspensionPublic)
async def get_suspension(suspension_id: str, session: SessionDep, _: Reader, request: Request):
    return public(await service.get(session=session, suspension_id=suspension_id),
                  request.app.state.settings.suspension_reasons)
