"""Land parcels: registration, validation, filters (idle ones), updates, the linked project's start, and events."""
import asyncio
from datetime import date

import pytest

from contracts.registry import ParcelRegistered, ParcelUpdated
from kit.auth import Principal
from kit.db import make_engine, make_sessionmaker
from services.registry.lifecycle.schemas import TransitionRequest
from services.registry.lifecycle.service import transition
from services.registry.models import Project
from services.registry.parcels.service import announce_parcels_of_project
from tests.registry.conftest import published, TODAY, YEAR, field_names, start_project
from tests.support.api import client
from tests.support.factories import code, create_project, create_unit

LAST_YEAR = YEAR - 1


def parcel_body(unit_id: str, /, **overrides) -> dict:
    return {"code": code("PL"), "location": "城东工业园 3 号地块", "area_mu": "56.25",
            "sale_date": f"{LAST_YEAR}-01-10", "delivery_date": f"{LAST_YEAR}-02-01",
            "start_deadline": f"{LAST_YEAR}-08-01", "unit_id": unit_id, **overrides}


async def create_parcel(registry, unit_id: str, /, **overrides) -> dict:
    response = await registry.post("/api/v1/parcels", json=parcel_body(unit_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def unit(registry):
    return await create_unit(registry)


@pytest.fixture
async def project(registry, unit):
    return await create_project(registry, unit["id"], year=LAST_YEAR)


# --- registering -------------------------------------------------------------------------------------------------

async def test_a_parcel_is_registered_read_and_announced(registry, unit, registry_events):
    body = parcel_body(unit["id"], area_mu="56.2500")
    response = await registry.post("/api/v1/parcels", json=body)
    assert response.status_code == 201, response.text
    parcel = response.json()
    assert {k: parcel[k] for k in body} == {**body, "area_mu": "56.25"}
    assert parcel["project_id"] is None and parcel["started_date"] is None
    assert (await registry.get(f"/api/v1/parcels/{parcel['id']}")).json() == parcel

    [event] = await published(registry_events, ParcelRegistered, parcel["id"])
    assert event == ParcelRegistered(
        id=parcel["id"], code=body["code"], location=body["location"], area_mu="56.25",
        sale_date=date(LAST_YEAR, 1, 10), delivery_date=date(LAST_YEAR, 2, 1), start_deadline=date(LAST_YEAR, 8, 1),
        project_id=None, unit_id=unit["id"], started_date=None)


async def test_only_code_area_deadline_and_unit_are_required(registry, unit):
    body = {"code": code("PL"), "area_mu": "10", "start_deadline": f"{YEAR}-12-31", "unit_id": unit["id"]}
    parcel = (await registry.post("/api/v1/parcels", json=body)).json()
    assert parcel["area_mu"] == "10" and parcel["location"] is None and parcel["sale_date"] is None


async def test_a_parcel_on_a_started_project_takes_its_start_date(registry, unit, project, registry_events):
    await start_project(registry, project["id"], on=date(LAST_YEAR, 3, 1), confirm=False)
    parcel = await create_parcel(registry, unit["id"], project_id=project["id"])
    assert parcel["project_id"] == project["id"] and parcel["started_date"] == f"{LAST_YEAR}-03-01"
    [event] = await published(registry_events, ParcelRegistered, parcel["id"])
    assert event.started_date == date(LAST_YEAR, 3, 1) and event.project_id == project["id"]


async def test_the_same_idempotency_key_registers_once(registry, unit):
    body = parcel_body(unit["id"])
    first = await registry.post("/api/v1/parcels", json=body, headers={"Idempotency-Key": "parcel-key-1"})
    again = await registry.post("/api/v1/parcels", json=body, headers={"Idempotency-Key": "parcel-key-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await registry.post("/api/v1/parcels", json=parcel_body(unit["id"]),
                                headers={"Idempotency-Key": "parcel-key-1"})
    assert other.status_code == 422  # reused with another body


async def test_a_parcel_code_is_unique(registry, unit):
    taken = await create_parcel(registry, unit["id"])
    response = await registry.post("/api/v1/parcels", json=parcel_body(unit["id"], code=taken["code"]))
    assert response.status_code == 409 and response.json()["type"].endswith("/conflict")


@pytest.mark.parametrize("overrides, fields", [
    ({"area_mu": "0"}, {"area_mu"}),
    ({"area_mu": "-3"}, {"area_mu"}),
    ({"area_mu": "1.00001"}, {"area_mu"}),
    ({"area_mu": "12345678901.5"}, {"area_mu"}),
    ({"area_mu": "lots"}, {"area_mu"}),
    ({"code": ""}, {"code"}),
    ({"code": "地块 1"}, {"code"}),
    ({"location": "x" * 301}, {"location"}),
    ({"sale_date": "2025-02-30"}, {"sale_date"}),
    ({"start_deadline": None}, {"start_deadline"}),
    ({"unit_id": None}, {"unit_id"}),
    ({"project_id": 7}, {"project_id"}),
    ({"owner": "x"}, {"owner"}),
    ({"start_deadline": f"{LAST_YEAR}-01-31"}, {"start_deadline"}),
    ({"delivery_date": f"{LAST_YEAR}-01-01"}, {"delivery_date"}),
    ({"delivery_date": f"{LAST_YEAR}-01-01", "start_deadline": f"{LAST_YEAR}-01-01"}, {"delivery_date"}),
    ({"delivery_date": f"{LAST_YEAR}-09-01"}, {"start_deadline"}),
    ({"unit_id": "no-such-unit"}, {"unit_id"}),
    ({"project_id": "no-such-project"}, {"project_id"}),
    ({"unit_id": "no-such-unit", "project_id": "no-such-project", "start_deadline": f"{LAST_YEAR}-01-01"},
     {"unit_id", "project_id", "start_deadline"}),
])
async def test_a_bad_parcel_is_422_naming_each_field(registry, unit, overrides, fields):
    response = await registry.post("/api/v1/parcels", json=parcel_body(unit["id"], **overrides))
    assert field_names(response) == fields


async def test_the_deadline_may_be_the_delivery_day(registry, unit):
    parcel = await create_parcel(registry, unit["id"], start_deadline=f"{LAST_YEAR}-02-01")
    assert parcel["start_deadline"] == parcel["delivery_date"]


async def test_an_archived_project_cannot_be_linked(registry, unit, project):
    await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出"})
    response = await registry.post("/api/v1/parcels", json=parcel_body(unit["id"], project_id=project["id"]))
    assert field_names(response) == {"project_id"}


# --- reading and filtering ---------------------------------------------------------------------------------------

async def test_parcels_are_listed_by_unit_and_project_a_page_at_a_time(registry, unit, project):
    other = await create_unit(registry)
    mine = [await create_parcel(registry, unit["id"], code=f"{code('PL')}-{i}") for i in range(3)]
    linked = await create_parcel(registry, unit["id"], project_id=project["id"])
    await create_parcel(registry, other["id"])

    first = (await registry.get("/api/v1/parcels", params={"unit_id": unit["id"], "limit": 3})).json()
    rest = (await registry.get("/api/v1/parcels", params={"unit_id": unit["id"], "limit": 3,
                                                          "cursor": first["next_cursor"]})).json()
    listed = [p["id"] for p in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(p["id"] for p in [*mine, linked]) and rest["next_cursor"] is None
    codes = [p["code"] for p in first["items"] + rest["items"]]
    assert codes == sorted(codes)
    by_project = (await registry.get("/api/v1/parcels", params={"project_id": project["id"]})).json()["items"]
    assert [p["id"] for p in by_project] == [linked["id"]]


async def test_idle_parcels_are_past_their_deadline_and_not_started_by_then(registry, unit):
    early = await create_project(registry, unit["id"], year=LAST_YEAR)
    late = await create_project(registry, unit["id"], year=LAST_YEAR)
    waiting = await create_project(registry, unit["id"], year=LAST_YEAR)
    await start_project(registry, early["id"], on=date(LAST_YEAR, 3, 1), confirm=False)
    await start_project(registry, late["id"], on=date(LAST_YEAR, 9, 1), confirm=False)
    deadline = f"{LAST_YEAR}-05-01"
    unlinked = await create_parcel(registry, unit["id"], start_deadline=deadline)
    started_in_time = await create_parcel(registry, unit["id"], start_deadline=deadline, project_id=early["id"])
    started_late = await create_parcel(registry, unit["id"], start_deadline=deadline, project_id=late["id"])
    not_started = await create_parcel(registry, unit["id"], start_deadline=deadline, project_id=waiting["id"])
    not_yet_due = await create_parcel(registry, unit["id"], start_deadline=f"{LAST_YEAR}-07-01")
    due_that_day = await create_parcel(registry, unit["id"], start_deadline=f"{LAST_YEAR}-06-30")

    async def idle(as_of: str) -> set[str]:
        response = await registry.get("/api/v1/parcels", params={"unit_id": unit["id"], "idle_as_of": as_of})
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert await idle(f"{LAST_YEAR}-06-30") == {unlinked["id"], started_late["id"], not_started["id"]}
    assert await idle(f"{LAST_YEAR}-09-01") == {unlinked["id"], not_started["id"], not_yet_due["id"],
                                                due_that_day["id"]}
    assert await idle(f"{LAST_YEAR}-05-01") == set()
    assert started_in_time["started_date"] == f"{LAST_YEAR}-03-01"
    assert field_names(await registry.get("/api/v1/parcels", params={"idle_as_of": "soon"})) == {"idle_as_of"}


async def test_an_unknown_parcel_is_404(registry):
    assert (await registry.get("/api/v1/parcels/nope")).status_code == 404
    assert (await registry.patch("/api/v1/parcels/nope", json={"location": "x"})).status_code == 404


# --- updating ----------------------------------------------------------------------------------------------------

async def test_an_update_changes_the_fields_sent_and_is_announced(registry, unit, project, registry_events):
    parcel = await create_parcel(registry, unit["id"])
    await start_project(registry, project["id"], on=date(LAST_YEAR, 4, 1), confirm=False)
    response = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={
        "location": "城东工业园 3-1 号地块", "area_mu": "60", "project_id": project["id"]})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["location"] == "城东工业园 3-1 号地块" and updated["area_mu"] == "60"
    assert updated["project_id"] == project["id"] and updated["started_date"] == f"{LAST_YEAR}-04-01"
    assert updated["code"] == parcel["code"] and updated["start_deadline"] == parcel["start_deadline"]

    unlinked = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"project_id": None,
                                                                            "sale_date": None})
    assert unlinked.json()["project_id"] is None and unlinked.json()["started_date"] is None
    assert unlinked.json()["sale_date"] is None

    linked, cleared = await published(registry_events, ParcelUpdated, parcel["id"], count=2)
    assert linked.project_id == project["id"] and linked.started_date == date(LAST_YEAR, 4, 1)
    assert str(linked.area_mu) == "60" and linked.location == "城东工业园 3-1 号地块"
    assert cleared.project_id is None and cleared.started_date is None and cleared.sale_date is None


async def test_an_update_that_changes_nothing_is_not_announced(registry, unit, registry_events):
    parcel = await create_parcel(registry, unit["id"])
    same = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"area_mu": "56.250",
                                                                         "location": parcel["location"]})
    assert same.status_code == 200 and same.json() == parcel
    await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"location": "新位置"})
    [updated] = await published(registry_events, ParcelUpdated, parcel["id"])  # the no-op would come before it
    assert updated.location == "新位置"
    assert len(await registry_events.all(ParcelRegistered, subject=parcel["id"])) == 1


