"""A unit-bound token writes only its own unit's records, and every reference a write takes must be its own too:
not only the record written, but the project, unit or parcel it names."""
from contracts.registry import ParcelRegistered, ParcelUpdated
from tests.support.api import client
from tests.support.factories import code, create_project, create_unit


def parcel(unit_id: str, **overrides) -> dict:
    return {"code": code("DK"), "area_mu": "12.5", "unit_id": unit_id, "start_deadline": "2026-03-01", **overrides}


async def test_a_parcel_cannot_be_linked_to_another_units_project(platform, registry, registry_events):
    """Seen: a token of unit B linked a parcel to unit A's project (201), and A's project turned red (idle parcel)."""
    a, b = await create_unit(registry), await create_unit(registry)
    a_project = await create_project(registry, a["id"])
    b_project = await create_project(registry, b["id"])
    async with client(platform.url("registry"), "projects:write", unit_id=b["id"]) as unit_b:
        linked = await unit_b.post("/api/v1/parcels", json=parcel(b["id"], project_id=a_project["id"]))
        assert linked.status_code == 403, linked.text
        assert linked.headers["content-type"] == "application/problem+json"
        mine = await unit_b.post("/api/v1/parcels", json=parcel(b["id"], project_id=b_project["id"]))
        assert mine.status_code == 201, mine.text
        relinked = await unit_b.patch(f"/api/v1/parcels/{mine.json()['id']}", json={"project_id": a_project["id"]})
        assert relinked.status_code == 403, relinked.text
    listed = (await registry.get("/api/v1/parcels", params={"project_id": a_project["id"]})).json()["items"]
    assert listed == []
    current = (await registry.get(f"/api/v1/parcels/{mine.json()['id']}")).json()
    assert current["project_id"] == b_project["id"]
    for model in (ParcelRegistered, ParcelUpdated):
        assert [e for e in await registry_events.all(model) if e.project_id == a_project["id"]] == []


async def test_the_office_may_link_any_units_parcel_to_any_project(registry):
    a, park = await create_unit(registry), await create_unit(registry, kind="park")
    a_project = await create_project(registry, a["id"])
    linked = await registry.post("/api/v1/parcels", json=parcel(park["id"], project_id=a_project["id"]))
    assert linked.status_code == 201, linked.text


async def test_a_project_cannot_be_moved_to_or_created_for_another_unit(platform, registry):
    a, b = await create_unit(registry), await create_unit(registry)
    async with client(platform.url("registry"), "projects:write", unit_id=b["id"]) as unit_b:
        body = {"code": code("X"), "name": "跨单位", "year": 2026, "category": "industry", "total_investment": "10",
                "annual_plan_investment": "1", "responsible_unit_id": a["id"]}
        assert (await unit_b.post("/api/v1/projects", json=body)).status_code == 403
        mine = await unit_b.post("/api/v1/projects", json={**body, "responsible_unit_id": b["id"]})
        assert mine.status_code == 201
        moved = await unit_b.patch(f"/api/v1/projects/{mine.json()['id']}", headers={"If-Match": "*"},
                                   json={"responsible_unit_id": a["id"]})
        assert moved.status_code == 403
