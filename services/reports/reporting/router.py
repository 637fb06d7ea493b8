"""GET /reporting/{YYYY-MM}: the month's reporting timeliness per unit (月调度 报送情况)."""
from typing import Annotated

from fastapi import APIRouter, Path

from services.reports.dependencies import ReadSession, Reader
from services.reports.periods import MONTH_PATTERN
from services.reports.reporting import service
from services.reports.reporting.schemas import Timeliness

router = APIRouter(tags=["reporting"])


@router.get("/reporting/{period}", response_model=Timeliness)
async def timeliness(period: Annotated[str, Path(pattern=MONTH_PATTERN)], session: ReadSession, _: Reader):
    """Per unit: reported on time, late, not at all (未报), ranked by the on-time rate."""
    return await service.timeliness(session, period)
