"""Ranking endpoint."""
import functools
from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.inputs import Amount, decimal
from services.reports.answers import answer
from services.reports.dependencies import (AsOf, IncludeDescendants, Period, ReadSession, Reader, Settings, Today,
                                           UnitId, Year)
from services.reports.rankings import service
from services.reports.rankings.schemas import Ranking, RankingMetric, RateMetric, UnitGroup

router = APIRouter(tags=["rankings"])

Rate = Annotated[decimal(integer_digits=3, places=6, example="0.1") | None, Query()]


@router.get("/rankings", response_model=Ranking)
async def rankings(request: Request, session: ReadSession, _: Reader, settings: Settings, today: Today,
                   year: Year = None, period: Period = None,
                   as_of: AsOf = None, group: UnitGroup = UnitGroup.all, metric: RankingMetric = RankingMetric.score,
                   min_annual_plan: Annotated[Amount | None, Query()] = None,
                   rate_metric: RateMetric = RateMetric.investment_completion_rate,
                   min_rate: Rate = None, max_rate: Rate = None, unit_id: UnitId = None,
                   include_descendants: IncludeDescendants = True):
    """Units ranked best first (fewest first for counts) with competition ranks and the change since the previous
    snapshot; `min_annual_plan`, `min_rate` (inclusive) and `max_rate` (exclusive) keep the units named at the
    meeting, e.g. plan ≥ 5000 万元 with an investment completion rate from 0.02 to below 0.10. Each unit counts the
    projects of the units below it (`group=district`: districts with their towns) unless include_descendants=false;
    `unit_id` ranks only that unit and the units below it (e.g. `group=town&unit_id=<a district>`: its towns)."""
    filters = service.Filters(min_annual_plan=min_annual_plan, rate_metric=rate_metric, min_rate=min_rate,
                              max_rate=max_rate)
    return await answer(request, session, today, functools.partial(
        service.ranking, session=session, year=year, period=period, as_of=as_of, group=group, metric=metric,
        filters=filters, today=today, unit_id=unit_id, include_descendants=include_descendants,
        with_suspended=settings.suspended_in_start_rate))
