"""Reports event handlers: keep the read models current, idempotent and in version order per project."""
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent
from contracts.registry import ProjectRegistered, UnitCreated
from kit.clock import utcnow
from kit.consumer import Handlers
from services.reports.models import ProjectView, UnitView

YI = Decimal(10_000)  # 1 亿元 = 10,000 万元


def investment_bracket(total_investment: Decimal) -> str:
    """The office's brackets: ≥ 50 亿, 10–50 亿, 1–10 亿, < 1 亿."""
    if total_investment >= 50 * YI:
        return "ge50"
    if total_investment >= 10 * YI:
        return "10to50"
    if total_investment >= 1 * YI:
        return "1to10"
    return "lt1"


async def on_unit_created(session: AsyncSession, _event: CloudEvent, unit: UnitCreated) -> None:
    await session.merge(UnitView(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id))


async def on_project_registered(session: AsyncSession, _event: CloudEvent, project: ProjectRegistered) -> None:
    existing = await session.get(ProjectView, project.id)
    if existing is not None and existing.version >= project.version:
        return
    await session.merge(ProjectView(
        id=project.id,
        code=project.code,
        name=project.name,
        year=project.year,
        unit_id=project.responsible_unit_id,
        level=project.level,
        category=project.category,
        sector=project.sector,
        bracket=investment_bracket(project.total_investment),
        stage=project.stage,
        total_investment=project.total_investment,
        annual_plan_investment=project.annual_plan_investment,
        ytd_investment=existing.ytd_investment if existing else Decimal(0),
        version=project.version,
        applied_at=utcnow(),
    ))


HANDLERS: Handlers = {
    UnitCreated: on_unit_created,
    ProjectRegistered: on_project_registered,
}
