"""Categories extensible by configuration (KP_EXTRA_CATEGORIES): a registry instance of its own on the session broker
accepts them with their sector, rejects the others listing what it accepts, and the session's milestones, alerts and
reports take its projects like any other."""
import json

import pytest

from contracts.registry import Category, ProjectRegistered
from tests.alerts.facts import known
from tests.registry.conftest import YEAR, field_names, published
from tests.registry.test_import import csv_file, row, upload
from tests.support.api import client, eventually
from tests.support.factories import create_project, create_unit, project_body

EXTRA = {"tourism": "tertiary", "mining": "secondary"}
BUILTIN = ", ".join(Category)


@pytest.fixture(scope="module")
def configured_registry(platform):
    with platform.configured("registry", "registry_extra_categories", {"KP_EXTRA_CATEGORIES": json.dumps(EXTRA)}) as url:
        yield url


@pytest.fixture
async def configured(configured_registry):
    async with client(configured_registry) as http:
        yield http


@pytest.fixture
async def unit(configured):
    return await create_unit(configured)


def category_message(response) -> str:
    assert field_names(response) == {"category"}
    [error] = response.json()["errors"]
    return error["message"]


async def test_a_configured_category_is_accepted_with_its_sector_and_announced(configured, unit, registry_events):
    tourism = await create_project(configured, unit["id"], category="tourism")
    assert (tourism["category"], tourism["sector"]) == ("tourism", "tertiary")
    explicit = await create_project(configured, unit["id"], category="mining", sector="primary")
    assert (explicit["category"], explicit["sector"]) == ("mining", "primary")
    [event] = await published(registry_events, ProjectRegistered, tourism["id"])
    assert (event.category, event.sector) == ("tourism", "tertiary")

    moved = await configured.patch(f"/api/v1/projects/{tourism['id']}", json={"category": "mining"},
                                   headers={"If-Match": "*"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["category"], moved.json()["sector"]) == ("mining", "secondary")
    listed = await configured.get("/api/v1/projects", params={"unit_id": unit["id"], "category": "mining"})
    assert {p["id"] for p in listed.json()["items"]} == {tourism["id"], explicit["id"]}


async def test_an_unknown_category_is_422_listing_the_accepted_ones(configured, unit):
    accepted = f"accepted: {BUILTIN}, tourism, mining"
    created = await configured.post("/api/v1/projects", json=project_body(unit["id"], category="fishery"))
    assert category_message(created) == f"unknown category 'fishery'; {accepted}"
    project = await create_project(configured, unit["id"], category="tourism")
    updated = await configured.patch(f"/api/v1/projects/{project['id']}", json={"category": "Tourism"},
                                     headers={"If-Match": "*"})
    assert category_message(updated) == f"unknown category 'Tourism'; {accepted}"
    listed = await configured.get("/api/v1/projects", params={"category": "fishery"})
    assert category_message(listed) == f"unknown category 'fishery'; {accepted}"
    documented = (await configured.get("/openapi.json")).json()["components"]["schemas"]["ProjectCreate"]
    assert documented["properties"]["category"]["enum"] == [*Category, *EXTRA]


async def test_the_import_takes_a_configured_category_and_reports_an_unknown_one(configured, unit):
    good, bad = row(unit["code"], category="tourism"), row(unit["code"], category="fishery")
    refused = await upload(configured, csv_file([good, bad]))
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["field"], e["message"]) for e in refused.json()["errors"]] == [
        (3, "category", f"unknown category 'fishery'; accepted: {BUILTIN}, tourism, mining")]
    partial = await upload(configured, csv_file([good, bad]), mode="partial")
    assert (partial.json()["created"], partial.json()["failed"]) == (1, 1)
    [imported] = (await configured.get("/api/v1/projects", params={"unit_id": unit["id"]})).json()["items"]
    assert (imported["code"], imported["category"], imported["sector"]) == (good["code"], "tourism", "tertiary")


async def test_a_registry_without_configuration_accepts_only_the_builtin_ones(registry):
    unit = await create_unit(registry)
    response = await registry.post("/api/v1/projects", json=project_body(unit["id"], category="tourism"))
    assert category_message(response) == f"unknown category 'tourism'; accepted: {BUILTIN}"


async def test_a_configured_category_gets_a_schedule_an_alerts_status_and_its_own_report_group(
        configured, unit, milestones, alerts, reports):
    project = await create_project(configured, unit["id"], category="tourism", year=YEAR,
                                   planned_completion_date=f"{YEAR + 2}-06-30")
    # No built-in template and none configured for it in milestones: the generic default, the industrial one.
    schedule = {}

    async def scheduled():
        response = await milestones.get(f"/api/v1/projects/{project['id']}/schedule")
        schedule.update(response.json() if response.status_code == 200 else {})
        return bool(schedule)

    await eventually(scheduled, timeout=60, what="the tourism project scheduled")
    assert schedule["template"] == "industrial" and schedule["milestones"]
    assert (await known(alerts, project["id"]))["version"] == 1

    params = {"year": YEAR, "unit_id": unit["id"]}

    async def counted():
        overview = (await reports.get("/api/v1/overview", params=params)).json()
        return overview["project_count"] == 1

    await eventually(counted, timeout=60, what="the tourism project in the overview")
    overview = (await reports.get("/api/v1/overview", params=params)).json()
    assert overview["by_category"]["tourism"]["label"] == "tourism"
    assert overview["by_category"]["tourism"]["count"] == 1 and overview["by_sector"]["tertiary"]["count"] == 1
    breakdown = (await reports.get("/api/v1/breakdowns", params={**params, "by": "category"})).json()
    groups = {g["key"]: (g["label"], g["project_count"]) for g in breakdown["groups"]}
    assert groups["tourism"] == ("tourism", 1) and groups["industry"] == ("工业", 0)
    listed = (await reports.get("/api/v1/projects", params={**params, "category": "tourism"})).json()["items"]
    assert [p["id"] for p in listed] == [project["id"]]
