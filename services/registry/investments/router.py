"""Investment endpoints: monthly upsert and list; budget view and approved adjustments of government-funded projects."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from services.registry.investments import service
from services.registry.investments.schemas import (BudgetAdjustmentCreate, BudgetAdjustmentPublic, BudgetPublic,
                                                   InvestmentList, InvestmentPublic, InvestmentReport)

router = APIRouter(tags=["investments"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]
Admin = Annotated[Principal, Depends(require("admin"))]


@router.put("/projects/{project_id}/investments/{period}", response_model=InvestmentPublic,
            responses={201: {"model": InvestmentPublic, "description": "The month was reported for the first time"}})
async def report_investment(project_id: str, period: str, body: InvestmentReport, session: SessionDep,
                            principal: Writer, request: Request, response: Response):
    state, created = await service.report(session=session, project_id=project_id, period=period, amount=body.amount,
                                          principal=principal, today=today(request.app.state.settings))
    response.status_code = 201 if created else 200
    return state


@router.get("/projects/{project_id}/investments", response_model=InvestmentList)
async def list_investments(project_id: str, session: SessionDep, _: Reader):
    return await service.list_months(session=session, project_id=project_id)


@router.get("/projects/{project_id}/budget", response_model=BudgetPublic)
async def get_budget(project_id: str, session: SessionDep, _: Reader):
    return BudgetPublic.model_validate(await service.get_budget(session=session, project_id=project_id),
                                       from_attributes=True)


@router.post("/projects/{project_id}/budget-adjustments", status_code=201, response_model=BudgetAdjustmentPublic)
async def adjust_budget(project_id: str, body: BudgetAdjustmentCreate, session: SessionDep, principal: Admin,
                        request: Request, idempotency_key: IdempotencyKey = None):
    async def create():
        adjustment = await service.adjust_budget(session=session, project_id=project_id, adjustment_in=body,
                                                 principal=principal, today=today(request.app.state.settings))
        return BudgetAdjustmentPublic.model_validate(adjustment, from_attributes=True)

    return await create_once(session, key=idempotency_key, scope=f"budget-adjustments:{project_id}",
                             request_body=body, create=create,
                             location=lambda _: url_for(request, "get_budget", project_id=project_id))
