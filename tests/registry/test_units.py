"""Units: strict updates (no null required fields, no parent cycles), constraint errors as problems, and events."""
import asyncio
import uuid

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from contracts.registry import UnitCreated, UnitKind, UnitUpdated
from kit.errors import Conflict, Invalid
from services.registry.models import Unit
from services.registry.validation import integrity_problem
from tests.registry.conftest import field_names, published
from tests.support.databases import postgres_base
from tests.support.factories import create_unit, unit_body

UNITS = "/api/v1/units"


async def patch(registry, unit_id: str, body: dict):
    return await registry.patch(f"{UNITS}/{unit_id}", json=body)


async def read(registry, unit_id: str) -> dict:
    response = await registry.get(f"{UNITS}/{unit_id}")
    assert response.status_code == 200, response.text
    return response.json()


# --- events ------------------------------------------------------------------------------------------------------

async def test_a_created_unit_is_announced_with_its_state(registry, registry_events):
    parent = await create_unit(registry, kind="district", name="滨江区")
    child = await create_unit(registry, kind="street", name="新城街道", parent_id=parent["id"])
    [event] = await published(registry_events, UnitCreated, child["id"])
    assert event == UnitCreated(id=child["id"], code=child["code"], name="新城街道", kind=UnitKind.street,
                                parent_id=parent["id"])
    [top] = await published(registry_events, UnitCreated, parent["id"])
    assert top.parent_id is None and top.kind == UnitKind.district


async def test_an_updated_unit_is_announced_with_its_whole_state(registry, registry_events):
    parent = await create_unit(registry, kind="district")
    unit = await create_unit(registry)
    response = await patch(registry, unit["id"], {"name": "城南镇", "parent_id": parent["id"]})
    assert response.status_code == 200, response.text
    [event] = await published(registry_events, UnitUpdated, unit["id"])
    assert event == UnitUpdated(id=unit["id"], code=unit["code"], name="城南镇", kind=UnitKind.town,
                                parent_id=parent["id"])
    detached = await patch(registry, unit["id"], {"parent_id": None})
    assert detached.status_code == 200 and detached.json()["parent_id"] is None
    events = await published(registry_events, UnitUpdated, unit["id"], count=2)
    assert events[-1].parent_id is None and events[-1].name == "城南镇"


# --- nulls -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, fields", [
    ({"name": None}, {"name"}),
    ({"kind": None}, {"kind"}),
    ({"code": None}, {"code"}),
    ({"code": None, "name": None, "kind": None}, {"code", "name", "kind"}),
])
async def test_a_null_required_field_is_422_and_changes_nothing(registry, registry_events, body, fields):
    unit = await create_unit(registry)
    response = await patch(registry, unit["id"], body)
    assert field_names(response) == fields
    assert {e["message"] for e in response.json()["errors"]} == {"Value error, cannot be null"}
    assert await read(registry, unit["id"]) == unit
    assert await registry_events.all(UnitUpdated, subject=unit["id"]) == []


async def test_a_null_parent_is_allowed_and_other_fields_apply(registry):
    parent = await create_unit(registry, kind="district")
    unit = await create_unit(registry, parent_id=parent["id"])
    response = await patch(registry, unit["id"], {"parent_id": None, "kind": "street"})
    assert response.status_code == 200, response.text
    assert (response.json()["parent_id"], response.json()["kind"]) == (None, "street")


# --- the hierarchy -----------------------------------------------------------------------------------------------

async def test_a_parent_cycle_is_422_and_changes_nothing(registry):
    a = await create_unit(registry, kind="district")
    b = await create_unit(registry, parent_id=a["id"])
    response = await patch(registry, a["id"], {"parent_id": b["id"]})
    assert field_names(response) == {"parent_id"}
    assert "cycle" in response.json()["detail"]
    assert (await read(registry, a["id"]))["parent_id"] is None


