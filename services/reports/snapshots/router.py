"""Snapshot endpoints: freeze a month (admin), read what was frozen (reports:read)."""
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from contracts.alerts import Colour
from contracts.registry import Stage
from kit.app import SessionDep, url_for
from kit.errors import Conflict, Invalid, field_error
from kit.pagination import Page, PageParams, page_params
from services.reports import sources
from services.reports.dependencies import Admin, ReadSession, Reader, Settings, Today, UnitId, Year
from services.reports.periods import MONTH_PATTERN, ReportDay
from services.reports.snapshots import service
from services.reports.snapshots.scheduler import take_if_due
from services.reports.snapshots.schemas import FrozenProject, SnapshotCreate, SnapshotDetail, SnapshotPublic

router = APIRouter(tags=["snapshots"])
Pagination = Annotated[PageParams, Depends(page_params)]
PeriodPath = Annotated[str, Path(pattern=MONTH_PATTERN)]


@router.post("/snapshots", status_code=201, response_model=SnapshotPublic)
async def take_snapshot(body: SnapshotCreate, session: SessionDep, principal: Admin, settings: Settings,
                        today: Today, request: Request):
    """Freezes the overview, rankings, project list and targets of an ended month as of its last day; 409 when the
    month has not ended, or is already frozen and no `reason` is given (with one: a new version of the month)."""
    try:
        snapshot = await service.take(session=session, period=body.period, kind="manual", taken_by=principal.subject,
                                      target_rate=settings.target_rate, today=today,
                                      target_rounding=settings.target_rounding, reason=body.reason,
                                      suspended_in_start_rate=settings.suspended_in_start_rate)
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{body.period} was frozen at the same time by another request") from exc
    return JSONResponse(snapshot.model_dump(mode="json"), status_code=201,
                        headers={"Location": str(url_for(request, "get_snapshot", period=snapshot.period))})


@router.get("/snapshots", response_model=list[SnapshotPublic])
async def list_snapshots(session: ReadSession, _: Reader, year: Year = None):
    return await service.list_(session=session, year=year)


@router.get("/snapshots/{period}", response_model=SnapshotDetail)
async def get_snapshot(period: PeriodPath, session: ReadSession, _: Reader, settings: Settings,
                       unit_id: UnitId = None, version: Annotated[int | None, Query(ge=1, le=10_000)] = None):
    """The month's snapshot: its current version, or an earlier one (`version`, read for the whole list)."""
    current = await sources.snapshot_of(session, period)
    if version is not None and version != current.version:
        if unit_id is not None:
            raise Invalid("an earlier version is kept for the whole list",
                          errors=[field_error("unit_id", "not with an earlier version")])
        return await service.earlier_version(session=session, period=period, version=version)
    return await service.detail(session=session, period=period, unit_id=unit_id,
                                target_rounding=settings.target_rounding)


@router.get("/snapshots/{period}/versions", response_model=list[SnapshotPublic])
async def snapshot_versions(period: PeriodPath, session: ReadSession, _: Reader):
    """Every version of the month's snapshot, the first first, each with who froze it and why."""
    return await service.versions(session=session, period=period)


@router.get("/snapshots/{period}/projects", response_model=Page[FrozenProject])
async def snapshot_projects(period: PeriodPath, session: ReadSession, _: Reader, page: Pagination,
                            unit_id: UnitId = None, colour: Colour | None = None, grade: str | None = None,
                            stage: Stage | None = None):
    filters = {"unit_id": unit_id, "colour": colour, "grade": grade, "stage": stage}
    items, cursor = await service.projects(session=session, period=period, filters=filters, params=page)
    return Page(items=items, next_cursor=cursor)


@router.post("/admin/snapshots", response_model=list[str])
async def run_scheduler(request: Request, _: Admin, today: Today,
                        date_: Annotated[ReportDay | None, Query(alias="date")] = None):
    """Runs the automatic snapshots' pass as of a day (default today; backfills, tests): the months it froze, none
    while the consumer has not caught up."""
    if date_ is not None and date_ > today:
        raise Invalid("the date is in the future", errors=[field_error("date", f"{date_} is after today {today}")])
    return await take_if_due(request.app, today=date_ or today)
