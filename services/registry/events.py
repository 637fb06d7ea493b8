"""Event payloads built from registry rows, staged in the caller's transaction."""
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from contracts.registry import Bracket
from kit.outbox import WriteWithEvent, stage
from services.registry.models import Project

SOURCE = "/keyproject/registry"
YI = Decimal(10_000)  # 1 亿元 = 10,000 万元

def investment_bracket(total_investment: Decimal) -> Bracket:
    if total_investment >= 50 * YI:
        return Bracket.ge_50yi
    if total_investment >= 10 * YI:
        return Bracket.from_10_to_50yi
    if total_investment >= YI:
        return Bracket.from_1_to_10yi
    return Bracket.lt_1yi


def project_state(project: Project | dict) -> dict:
    """Every column of the project plus its derived bracket: what events carry (they drop the rest) and the API shows."""
    values = project if isinstance(project, dict) else {c.key: getattr(project, c.key) for c in Project.__table__.columns}
    return {**values, "bracket": investment_bracket(values["total_investment"])}


async def publish(session: AsyncSession, data: EventData, *, subject: str) -> None:
    await stage(session, data, subject=subject, source=SOURCE)


async def write_and_publish(session: AsyncSession, write: WriteWithEvent, values: dict, data: EventData, *,
                            subject: str) -> None:
    await write.execute(session, values, data, subject=subject, source=SOURCE)
