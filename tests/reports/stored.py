"""The read models as the fetch and replay tests compare them."""
from sqlalchemy import or_, select

from services.reports.cells import METRICS
from services.reports.models import (READ_MODELS, ProjectMove, StatisticsHistory, StatusHistory, TaskHistory,
                                     UnitYearCell)

HISTORIES = (StatusHistory, TaskHistory, StatisticsHistory, ProjectMove)  # in the order they were appended


async def read_models(sessionmaker) -> dict[str, list[dict]]:
    """Every read model's rows: project rows but when they were applied, cells that hold something (a fetch does
    not write one a project only passed through), histories in their order without their ids."""
    found = {}
    async with sessionmaker() as session:
        for model in READ_MODELS:
            table = model.__table__
            history = model in HISTORIES
            query = select(*(c for c in table.columns if c.name != "applied_at" and not (history and c.name == "id")))
            query = query.order_by(*((table.c.id,) if history else table.primary_key))
            if model is UnitYearCell:
                query = query.where(or_(*(table.c[m] != 0 for m in METRICS)))
            found[table.name] = [dict(row._mapping) for row in await session.execute(query)]
    return found
