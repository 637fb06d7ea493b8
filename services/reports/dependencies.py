"""What the reports routers share: who may read or change, a session for reading, the settings and today, the
common query parameters.

Reading needs `reports:read`; changing what reports keep of its own (scoring weights, targets, snapshots) and
rebuilding the read models needs `admin`.
"""
import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import ADMIN, Principal, require
from kit.clock import today as clock_today
from kit.db import is_sqlite, make_engine, make_sessionmaker
from services.reports.periods import MAX_YEAR, MIN_YEAR, MONTH_PATTERN, ReportDay
from services.reports.settings import ReportsSettings

READ_SCOPE = "reports:read"
Reader = Annotated[Principal, Depends(require(READ_SCOPE))]
Admin = Annotated[Principal, Depends(require(ADMIN))]

Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="the list year; every year when not given")]
AsOf = Annotated[ReportDay | None, Query(description="figures as of this date (not after today); today when "
                                                               "not given")]
Period = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="a month (YYYY-MM): its frozen snapshot")]
UnitId = Annotated[str | None, Query(max_length=36)]
IncludeDescendants = Annotated[bool, Query(description="a unit's figures count the units below it (a district's "
                                                       "towns); false: only its own projects")]


# async, though they never wait: FastAPI would run a plain function in its thread pool, two thread hops a request
async def settings_of(request: Request) -> ReportsSettings:
    return request.app.state.settings


async def today_of(request: Request) -> date:
    return clock_today(request.app.state.settings)


Settings = Annotated[ReportsSettings, Depends(settings_of)]
Today = Annotated[date, Depends(today_of)]


def reading_sessionmaker(app: FastAPI):
    """Sessions for reading: on SQLite from a read-only engine, so a figure never queues behind (nor holds up) the
    consumer's writes; elsewhere the service's own."""
    return getattr(app.state, "read_sessionmaker", None) or app.state.sessionmaker


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with reading_sessionmaker(request.app)() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]


async def open_reader(app: FastAPI) -> None:
    """The background job holding the SQLite reading engine for the life of the service."""
    settings = app.state.settings
    if not is_sqlite(settings.database_url):
        return
    engine = make_engine(settings.database_url, read_only=True)
    app.state.read_sessionmaker = make_sessionmaker(engine)
    try:
        await asyncio.Event().wait()
    finally:
        app.state.read_sessionmaker = None
        await engine.dispose()
