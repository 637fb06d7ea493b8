"""Snapshot endpoints: freeze a month (admin), read what was frozen (reports:read)."""
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from contracts.alerts import Colour
from contracts.registry import Stage
from kit.app import SessionDep
from kit.errors import Conflict
from kit.pagination import Page, PageParams, page_params
from services.reports.dependencies import Admin, ReadSession, Reader, Settings, Today, UnitId, Year
from services.reports.periods import MONTH_PATTERN
from services.reports.snapshots import service
from services.reports.snapshots.schemas import FrozenProject, SnapshotCreate, SnapshotDetail, SnapshotPublic

router = APIRouter(tags=["snapshots"])
Pagination = Annotated[PageParams, Depends(page_params)]
PeriodPath = Annotated[str, Path(pattern=MONTH_PATTERN)]


@router.post("/snapshots", status_code=201, response_model=SnapshotPublic)
async def take_snapshot(body: SnapshotCreate, session: SessionDep, principal: Admin, settings: Settings,
                        today: Today):
    """Freezes the overview, rankings, project list and targets of an ended month as of its last day; 409 when the
    month has not ended or is already frozen (taken by hand or automatically after the month ended)."""
    try:
        snapshot = await service.take(session=session, period=body.period, kind="manual", taken_by=principal.subject,
                                      target_rate=settings.target_rate, today=today)
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{body.period} was frozen at the same time by another request") from exc
    return JSONResponse(snapshot.model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/v1/snapshots/{snapshot.period}"})


@router.get("/snapshots", response_model=list[SnapshotPublic])
async def list_snapshots(session: ReadSession, _: Reader, year: Year = None):
    return await service.list_(session=session, year=year)


@router.get("/snapshots/{period}", response_model=SnapshotDetail)
async def get_snapshot(period: PeriodPath, session: ReadSession, _: Reader, settings: Settings,
                       unit_id: UnitId = None):
    return await service.detail(session=session, period=period, unit_id=unit_id,
                                target_rounding=settings.target_rounding)


@router.get("/snapshots/{period}/projects", response_model=Page[FrozenProject])
async def snapshot_projects(period: PeriodPath, session: ReadSession, _: Reader, page: Pagination,
                            unit_id: UnitId = None, colour: Colour | None = None, grade: str | None = None,
                            stage: Stage | None = None):
    filters = {"unit_id": unit_id, "colour": colour, "grade": grade, "stage": stage}
    items, cursor = await service.projects(session=session, period=period, filters=filters, params=page)
    return Page(items=items, next_cursor=cursor)
