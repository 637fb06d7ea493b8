"""Supervision round endpoints: freeze a round, list rounds, read one as JSON or CSV."""
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kit.app import SessionDep, url_for
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.alerts.access import Reader, TaskWriter
from services.alerts.rounds import service
from services.alerts.rounds.schemas import RoundCreate, RoundPublic, RoundSummary

router = APIRouter(tags=["supervision rounds"])
Pagination = Annotated[PageParams, Depends(page_params)]


def public(row) -> RoundPublic:
    return RoundPublic.model_validate(row, from_attributes=True)


@router.post("/supervision-rounds", status_code=201, response_model=RoundPublic)
async def create_round(body: RoundCreate, session: SessionDep, principal: TaskWriter, request: Request,
                       idempotency_key: IdempotencyKey = None):
    async def create():
        return public(await service.create(session=session, on=body.date, principal=principal,
                                           today=today(request.app.state.settings)))

    return await create_once(session, key=idempotency_key, scope="supervision-rounds", request_body=body,
                             create=create, location=lambda b: url_for(request, "get_round", round_id=b["id"]))


@router.get("/supervision-rounds", response_model=Page[RoundSummary])
async def list_rounds(session: SessionDep, _: Reader, page: Pagination):
    items, cursor = await service.list_(session=session, params=page)
    return Page(items=[RoundSummary.model_validate(r, from_attributes=True) for r in items], next_cursor=cursor)


@router.get("/supervision-rounds/{round_id}", response_model=RoundPublic,
            responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv or Accept"}})
async def get_round(round_id: str, session: SessionDep, _: Reader, request: Request, format: Literal["json", "csv"] | None = None):
    row = await service.get(session=session, round_id=round_id)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(service.to_csv(row), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="supervision-round-{row.date.isoformat()}.csv"'})
    return public(row)
