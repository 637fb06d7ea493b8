"""Projects: strict validation, ETag/If-Match updates, history, archive, listing with filters and cursors."""
import base64
import json
import uuid
from datetime import datetime
from decimal import Decimal

import pytest

from contracts.registry import ProjectArchived, ProjectRegistered, ProjectUpdated
from tests.support.api import client, eventually
from tests.support.factories import create_project, create_unit, project_body


@pytest.fixture
async def unit(registry):
    return await create_unit(registry)


async def test_create_derives_sector_and_bracket_and_reads_back_with_etag(registry, unit):
    created = await create_project(registry, unit["id"], category="agriculture", total_investment="500000")
    assert created["sector"] == "primary" and created["bracket"] == "ge_50yi"
    assert created["stage"] == "planning" and created["version"] == 1
    response = await registry.get(f"/api/v1/projects/{created['id']}")
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    explicit = await create_project(registry, unit["id"], category="agriculture", sector="tertiary",
                                    total_investment="99999.99")
    assert explicit["sector"] == "tertiary" and explicit["bracket"] == "1_10yi"


@pytest.mark.parametrize("total, bracket", [("9999.999999", "lt_1yi"), ("10000", "1_10yi"), ("99999.99", "1_10yi"),
                                            ("100000", "10_50yi"), ("499999", "10_50yi"), ("500000", "ge_50yi")])
async def test_bracket_boundaries(registry, unit, total, bracket):
    created = await create_project(registry, unit["id"], total_investment=total, annual_plan_investment="0")
    assert created["bracket"] == bracket


async def test_every_bad_field_is_listed(registry, unit):
    body = project_body(unit["id"], total_investment="-1", annual_plan_investment="1.0000001", year=1999,
                        level="village", category="mining", planned_start_date="2026-13-01")
    response = await registry.post("/api/v1/projects", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"total_investment", "annual_plan_investment", "year", "level", "category",
                      "planned_start_date"}


async def test_cross_field_rules_are_422_with_fields(registry, unit):
    body = project_body(unit["id"], total_investment="100", annual_plan_investment="101",
                        planned_start_date="2026-05-01", planned_completion_date="2026-04-30", budget="10")
    response = await registry.post("/api/v1/projects", json=body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "annual_plan_investment", "planned_completion_date", "budget"}
    unknown_unit = await registry.post("/api/v1/projects", json=project_body("no-such-unit"))
    assert unknown_unit.status_code == 422
    assert unknown_unit.json()["errors"][0]["field"] == "responsible_unit_id"


async def test_duplicate_code_is_409(registry, unit):
    first = await create_project(registry, unit["id"])
    again = await registry.post("/api/v1/projects", json=project_body(unit["id"], code=first["code"]))
    assert again.status_code == 409


async def test_a_refused_create_stages_no_event(registry, unit, registry_events):
    """The row and its event are one write (one statement on PostgreSQL): a create the database refuses (a taken
    code, a unit gone) announces nothing."""
    taken = await create_project(registry, unit["id"])
    refused = [project_body(unit["id"], code=taken["code"], name="refused: code taken"),
               project_body(str(uuid.uuid4()), name="refused: no such unit")]
    assert [(await registry.post("/api/v1/projects", json=body)).status_code for body in refused] == [409, 422]
    after = await create_project(registry, unit["id"])
    await registry_events.wait_for(ProjectRegistered, subject=after["id"])  # published in order: the refused ones
    names = {event.name for event in await registry_events.all(ProjectRegistered)}  # would be on the topic by now
    assert taken["name"] in names and not names & {body["name"] for body in refused}