@pytest.mark.parametrize("change, fields", [
    ({"code": None}, {"code"}),
    ({"area_mu": None}, {"area_mu"}),
    ({"start_deadline": None, "unit_id": None}, {"start_deadline", "unit_id"}),
    ({"area_mu": "0"}, {"area_mu"}),
    ({"start_deadline": f"{LAST_YEAR}-01-15"}, {"start_deadline"}),
    ({"delivery_date": f"{LAST_YEAR}-12-01"}, {"start_deadline"}),
    ({"sale_date": f"{LAST_YEAR}-03-01"}, {"delivery_date"}),
    ({"project_id": "no-such-project"}, {"project_id"}),
    ({"unit_id": "no-such-unit"}, {"unit_id"}),
    ({"id": "mine"}, {"id"}),
    ({"started_date": f"{LAST_YEAR}-01-01"}, {"started_date"}),
])
async def test_a_bad_update_is_422_naming_each_field(registry, unit, change, fields):
    parcel = await create_parcel(registry, unit["id"])
    response = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json=change)
    assert field_names(response) == fields
    assert (await registry.get(f"/api/v1/parcels/{parcel['id']}")).json() == parcel


async def test_an_update_to_a_taken_code_is_409(registry, unit):
    taken = await create_parcel(registry, unit["id"])
    parcel = await create_parcel(registry, unit["id"])
    response = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"code": taken["code"]})
    assert response.status_code == 409


