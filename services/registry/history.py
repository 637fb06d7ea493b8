"""Project history: who changed what and when, with before/after of each changed field."""
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.pagination import PageParams, keyset, page_of
from services.registry.models import ProjectChange


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 30000.000000 and 30000 are the same amount
    if isinstance(value, date):
        return str(value)
    return value


def diff(before: dict, after: dict) -> dict[str, dict]:
    """Fields whose value differs, as {field: {"before": .., "after": ..}} in JSON-friendly values."""
    return {f: {"before": _plain(before.get(f)), "after": _plain(v)} for f, v in after.items()
            if _plain(before.get(f)) != _plain(v)}


async def record(session: AsyncSession, *, project_id: str, actor: str, action: str,
                 changes: dict | None = None, note: str | None = None) -> None:
    """Appends one entry to the project's history."""
    await session.execute(insert(ProjectChange).values(
        project_id=project_id, actor=actor, action=action, changes=changes or {}, note=note, at=utcnow()))


def written_entry(**columns) -> Insert:
    """One entry's INSERT for a statement written with others (kit.outbox.WritesWithEvent): each column bound to the
    parameter of its name prefixed `h_`, unless `columns` gives it (a parameter the others share, or a constant)."""
    names = ("project_id", "actor", "action", "changes", "note", "at")
    return insert(ProjectChange).values({c: columns.get(c, bindparam(f"h_{c}")) for c in names})


async def record_many(session: AsyncSession, *, entries: list[tuple[str, dict]], actor: str, action: str,
                      note: str | None = None) -> None:
    """Appends one entry per (project_id, changes) with one bulk insert (imports)."""
    if entries:
        at = utcnow()
        await session.execute(insert(ProjectChange), [
            {"project_id": project_id, "actor": actor, "action": action, "changes": changes, "note": note, "at": at}
            for project_id, changes in entries])


async def list_changes(*, session: AsyncSession, project_id: str, params: PageParams) -> tuple[list, str | None]:
    """Lists a project's history, oldest first."""
    query = select(ProjectChange).where(ProjectChange.project_id == project_id)
    rows = (await session.scalars(keyset(query, key=ProjectChange.id, params=params))).all()
    return page_of(list(rows), params, keys=lambda r: [r.id])
