"""Overview and breakdown endpoints."""
import functools

from fastapi import APIRouter, Request

from services.reports.answers import answer
from services.reports.dependencies import (AsOf, IncludeDescendants, Period, ReadSession, Reader, Settings, Today,
                                          UnitId, Year)
from services.reports.overview import service
from services.reports.overview.schemas import Breakdown, BreakdownBy, Overview
from services.reports.rankings.schemas import UnitGroup

router = APIRouter(tags=["overview"])


@router.get("/overview", response_model=Overview)
async def overview(request: Request, session: ReadSession, _: Reader, settings: Settings, today: Today,
                   year: Year = None, as_of: AsOf = None, period: Period = None, unit_id: UnitId = None,
                   include_descendants: IncludeDescendants = True):
    """Project count, investment, start and completion rates against the target, counts by colour, grade, stage,
    sector, category, level and bracket, the three classes, statistics inclusion, nodes and tasks; of every unit, or
    of a unit and (unless include_descendants=false) the units below it."""
    return await answer(request, session, today, functools.partial(
        service.overview, session=session, year=year, as_of=as_of, period=period, unit_id=unit_id,
        target_rate=settings.target_rate, target_rounding=settings.target_rounding, today=today,
        include_descendants=include_descendants, with_suspended=settings.suspended_in_start_rate))


@router.get("/breakdowns", response_model=Breakdown)
async def breakdowns(session: ReadSession, _: Reader, settings: Settings, today: Today, by: BreakdownBy,
                     year: Year = None,
                     as_of: AsOf = None, period: Period = None, unit_id: UnitId = None,
                     group: UnitGroup = UnitGroup.all, include_descendants: IncludeDescendants = True):
    """Counts, investment and rates per group of a dimension (by=unit: per responsible unit of a `group`, each with
    the units below it unless include_descendants=false)."""
    return await service.breakdown(session=session, by=by, year=year, as_of=as_of, period=period, unit_id=unit_id,
                                   group=group, today=today, include_descendants=include_descendants,
                                   with_suspended=settings.suspended_in_start_rate)