async def test_a_parcel_moves_to_another_unit(registry, unit):
    other = await create_unit(registry)
    parcel = await create_parcel(registry, unit["id"])
    moved = await registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"unit_id": other["id"]})
    assert moved.status_code == 200 and moved.json()["unit_id"] == other["id"]


# --- who may write -----------------------------------------------------------------------------------------------

async def test_a_unit_bound_token_writes_only_its_own_units_parcels(platform, registry, unit):
    other = await create_unit(registry)
    theirs = await create_parcel(registry, other["id"])
    async with client(platform.url("registry"), "projects:write", unit_id=unit["id"]) as own:
        mine = await own.post("/api/v1/parcels", json=parcel_body(unit["id"]))
        assert mine.status_code == 201, mine.text
        assert (await own.post("/api/v1/parcels", json=parcel_body(other["id"]))).status_code == 403
        assert (await own.patch(f"/api/v1/parcels/{theirs['id']}", json={"location": "x"})).status_code == 403
        moving = await own.patch(f"/api/v1/parcels/{mine.json()['id']}", json={"unit_id": other["id"]})
        assert moving.status_code == 403
        assert (await own.patch(f"/api/v1/parcels/{mine.json()['id']}", json={"location": "x"})).status_code == 200


async def test_reading_and_writing_need_their_scopes(platform, unit):
    async with client(platform.url("registry"), "projects:read") as reader:
        assert (await reader.post("/api/v1/parcels", json=parcel_body(unit["id"]))).status_code == 403
        assert (await reader.get("/api/v1/parcels")).status_code == 200
    async with client(platform.url("registry"), "projects:write") as writer:
        assert (await writer.get("/api/v1/parcels")).status_code == 403
        assert (await writer.post("/api/v1/parcels", json=parcel_body(unit["id"]))).status_code == 201
    async with client(platform.url("registry"), auth=False) as anonymous:
        assert (await anonymous.get("/api/v1/parcels")).status_code == 401


