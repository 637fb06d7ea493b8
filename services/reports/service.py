"""Reports queries over the read models."""
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.handlers import YI
from services.reports.models import ProjectView
from services.reports.schemas import Overview


async def overview(*, session: AsyncSession, year: int | None, unit_id: str | None) -> Overview:
    """Counts and sums the projects in scope."""
    query = select(
        func.count(ProjectView.id),
        func.coalesce(func.sum(ProjectView.total_investment), Decimal(0)),
        func.coalesce(func.sum(ProjectView.annual_plan_investment), Decimal(0)),
    )
    if year:
        query = query.where(ProjectView.year == year)
    if unit_id:
        query = query.where(ProjectView.unit_id == unit_id)
    count, total, plan = (await session.execute(query)).one()
    return Overview(year=year, unit_id=unit_id, project_count=count, total_investment=total,
                    total_investment_yi=(total / YI).quantize(Decimal("0.0001")), annual_plan_investment=plan)