async def test_update_needs_if_match_and_rejects_stale_versions(registry, unit, registry_events):
    project = await create_project(registry, unit["id"])
    url = f"/api/v1/projects/{project['id']}"
    assert (await registry.patch(url, json={"name": "改名"})).status_code == 428
    assert (await registry.patch(url, json={"name": "改名"}, headers={"If-Match": "abc"})).status_code == 412
    updated = await registry.patch(url, json={"name": "改名", "annual_plan_investment": "50000"},
                                   headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2 and updated.headers["ETag"] == '"2"'
    stale = await registry.patch(url, json={"name": "再改"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await registry.get(url)).json()["name"] == "改名"
    event = await registry_events.wait_for(ProjectUpdated, subject=project["id"])
    assert event.changed == ["annual_plan_investment", "name"] and event.version == 2


async def test_update_checks_rules_on_the_merged_project(registry, unit):
    project = await create_project(registry, unit["id"], total_investment="1000", annual_plan_investment="500")
    url = f"/api/v1/projects/{project['id']}"
    over = await registry.patch(url, json={"total_investment": "400"}, headers={"If-Match": '"1"'})
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "annual_plan_investment"
    null = await registry.patch(url, json={"name": None}, headers={"If-Match": '"1"'})
    assert null.status_code == 422 and null.json()["errors"][0]["field"] == "name"
    unknown = await registry.patch(url, json={"colour": "red"}, headers={"If-Match": '"1"'})
    assert unknown.status_code == 422
    assert (await registry.get(url)).json()["version"] == 1


async def test_history_records_who_changed_what(registry, unit):
    project = await create_project(registry, unit["id"], owner="甲公司")
    url = f"/api/v1/projects/{project['id']}"
    await registry.patch(url, json={"owner": "乙公司", "name": project["name"]}, headers={"If-Match": '"1"'})
    changes = (await registry.get(f"{url}/history")).json()["items"]
    assert len(changes) == 1
    assert changes[0]["actor"] == "tests" and changes[0]["action"] == "updated"
    assert changes[0]["changes"] == {"owner": {"before": "甲公司", "after": "乙公司"}}


async def test_unit_bound_token_writes_only_its_own_unit(platform, registry, unit):
    other = await create_unit(registry)
    project = await create_project(registry, unit["id"])
    async with client(platform.url("registry"), "projects:write", "projects:read", unit_id=other["id"]) as stranger:
        assert (await stranger.post("/api/v1/projects", json=project_body(unit["id"]))).status_code == 403
        patch = await stranger.patch(f"/api/v1/projects/{project['id']}", json={"name": "x"},
                                     headers={"If-Match": '"1"'})
        assert patch.status_code == 403
        assert (await stranger.get(f"/api/v1/projects/{project['id']}")).status_code == 200
    async with client(platform.url("registry"), "projects:write", unit_id=unit["id"]) as own:
        move_away = await own.patch(f"/api/v1/projects/{project['id']}", json={"responsible_unit_id": other["id"]},
                                    headers={"If-Match": '"1"'})
        assert move_away.status_code == 403


async def test_list_filters_text_search_sort_and_cursor(registry, unit):
    codes = []
    for i, category in enumerate(["industry", "services", "industry", "agriculture", "industry"]):
        created = await create_project(registry, unit["id"], category=category, name=f"滨江{i}号项目",
                                       total_investment=str(1000 * (i + 1)), annual_plan_investment="0")
        codes.append(created["code"])
    base = {"unit_id": unit["id"]}
    industry = (await registry.get("/api/v1/projects", params={**base, "category": "industry"})).json()["items"]
    assert len(industry) == 3
    found = (await registry.get("/api/v1/projects", params={**base, "q": "滨江3"})).json()["items"]
    assert [p["name"] for p in found] == ["滨江3号项目"]
    seen, cursor = [], None
    while True:
        params = {**base, "sort": "-total_investment", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await registry.get("/api/v1/projects", params=params)).json()
        seen += [p["total_investment"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["5000", "4000", "3000", "2000", "1000"]
    bad = await registry.get("/api/v1/projects", params={"cursor": "!!!"})
    assert bad.status_code == 422
    assert (await registry.get("/api/v1/projects", params={"sort": "colour"})).status_code == 422


async def test_archived_project_leaves_lists_and_reports(registry, reports, unit, registry_events):
    kept = await create_project(registry, unit["id"], total_investment="100", annual_plan_investment="0")
    gone = await create_project(registry, unit["id"], total_investment="900", annual_plan_investment="0")
    archived = await registry.post(f"/api/v1/projects/{gone['id']}/archive", json={"reason": "调出清单"})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    listed = (await registry.get("/api/v1/projects", params={"unit_id": unit["id"]})).json()["items"]
    assert [p["id"] for p in listed] == [kept["id"]]
    in_archive = (await registry.get("/api/v1/projects", params={"unit_id": unit["id"], "archived": True})).json()
    assert [p["id"] for p in in_archive["items"]] == [gone["id"]]
    await registry_events.wait_for(ProjectArchived, subject=gone["id"])

    async def only_kept_counted():
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
        return body["project_count"] == 1 and body["total_investment"] == "100"

    await eventually(only_kept_counted, what="archived project dropped from the overview")


async def test_units_update_and_filters(registry):
    parent = await create_unit(registry, kind="district")
    child = await create_unit(registry, parent_id=parent["id"])
    listed = (await registry.get("/api/v1/units", params={"parent_id": parent["id"]})).json()["items"]
    assert [u["id"] for u in listed] == [child["id"]]
    renamed = await registry.patch(f"/api/v1/units/{child['id']}", json={"name": "新城街道", "kind": "street"})
    assert renamed.status_code == 200 and renamed.json()["kind"] == "street"
    assert (await registry.patch(f"/api/v1/units/{child['id']}", json={"parent_id": child["id"]})).status_code == 422
    assert (await registry.post("/api/v1/units", json={"code": parent["code"], "name": "x", "kind": "town"})
            ).status_code == 409
    assert (await registry.get("/api/v1/units/nope")).status_code == 404


# --- updates: nulls, If-Match: *, every bad field in one answer ---------------------------------------------------

async def test_a_null_sector_on_update_is_derived_from_the_category(registry, unit, registry_events):
    project = await create_project(registry, unit["id"], category="agriculture", sector="tertiary")
    url = f"/api/v1/projects/{project['id']}"
    response = await registry.patch(url, json={"sector": None}, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert (response.json()["sector"], response.json()["version"]) == ("primary", 2)
    event = await registry_events.wait_for(ProjectUpdated, subject=project["id"])
    assert event.sector == "primary" and event.changed == ["sector"]
    both = await registry.patch(url, json={"sector": None, "category": "services"}, headers={"If-Match": '"2"'})
    assert both.status_code == 200 and both.json()["sector"] == "tertiary"
    # already the derived sector: nothing to change
    again = await registry.patch(url, json={"sector": None}, headers={"If-Match": '"3"'})
    assert again.status_code == 200 and again.json()["version"] == 3


@pytest.mark.parametrize("field", ["name", "code", "category", "level", "total_investment", "year",
                                   "responsible_unit_id", "government_funded", "tags"])
async def test_a_null_required_field_on_update_is_422_and_changes_nothing(registry, unit, field):
    project = await create_project(registry, unit["id"])
    url = f"/api/v1/projects/{project['id']}"
    response = await registry.patch(url, json={field: None}, headers={"If-Match": '"1"'})
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {field}
    assert (await registry.get(url)).json() == project


async def test_if_match_star_updates_whatever_the_version_and_tags_are_compared_strongly(registry, unit):
    project = await create_project(registry, unit["id"])
    url = f"/api/v1/projects/{project['id']}"
    for version, name in [(2, "第一次"), (3, "第二次")]:
        response = await registry.patch(url, json={"name": name}, headers={"If-Match": "*"})
        assert response.status_code == 200, response.text
        assert response.json()["version"] == version and response.headers["ETag"] == f'"{version}"'
    assert (await registry.patch(url, json={"name": "x"}, headers={"If-Match": '"1", "3"'})).status_code == 200
    assert (await registry.patch(url, json={"name": "y"}, headers={"If-Match": '"1"'})).status_code == 412
    # RFC 9110 §13.1.1: If-Match compares strongly; a weak tag, or a field that is no list of tags, matches nothing
    for bad in ['W/"4"', '"٤"', "**", '"*"', 'W/"4", W/"5"', '"99999999999999999999999"', "4"]:  # ٤: Arabic-Indic 4
        response = await registry.patch(url, json={"name": "y"}, headers={"If-Match": bad.encode()})
        assert response.status_code == 412, (bad, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await registry.get(url)).json()["name"] == "x"


async def test_an_unknown_unit_is_listed_with_the_other_rule_errors(registry, unit):
    nowhere = str(uuid.uuid4())
    body = project_body(nowhere, total_investment="100", annual_plan_investment="101")
    response = await registry.post("/api/v1/projects", json=body)
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"annual_plan_investment", "responsible_unit_id"}
    project = await create_project(registry, unit["id"], total_investment="100", annual_plan_investment="50")
    url = f"/api/v1/projects/{project['id']}"
    response = await registry.patch(url, json={"responsible_unit_id": nowhere, "annual_plan_investment": "200",
                                               "name": None}, headers={"If-Match": '"1"'})
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"annual_plan_investment", "responsible_unit_id",
                                                              "name"}
    assert (await registry.get(url)).json()["version"] == 1


# --- listing: filters, sorts across pages, cursors ---------------------------------------------------------------

async def all_pages(registry, params: dict, *, limit: int) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = await registry.get("/api/v1/projects", params={**params, "limit": limit,
                                                              **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("the pages never end")


async def test_list_filters_by_year_level_sector_and_stage(registry, unit):
    made = {
        "a": await create_project(registry, unit["id"], year=2025, level="provincial", category="industry"),
        "b": await create_project(registry, unit["id"], year=2026, level="provincial", category="services"),
        "c": await create_project(registry, unit["id"], year=2026, level="municipal", category="agriculture"),
        "d": await create_project(registry, unit["id"], year=2026, level="national", category="industry",
                                  sector="tertiary"),
    }
    moved = await registry.post(f"/api/v1/projects/{made['c']['id']}/transitions",
                                json={"to_stage": "signed", "date": "2026-01-05"})
    assert moved.status_code == 200, moved.text

    async def codes(**filters) -> set[str]:
        items = await all_pages(registry, {"unit_id": unit["id"], **filters}, limit=500)
        return {name for name, p in made.items() for i in items if i["id"] == p["id"]}

    assert await codes(year=2026) == {"b", "c", "d"}
    assert await codes(year=2025) == {"a"}
    assert await codes(level="provincial") == {"a", "b"}
    assert await codes(level="national", year=2026) == {"d"}
    assert await codes(sector="secondary") == {"a"}
    assert await codes(sector="tertiary") == {"b", "d"}
    assert await codes(sector="primary") == {"c"}
    assert await codes(stage="signed") == {"c"}
    assert await codes(stage="planning", year=2026) == {"b", "d"}
    assert await codes(stage="started") == set()
    for bad in ({"year": 1999}, {"level": "village"}, {"sector": "quaternary"}, {"stage": "dreaming"}):
        assert (await registry.get("/api/v1/projects", params=bad)).status_code == 422


def expected_order(projects: list[dict], field: str, descending: bool) -> list[str]:
    """Ids in the order the API promises: by the field (NULLs last in both directions), then by id."""
    present = sorted((p for p in projects if p[field] is not None), key=lambda p: (p[field], p["id"]),
                     reverse=descending)
    absent = sorted((p for p in projects if p[field] is None), key=lambda p: p["id"], reverse=descending)
    return [p["id"] for p in present + absent]


@pytest.mark.parametrize("sort", ["planned_start_date", "-planned_start_date", "name", "-name", "created_at",
                                  "-created_at", "code", "total_investment", "-total_investment"])
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_every_sort_pages_each_project_exactly_once(registry, sort, limit):
    unit = await create_unit(registry)
    starts = ["2026-03-01", None, "2026-01-15", None, "2026-03-01", None, "2026-02-01"]
    names = ["delta", "bravo", "alpha", "charlie", "bravo", "echo", "alpha"]
    projects = [await create_project(registry, unit["id"], planned_start_date=start, name=name,
                                     total_investment=str(100 + i % 3), annual_plan_investment="0")
                for i, (start, name) in enumerate(zip(starts, names))]
    field = sort.lstrip("-")
    items = await all_pages(registry, {"unit_id": unit["id"], "sort": sort}, limit=limit)
    ids = [p["id"] for p in items]
    assert len(ids) == len(set(ids)) == len(projects)
    if field == "total_investment":  # money compares as numbers, not as the text the API writes
        projects = [{**p, field: Decimal(p[field])} for p in projects]
    if field == "created_at":
        projects = [{**p, field: datetime.fromisoformat(p[field])} for p in projects]
    assert ids == expected_order(projects, field, sort.startswith("-"))


@pytest.mark.parametrize("sort, values", [
    ("total_investment", ["abc"]), ("total_investment", ["1e30"]), ("total_investment", ["NaN"]),
    ("total_investment", ["Infinity"]), ("total_investment", ["-1e400"]), ("total_investment", [True]),
    ("total_investment", [1.5e300]), ("total_investment", [{"x": 1}]),
    ("planned_start_date", ["2026-02-30"]), ("planned_start_date", [20260101]),
    ("created_at", ["yesterday"]), ("created_at", [[2026, 1, 1]]),
    ("code", [123]), ("code", ["P-1\u0000"]), ("code", [None]),
])
async def test_a_tampered_cursor_is_422(registry, unit, sort, values):
    project = await create_project(registry, unit["id"])
    for cursor_values in ([*values, project["id"]], values, [*values, project["id"], "extra"], {"a": 1},
                          [*values, None]):
        cursor = base64.urlsafe_b64encode(json.dumps(cursor_values).encode()).decode().rstrip("=")
        response = await registry.get("/api/v1/projects", params={"sort": sort, "cursor": cursor})
        assert response.status_code == 422, (cursor_values, response.text)
        assert response.json()["errors"] == [{"field": "cursor", "message": "not a cursor from this request"}]


async def test_a_cursor_of_another_sort_is_422_not_500(registry, unit):
    for _ in range(3):
        await create_project(registry, unit["id"])
    page = (await registry.get("/api/v1/projects", params={"unit_id": unit["id"], "limit": 1})).json()
    assert page["next_cursor"]
    for sort in ("total_investment", "-total_investment", "created_at", "planned_start_date"):
        response = await registry.get("/api/v1/projects", params={"sort": sort, "cursor": page["next_cursor"]})
        assert response.status_code == 422, (sort, response.text)
