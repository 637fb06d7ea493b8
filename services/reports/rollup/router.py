"""GET /rollup: the districts' figures side by side and the whole city's (纵向报送, read-only at the city)."""
from fastapi import APIRouter

from services.reports.dependencies import AsOf, Period, ReadSession, Reader, Settings, Today, Year
from services.reports.rankings.schemas import RankingMetric
from services.reports.rollup import service
from services.reports.rollup.schemas import Rollup

router = APIRouter(tags=["rollup"])


@router.get("/rollup", response_model=Rollup)
async def rollup(session: ReadSession, _: Reader, settings: Settings, today: Today, year: Year = None,
                 period: Period = None, as_of: AsOf = None, metric: RankingMetric = RankingMetric.score):
    """Each district whose events this reports reads (KP_ROLLUP_DISTRICTS), and this deployment's own projects,
    summed and ranked by the metric, with the whole city's figures (their sum): live, as of a date, or a month's
    snapshot. Drill down with GET /projects?deployment=<its source>, or /overview and /rankings?unit_id= of its
    units."""
    return await service.rollup(session=session, settings=settings, year=year, period=period, as_of=as_of,
                                metric=metric, today=today)