# --- the linked project's start ----------------------------------------------------------------------------------

async def test_announcing_the_parcels_of_a_started_project(platform, registry, unit, project, registry_events):
    first = await create_parcel(registry, unit["id"], project_id=project["id"])
    second = await create_parcel(registry, unit["id"], project_id=project["id"])
    await create_parcel(registry, unit["id"])
    await start_project(registry, project["id"], on=date(LAST_YEAR, 6, 1), confirm=False)

    # what the lifecycle does after a start, run in a transaction of our own against the service's database
    engine = make_engine(platform.services["registry"].env["KP_DATABASE_URL"])
    try:
        async with make_sessionmaker(engine)() as session:
            started = await session.get(Project, project["id"])
            announced = await announce_parcels_of_project(session, started.id, started.stage_dates)
            await session.commit()
    finally:
        await engine.dispose()

    assert announced == 2
    for parcel in (first, second):
        events = await published(registry_events, ParcelUpdated, parcel["id"])
        assert events[-1].started_date == date(LAST_YEAR, 6, 1) and events[-1].project_id == project["id"]
        assert events[-1].code == parcel["code"] and str(events[-1].area_mu) == "56.25"


async def test_the_start_of_a_linked_project_re_announces_its_parcels(registry, unit, project, registry_events):
    parcel = await create_parcel(registry, unit["id"], project_id=project["id"])
    await start_project(registry, project["id"], on=date(LAST_YEAR, 6, 1), confirm=False)
    [event] = await published(registry_events, ParcelUpdated, parcel["id"], timeout=5)
    assert event.started_date == date(LAST_YEAR, 6, 1)


async def test_a_parcel_update_racing_its_projects_start_announces_the_new_start(platform, registry, unit, project,
                                                                                registry_events):
    """A transition locks the project's parcels while it re-announces them: a parcel PATCH meanwhile waits, then
    reads the committed start, so the last event about the parcel never carries the stale one."""
    parcel = await create_parcel(registry, unit["id"], project_id=project["id"])
    start = date(LAST_YEAR, 6, 1)
    request = TransitionRequest(to_stage="started", date=start, skipped_dates={"signed": start, "land_supplied": start})
    admin = Principal(subject="tests", scopes=frozenset({"admin"}), unit_id=None)
    engine = make_engine(platform.services["registry"].env["KP_DATABASE_URL"])
    try:
        async with make_sessionmaker(engine)() as session:
            moved = await transition(session=session, project_id=project["id"], request=request, principal=admin,
                                     today=TODAY)
            assert moved["stage"] == "started"
            patch = asyncio.create_task(registry.patch(f"/api/v1/parcels/{parcel['id']}", json={"location": "新址"}))
            await asyncio.sleep(1.5)
            assert not patch.done(), "the parcel update did not wait for the transition"
            await session.commit()
        response = await patch
    finally:
        await engine.dispose()
    assert response.status_code == 200, response.text
    assert (response.json()["location"], response.json()["started_date"]) == ("新址", start.isoformat())
    events = await published(registry_events, ParcelUpdated, parcel["id"], count=2)
    assert [(e.location, e.started_date) for e in events] == [(parcel["location"], start), ("新址", start)]
