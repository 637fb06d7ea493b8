"""Event payloads built from node rows, staged in the caller's transaction."""
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from kit.outbox import stage
from services.milestones.models import Milestone
from services.milestones.status import standing

SOURCE = "/keyproject/milestones"


def node_state(node: Milestone, *, as_of: date, due_soon_days: int) -> dict:
    """The MilestoneState fields of a node, its status and days late as of a date."""
    where = standing(planned=node.planned_date, actual=node.actual_date, as_of=as_of, due_soon_days=due_soon_days,
                     paused_on=node.paused_on)
    baseline = standing(planned=node.baseline_date, actual=node.actual_date, as_of=as_of, due_soon_days=due_soon_days,
                        paused_on=node.paused_on)
    return {
        "id": node.id,
        "project_id": node.project_id,
        "key": node.key,
        "name": node.name,
        "stage": node.stage,
        "planned_date": node.planned_date,
        "baseline_date": node.baseline_date,
        "actual_date": node.actual_date,
        "status": where.status,
        "days_late": where.days_late,
        "baseline_days_late": baseline.days_late,
        "critical": node.critical,
        "responsible_unit_id": node.responsible_unit_id,
        "responsible_person": node.responsible_person,
        "weight": node.weight,
        "predecessors": list(node.predecessors),
        "version": node.version,
    }


async def publish(session: AsyncSession, data: EventData, *, subject: str) -> None:
    await stage(session, data, subject=subject, source=SOURCE)