async def test_a_longer_cycle_is_refused_too(registry):
    a = await create_unit(registry, kind="district")
    b = await create_unit(registry, kind="town", parent_id=a["id"])
    c = await create_unit(registry, kind="street", parent_id=b["id"])
    assert field_names(await patch(registry, a["id"], {"parent_id": c["id"]})) == {"parent_id"}
    assert field_names(await patch(registry, a["id"], {"parent_id": a["id"]})) == {"parent_id"}
    # moving within the tree without a cycle is fine
    other = await create_unit(registry, kind="district")
    moved = await patch(registry, b["id"], {"parent_id": other["id"]})
    assert moved.status_code == 200, moved.text
    assert (await patch(registry, a["id"], {"parent_id": c["id"]})).status_code == 200  # c is no longer below a


async def test_an_unknown_parent_is_422(registry):
    unit = await create_unit(registry)
    assert field_names(await patch(registry, unit["id"], {"parent_id": str(uuid.uuid4())})) == {"parent_id"}
    created = await registry.post(UNITS, json=unit_body(parent_id=str(uuid.uuid4())))
    assert field_names(created) == {"parent_id"}


async def test_a_taken_code_on_update_is_409(registry):
    first, second = await create_unit(registry), await create_unit(registry)
    response = await patch(registry, second["id"], {"code": first["code"]})
    assert response.status_code == 409, response.text
    assert (await read(registry, second["id"]))["code"] == second["code"]


# --- constraint violations are problems, never raw errors --------------------------------------------------------

def _databases() -> list[str]:
    return ["sqlite+aiosqlite://"] + ([postgres_base()] if postgres_base() else [])


# A units table with one more rule (a CHECK), created as a temporary table of the test's own connection.
UNITS_DDL = ("CREATE TEMPORARY TABLE units (id varchar(36) PRIMARY KEY, code varchar(64) UNIQUE, "
             "name varchar(200) NOT NULL, kind varchar(20) CHECK (kind <> 'nowhere'), "
             "parent_id varchar(36) REFERENCES units(id), created_at timestamp, updated_at timestamp)")


@pytest.mark.parametrize("url", _databases())
async def test_every_integrity_error_becomes_a_409_or_422_problem(url):
    """The database's own words for each kind of violation, translated (never handed back as the raw error)."""
    row = {"code": "U-1", "name": "城关镇", "kind": "town", "parent_id": None}
    cases = {"unique": {}, "foreign key": {"code": "U-2", "parent_id": "missing"},
             "not null": {"code": "U-3", "name": None}, "other": {"code": "U-4", "kind": "nowhere"}}
    found = {}
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                await conn.execute(text("PRAGMA foreign_keys=ON"))
            await conn.execute(text(UNITS_DDL))
            await conn.execute(insert(Unit.__table__).values(id=str(uuid.uuid4()), **row))
            await conn.commit()
            for case, values in cases.items():
                try:
                    await conn.execute(insert(Unit.__table__).values(id=str(uuid.uuid4()), **{**row, **values}))
                except IntegrityError as exc:
                    found[case] = exc
                finally:
                    await conn.rollback()
    finally:
        await engine.dispose()
    assert set(found) == set(cases)
    problems = {k: integrity_problem(e, unique="unit code", reference_field="parent_id") for k, e in found.items()}
    assert isinstance(problems["unique"], Conflict) and "unit code" in problems["unique"].detail
    assert isinstance(problems["foreign key"], Invalid) and problems["foreign key"].errors[0]["field"] == "parent_id"
    assert isinstance(problems["not null"], Invalid) and problems["not null"].errors == [
        {"field": "name", "message": "cannot be null"}]
    assert isinstance(problems["other"], Conflict) and problems["other"].status == 409


async def test_two_concurrent_moves_cannot_make_a_cycle(registry):
    """A under B and B under A at the same time: one of them wins, the other sees the cycle."""
    for _ in range(5):
        a, b = await create_unit(registry, kind="district"), await create_unit(registry, kind="district")
        first, second = await asyncio.gather(patch(registry, a["id"], {"parent_id": b["id"]}),
                                             patch(registry, b["id"], {"parent_id": a["id"]}))
        assert sorted([first.status_code, second.status_code]) == [200, 422], (first.text, second.text)
        parents = {(await read(registry, u["id"]))["parent_id"] for u in (a, b)}
        assert None in parents
