"""KP_CATEGORY_TEMPLATES: a custom template as a category's default, on a milestones instance of its own (own broker,
so the schedules it generates reach no other service) fed registry events directly; categories a registry was
configured with (KP_EXTRA_CATEGORIES) get the template named for them, else the generic one."""
import json

import pytest

from contracts import topics
from tests.milestones.flows import PARALLEL_NODES, WAIT, unique_key
from tests.support.api import client, eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce_events
from tests.support.platform import own_platform

CUSTOM = unique_key("social-parallel")


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    # social and the configured tourism → a custom template; agriculture → one that does not exist; the other
    # categories, and the configured mining, are left out.
    with own_platform(tmp_path_factory.mktemp("milestones-category-templates"), {"milestones": {
            "KP_CATEGORY_TEMPLATES": json.dumps({"social": CUSTOM, "agriculture": "no-such-template",
                                                 "tourism": CUSTOM})}}) as platform:
        yield platform


async def default_for(milestones) -> dict[str, list[str]]:
    response = await milestones.get("/api/v1/templates", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {t["key"]: t["default_for"] for t in response.json()["items"] if t["default_for"]}


async def test_a_custom_template_becomes_its_categorys_default(configured):
    async with client(configured.url("milestones")) as milestones:
        # Until the configured template exists, its category keeps the built-in one (tourism, without one, the
        # generic industrial one); so does a missing template's.
        assert await default_for(milestones) == {"industrial": ["industry", "manufacturing", "tourism"],
                                                 "infrastructure": ["infrastructure"], "services": ["services"],
                                                 "agriculture": ["agriculture"], "social": ["social"]}
        created = await milestones.post("/api/v1/templates", json={"key": CUSTOM, "name": "社会事业（并行）",
                                                                   "category": "social", "nodes": PARALLEL_NODES})
        assert created.status_code == 201, created.text
        assert created.json()["default_for"] == ["social", "tourism"]
        assert await default_for(milestones) == {"industrial": ["industry", "manufacturing"],
                                                 "infrastructure": ["infrastructure"], "services": ["services"],
                                                 "agriculture": ["agriculture"], CUSTOM: ["social", "tourism"]}
        assert (await milestones.get("/api/v1/templates/social")).json()["default_for"] == []
        assert (await milestones.get(f"/api/v1/templates/{CUSTOM}")).json()["default_for"] == ["social", "tourism"]
        unit_id = unique_key("unit")
        registered = {category: project_registered(unit_id, category=category,
                                                   planned_completion_date="2027-06-30")
                      for category in ("social", "agriculture", "manufacturing", "tourism", "mining")}
        await produce_events(configured.broker.bootstrap, topics.REGISTRY, list(registered.values()))
        found = {}

        async def scheduled():
            for category, event in registered.items():
                response = await milestones.get(f"/api/v1/projects/{event.subject}/schedule")
                if response.status_code == 200:
                    found[category] = response.json()
            return len(found) == len(registered)

        await eventually(scheduled, timeout=WAIT, what="the five projects scheduled")
        assert {category: body["template"] for category, body in found.items()} == {
            "social": CUSTOM, "agriculture": "agriculture", "manufacturing": "industrial", "tourism": CUSTOM,
            "mining": "industrial"}
        assert {n["key"] for n in found["social"]["milestones"]} == {n["key"] for n in PARALLEL_NODES}
        # A request without a template takes the category's configured default as well.
        again = await milestones.post(f"/api/v1/projects/{registered['social'].subject}/schedule",
                                      json={"anchor_date": "2027-12-31", "reason": "目标调整"})
        assert again.status_code == 201, again.text
        assert again.json()["template"] == CUSTOM
