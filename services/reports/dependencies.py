"""What the reports routers share: who may read or change, the settings and today, the common query parameters.

Reading needs `reports:read`; changing what reports keep of its own (scoring weights, targets, snapshots) and
rebuilding the read models needs `admin`.
"""
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from kit.auth import ADMIN, Principal, require
from kit.clock import today as clock_today
from services.reports.periods import MONTH_PATTERN
from services.reports.settings import ReportsSettings

Reader = Annotated[Principal, Depends(require("reports:read"))]
Admin = Annotated[Principal, Depends(require(ADMIN))]

Year = Annotated[int | None, Query(ge=2000, le=2100, description="the list year; every year when not given")]
AsOf = Annotated[date | None, Query(description="figures as of this date (not after today); today when not given")]
Period = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="a month (YYYY-MM): its frozen snapshot")]
UnitId = Annotated[str | None, Query(max_length=36)]


def settings_of(request: Request) -> ReportsSettings:
    return request.app.state.settings


def today_of(request: Request) -> date:
    return clock_today(request.app.state.settings)


Settings = Annotated[ReportsSettings, Depends(settings_of)]
Today = Annotated[date, Depends(today_of)]
