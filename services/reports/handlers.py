"""Reports event handlers: keep the read models current, idempotent and in version order per project."""
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent
from contracts.registry import (ProjectArchived, ProjectRegistered, ProjectStageChanged, ProjectState,
                                ProjectUpdated, UnitCreated)
from kit.clock import utcnow
from kit.consumer import Handlers
from services.reports.models import ProjectView, UnitView

YI = Decimal(10_000)  # 1 亿元 = 10,000 万元


async def on_unit_created(session: AsyncSession, _event: CloudEvent, unit: UnitCreated) -> None:
    await session.merge(UnitView(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id))


async def on_project_state(session: AsyncSession, _event: CloudEvent, project: ProjectState) -> None:
    """Every project event carries the whole state: keep the newest version; archived projects leave the view."""
    existing = await session.get(ProjectView, project.id)
    if existing is not None and existing.version >= project.version:
        return
    if project.archived:
        if existing is not None:
            await session.delete(existing)
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
        bracket=project.bracket,
        stage=project.stage,
        total_investment=project.total_investment,
        annual_plan_investment=project.annual_plan_investment,
        ytd_investment=existing.ytd_investment if existing else Decimal(0),
        version=project.version,
        applied_at=utcnow(),
    ))


HANDLERS: Handlers = {
    UnitCreated: on_unit_created,
    ProjectRegistered: on_project_state,
    ProjectUpdated: on_project_state,
    ProjectArchived: on_project_state,
    ProjectStageChanged: on_project_state,
}
