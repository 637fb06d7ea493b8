"""Target endpoints: read with reports:read, hand down / change / withdraw with admin."""
from fastapi import APIRouter, Request, Response

from kit.app import SessionDep, url_for
from kit.idempotency import IdempotencyKey, create_once
from services.reports.dependencies import Admin, AsOf, Period, ReadSession, Reader, Today, Year
from services.reports.targets import service
from services.reports.targets.schemas import ProgressReport, TargetCreate, TargetPublic, TargetUpdate

router = APIRouter(tags=["targets"])


@router.post("/targets", status_code=201, response_model=TargetPublic)
async def create_target(target_in: TargetCreate, session: SessionDep, _: Admin, request: Request,
                        idempotency_key: IdempotencyKey = None):
    async def create():
        return await service.create(session=session, target_in=target_in)

    return await create_once(session, key=idempotency_key, scope="targets", request_body=target_in, create=create,
                             location=lambda b: url_for(request, "get_target", target_id=b["id"]))


@router.get("/targets", response_model=list[TargetPublic])
async def list_targets(session: ReadSession, _: Reader, year: Year = None):
    return await service.list_(session=session, year=year)


@router.get("/targets/progress", response_model=ProgressReport)
async def targets_progress(session: ReadSession, _: Reader, today: Today, year: Year = None, as_of: AsOf = None,
                           period: Period = None):
    """Achieved, remaining, rate and 未破零 (nothing achieved yet) per target of the year."""
    if year is None:
        year = int(period[:4]) if period else (as_of or today).year
    return await service.progress(session=session, year=year, as_of=as_of, period=period, today=today)


@router.get("/targets/{target_id}", response_model=TargetPublic)
async def get_target(target_id: str, session: ReadSession, _: Reader):
    return service.public(await service.get(session=session, target_id=target_id))


@router.patch("/targets/{target_id}", response_model=TargetPublic)
async def update_target(target_id: str, target_in: TargetUpdate, session: SessionDep, _: Admin):
    return await service.update(session=session, target_id=target_id, target_in=target_in)


@router.delete("/targets/{target_id}", status_code=204, response_class=Response)
async def delete_target(target_id: str, session: SessionDep, _: Admin):
    await service.delete(session=session, target_id=target_id)
