"""Land parcel use-cases: register, read, list (idle ones too), update, re-announce on a start. Never commit."""
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import ParcelRegistered, ParcelUpdated, Stage
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Forbidden, Invalid, NotFound, field_error
from kit.pagination import PageParams, keyset, page_of
from services.registry.events import publish
from services.registry.models import Parcel, Project, Unit
from services.registry.parcels.schemas import REQUIRED_FIELDS, ParcelCreate, ParcelUpdate
from services.registry.validation import integrity_problem

COLUMNS = [c for c in Parcel.__table__.columns]
STARTED_ON = Project.stage_dates[Stage.started.value].as_string()  # ISO date text, or NULL before the start


def started_date(stage_dates: dict | None) -> date | None:
    """The date a project reached the started stage, from its stage dates."""
    value = (stage_dates or {}).get(Stage.started.value)
    return date.fromisoformat(value) if isinstance(value, str) else value


def _plain(value: Decimal) -> Decimal:
    """12.5000 as 12.5 and 10.0000 as 10 (never 1E+1), the same on every database."""
    return value.quantize(1) if value == value.to_integral_value() else value.normalize()


def _state(row: Any) -> dict:
    values = {c.key: getattr(row, c.key) for c in COLUMNS}
    return {**values, "area_mu": _plain(values["area_mu"]),
            "started_date": started_date(getattr(row, "stage_dates", None))}


def rule_errors(values: dict[str, Any]) -> list[dict]:
    """Rules across fields, checked on the parcel as it would be after the write."""
    errors = []
    sale, delivery, deadline = values.get("sale_date"), values.get("delivery_date"), values["start_deadline"]
    if sale and delivery and delivery < sale:
        errors.append(field_error("delivery_date", "the delivery is before the sale"))
    if delivery and deadline < delivery:
        errors.append(field_error("start_deadline", "the start deadline is before the delivery"))
    return errors


async def _reference_errors(session: AsyncSession, values: dict[str, Any], principal: Principal) -> list[dict]:
    """The units and projects a write names exist, are open, and (for a unit-bound token) are the caller's own: a
    parcel linked to another unit's project would colour that project (an idle parcel) and skew its ranking."""
    errors = []
    if "unit_id" in values and await session.get(Unit, values["unit_id"]) is None:
        errors.append(field_error("unit_id", "no such unit"))
    if values.get("project_id") is not None:
        project = await session.get(Project, values["project_id"])
        if project is None:
            errors.append(field_error("project_id", "no such project"))
        elif project.archived:
            errors.append(field_error("project_id", "the project is archived"))
        elif principal.unit_id is not None and project.responsible_unit_id != principal.unit_id:
            raise Forbidden("this token may only link parcels to projects of its own unit")
    return errors


async def _check(session: AsyncSession, *, after: dict[str, Any], references: dict[str, Any],
                 principal: Principal) -> None:
    errors = rule_errors(after) + await _reference_errors(session, references, principal)
    if errors:
        raise Invalid("the parcel breaks registry rules", errors=errors)


def _query():
    return select(*COLUMNS, Project.stage_dates).outerjoin(Project, Parcel.project_id == Project.id)


async def _load(session: AsyncSession, parcel_id: str) -> dict:
    row = (await session.execute(_query().where(Parcel.id == parcel_id))).first()
    if row is None:
        raise NotFound(f"parcel {parcel_id} does not exist")
    return _state(row)


async def create(*, session: AsyncSession, parcel_in: ParcelCreate, principal: Principal) -> dict:
    """Registers a sold land parcel and announces it."""
    principal.ensure_unit(parcel_in.unit_id)
    values = parcel_in.model_dump()
    await _check(session, after=values, references=values, principal=principal)
    now = utcnow()
    values.update(id=str(uuid.uuid4()), created_at=now, updated_at=now)
    try:
        await session.execute(insert(Parcel).values(**values))
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="parcel code", reference_field="unit_id") from exc
    state = await _load(session, values["id"])
    await publish(session, ParcelRegistered.model_validate(state), subject=state["id"])
    return state


async def get(*, session: AsyncSession, parcel_id: str) -> dict:
    """Gets a parcel by its id, with its linked project's start."""
    return await _load(session, parcel_id)


async def list_(*, session: AsyncSession, params: PageParams, unit_id: str | None, project_id: str | None,
                idle_as_of: date | None) -> tuple[list[dict], str | None]:
    """Lists parcels by code; `idle_as_of` keeps those past their start deadline and not started by that date."""
    query = _query()
    if unit_id:
        query = query.where(Parcel.unit_id == unit_id)
    if project_id:
        query = query.where(Parcel.project_id == project_id)
    if idle_as_of:
        query = query.where(Parcel.start_deadline < idle_as_of,
                            or_(Parcel.project_id.is_(None), STARTED_ON.is_(None), STARTED_ON > idle_as_of.isoformat()))
    rows = (await session.execute(keyset(query, key=Parcel.id, sort=Parcel.code, params=params))).all()
    rows, cursor = page_of(list(rows), params, keys=lambda r: [r.code, r.id])
    return [_state(r) for r in rows], cursor


async def update_(*, session: AsyncSession, parcel_id: str, parcel_in: ParcelUpdate, principal: Principal) -> dict:
    """Changes the fields sent and announces the parcel as it now is.

    The parcel row is locked first (PostgreSQL), as announce_parcels_of_project locks it after its project's stage
    changed: the later of the two reads the other's committed state, so no stale start is published last."""
    await session.execute(select(Parcel.id).where(Parcel.id == parcel_id).with_for_update())
    current = await _load(session, parcel_id)
    principal.ensure_unit(current["unit_id"])
    changes = parcel_in.model_dump(exclude_unset=True)
    nulls = sorted(f for f, v in changes.items() if v is None and f in REQUIRED_FIELDS)
    if nulls:
        raise Invalid("required fields cannot be null", errors=[field_error(f, "cannot be null") for f in nulls])
    if "unit_id" in changes:
        principal.ensure_unit(changes["unit_id"])
    changes = {f: v for f, v in changes.items() if current[f] != v}
    if not changes:
        return current
    await _check(session, after={**current, **changes}, references=changes, principal=principal)
    try:
        await session.execute(update(Parcel).where(Parcel.id == parcel_id).values(**changes, updated_at=utcnow()))
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="parcel code", reference_field="unit_id") from exc
    state = await _load(session, parcel_id)
    await publish(session, ParcelUpdated.model_validate(state), subject=parcel_id)
    return state


async def announce_parcels_of_project(session: AsyncSession, project_id: str, stage_dates: dict) -> int:
    """Re-announces the parcels built on the project with the start date of its new `stage_dates` (call when its stage
    changes).

    Their rows are locked (PostgreSQL) until the transaction ends, so a concurrent parcel update waits and then
    announces the new start, or, having gone first, is read here as it committed."""
    rows = (await session.execute(select(*COLUMNS).where(Parcel.project_id == project_id)
                                  .order_by(Parcel.id).with_for_update())).all()
    start = started_date(stage_dates)
    for row in rows:
        state = {**_state(row), "started_date": start}
        await publish(session, ParcelUpdated.model_validate(state), subject=state["id"])
    return len(rows)

