"""Unit use-cases. Functions stage events and never commit."""
import uuid

from sqlalchemy import insert, select, text, update
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

_HIERARCHY_LOCK = 0x6B70_0101  # PostgreSQL advisory lock: unit parent changes of one database run one at a time
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


async def _check_parent(session: AsyncSession, *, unit_id: str, parent_id: str) -> None:
    """The new parent exists and is not the unit itself nor below it (A → B → A would be a cycle)."""
    if parent_id == unit_id:
        raise Invalid("a unit cannot be its own parent", errors=[field_error("parent_id", "is the unit itself")])
    if session.bind.dialect.name == "postgresql":
        # Hierarchy changes one at a time: two concurrent moves (A under B, B under A) would each see no cycle.
        # SQLite writers are serialized by BEGIN IMMEDIATE already.
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _HIERARCHY_LOCK})
    seen, ancestor = set(), parent_id
    while ancestor is not None and ancestor not in seen:
        if ancestor == unit_id:
            raise Invalid("the parent would make a cycle of units",
                          errors=[field_error("parent_id", f"unit {parent_id} is below this unit")])
        seen.add(ancestor)
        row = (await session.execute(select(Unit.parent_id).where(Unit.id == ancestor))).first()
        if row is None:
            if ancestor == parent_id:
                raise Invalid("the parent unit does not exist", errors=[field_error("parent_id", "no such unit")])
            break
        ancestor = row.parent_id


async def update_(*, session: AsyncSession, unit_id: str, unit_in: UnitUpdate) -> dict:
    """Changes a unit's code, name, kind or parent and announces it."""
    current = await get(session=session, unit_id=unit_id)
    changes = unit_in.model_dump(exclude_unset=True)
    if changes.get("parent_id") is not None and changes["parent_id"] != current["parent_id"]:
        await _check_parent(session, unit_id=unit_id, parent_id=changes["parent_id"])
    if not changes:
        return current
    try:
        await session.execute(update(Unit).where(Unit.id == unit_id).values(**changes, updated_at=utcnow()))
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="unit code", reference_field="parent_id") from exc
    event = UnitUpdated.model_validate({**current, **changes})
    await publish(session, event, subject=unit_id)
    return event.model_dump()
