"""Unit use-cases. Functions stage events and never commit."""
import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import UnitCreated, UnitUpdated
from kit.clock import utcnow
from kit.errors import Invalid, NotFound, field_error
from kit.pagination import PageParams, keyset, page_of
from services.registry.events import publish
from services.registry.models import Unit
from services.registry.units.schemas import UnitCreate, UnitUpdate
from services.registry.validation import integrity_problem

COLUMNS = [Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id]


async def create(*, session: AsyncSession, unit_in: UnitCreate) -> dict:
    """Creates a unit and announces it."""
    now = utcnow()
    values = {"id": str(uuid.uuid4()), **unit_in.model_dump(), "created_at": now, "updated_at": now}
    try:
        await session.execute(insert(Unit).values(**values))
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="unit code", reference_field="parent_id") from exc
    event = UnitCreated.model_validate(values)
    await publish(session, event, subject=values["id"])
    return event.model_dump()


async def get(*, session: AsyncSession, unit_id: str) -> dict:
    """Gets a unit by its id."""
    row = (await session.execute(select(*COLUMNS).where(Unit.id == unit_id))).first()
    if row is None:
        raise NotFound(f"unit {unit_id} does not exist")
    return row._asdict()


async def list_(*, session: AsyncSession, params: PageParams, kind: str | None,
                parent_id: str | None) -> tuple[list[dict], str | None]:
    """Lists units, optionally of one kind or under one parent."""
    query = select(*COLUMNS)
    if kind:
        query = query.where(Unit.kind == kind)
    if parent_id:
        query = query.where(Unit.parent_id == parent_id)
    rows = (await session.execute(keyset(query, key=Unit.id, params=params))).all()
    rows, cursor = page_of(rows, params, keys=lambda r: [r.id])
    return [r._asdict() for r in rows], cursor


async def update_(*, session: AsyncSession, unit_id: str, unit_in: UnitUpdate) -> dict:
    """Changes a unit's code, name, kind or parent and announces it."""
    current = await get(session=session, unit_id=unit_id)
    changes = unit_in.model_dump(exclude_unset=True)
    if changes.get("parent_id") == unit_id:
        raise Invalid("a unit cannot be its own parent", errors=[field_error("parent_id", "is the unit itself")])
    if not changes:
        return current
    try:
        await session.execute(update(Unit).where(Unit.id == unit_id).values(**changes, updated_at=utcnow()))
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="unit code", reference_field="parent_id") from exc
    event = UnitUpdated.model_validate({**current, **changes})
    await publish(session, event, subject=unit_id)
    return event.model_dump()
