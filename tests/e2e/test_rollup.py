"""District to city roll-up (纵向报送): two districts run their own platforms and a city's reports reads their events
on one broker, without sharing a database. Each district names its topics and its events' source by its own code
(KP_TOPIC_PREFIX, KP_EVENT_SOURCE_PREFIX); the city lists them in KP_ROLLUP_DISTRICTS.

The city's totals are the sum of the districts'; the same project code in both districts stays two projects; a
district's restart, its outbox published again from the start, and a rebuild of the city's read models count
nothing twice; an event on a district's topic that claims another source is refused."""
import json
from decimal import Decimal

import pytest

from contracts import topics
from contracts.envelope import new_event
from contracts.registry import UnitCreated
from tests.support.api import client, eventually
from tests.support.databases import execute, query
from tests.support.factories import create_project, create_unit
from tests.support.kafka import produce_events
from tests.support.metrics import metric
from tests.support.platform import own_platform

SLOW = 90.0
DISTRICTS = {"a": ("上城区", "/keyproject/330102", "keyproject.330102"),
             "b": ("拱墅区", "/keyproject/330105", "keyproject.330105")}
CITY_SOURCE = "/keyproject/330100"


@pytest.fixture(scope="module")
def platforms(tmp_path_factory):
    with own_platform(tmp_path_factory.mktemp("rollup"), {}) as running:
        for key, (_name, source, prefix) in DISTRICTS.items():
            running.start_service("registry", instance=f"registry-{key}",
                                  extra_env={"KP_EVENT_SOURCE_PREFIX": source, "KP_TOPIC_PREFIX": prefix})
        districts = [{"name": name, "source": source, "topic_prefix": prefix}
                     for name, source, prefix in DISTRICTS.values()]
        running.start_service("reports", instance="reports-city", extra_env={
            "KP_EVENT_SOURCE_PREFIX": CITY_SOURCE, "KP_ROLLUP_DISTRICTS": json.dumps(districts, ensure_ascii=False),
            "KP_SNAPSHOT_CHECK_SECONDS": "3600"})
        yield running


async def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def _district(url: str, plans: list[str], reported: list[str]) -> list[dict]:
    """A town with one project per plan (the first of each district coded alike), each with May's investment."""
    async with client(url) as office:
        town = await create_unit(office, name="城关镇")
        projects = []
        for i, (plan, amount) in enumerate(zip(plans, reported)):
            extra = {"code": "2026-001"} if i == 0 else {}
            project = await create_project(office, town["id"], annual_plan_investment=plan, **extra)
            await _ok(await office.put(f"/api/v1/projects/{project['id']}/investments/2026-05",
                                       json={"amount": amount}), 201)
            projects.append(project)
        return projects


def _money(value) -> Decimal:
    return Decimal(str(value))


async def test_the_city_sees_each_district_and_their_sum(platforms):
    a = await _district(platforms.url("registry-a"), ["10000", "20000", "30000"], ["1000", "5000", "9000"])
    b = await _district(platforms.url("registry-b"), ["40000", "8000"], ["4000", "8000"])
    async with client(platforms.url("reports-city")) as city:
        async def all_in():
            body = await _ok(await city.get("/api/v1/rollup", params={"year": 2026}))
            return body["total"]["ytd_investment"] is not None and _money(body["total"]["ytd_investment"]) == 27000

        await eventually(all_in, timeout=SLOW, what="both districts' projects and investments at the city")
        rollup = await _ok(await city.get("/api/v1/rollup", params={"year": 2026,
                                                                   "metric": "investment_completion_rate"}))
        rows = {row["unit_id"]: row for row in rollup["districts"]}
        assert set(rows) == {source for _name, source, _prefix in DISTRICTS.values()}
        first, second = rows["/keyproject/330102"], rows["/keyproject/330105"]
        assert (first["unit_name"], first["project_count"], _money(first["annual_plan_investment"]),
                _money(first["ytd_investment"])) == ("上城区", 3, 60000, 15000)
        assert (second["unit_name"], second["project_count"], _money(second["annual_plan_investment"]),
                _money(second["ytd_investment"])) == ("拱墅区", 2, 48000, 12000)
        # 12000 / 48000 = 25 % beats 15000 / 60000 = 25 %: a tie, ranked 1 and 1
        assert first["investment_completion_rate_percent"] == second["investment_completion_rate_percent"] == "25.0"
        assert first["rank"] == second["rank"] == 1
        total = rollup["total"]
        assert total["project_count"] == first["project_count"] + second["project_count"] == 5
        assert _money(total["annual_plan_investment"]) == 108000
        assert _money(total["total_investment"]) == _money(first["total_investment"]) + _money(
            second["total_investment"])
        assert rollup["without_projects"] == [{"source": CITY_SOURCE, "name": "市本级"}]
        # the overview of the whole city says the same
        overview = await _ok(await city.get("/api/v1/overview", params={"year": 2026}))
        assert (overview["project_count"], _money(overview["ytd_investment"])) == (5, 27000)

        # drill down: the same code in both districts is two projects, each in its own district
        listed = await _ok(await city.get("/api/v1/projects", params={"q": "2026-001", "limit": 10}))
        assert sorted(p["deployment"] for p in listed["items"]) == ["/keyproject/330102", "/keyproject/330105"]
        only_a = await _ok(await city.get("/api/v1/projects", params={"deployment": "/keyproject/330102",
                                                                      "limit": 10}))
        assert sorted(p["id"] for p in only_a["items"]) == sorted(p["id"] for p in a)
        assert all(p["id"] not in {q["id"] for q in b} for p in only_a["items"])


async def test_a_restart_a_replay_and_a_rebuild_count_nothing_twice(platforms):
    async with client(platforms.url("reports-city")) as city:
        async def totals() -> tuple:
            body = await _ok(await city.get("/api/v1/rollup", params={"year": 2026}))
            return body["total"]["project_count"], _money(body["total"]["ytd_investment"]), tuple(
                (r["unit_id"], r["project_count"]) for r in body["districts"])

        async def settled():
            return (await totals())[:2] == (5, 27000)

        await eventually(settled, timeout=SLOW, what="the first test's figures")
        before = await totals()
        # district a restarts and its relay publishes everything again (as after a lost broker log)
        registry_a = platforms.services["registry-a"]
        registry_a.stop()
        url = registry_a.env["KP_DATABASE_URL"]
        [(published,)] = await query(url, "SELECT count(*) FROM outbox")
        await execute(url, "UPDATE outbox SET published_at = NULL")
        registry_a.start()
        async with client(platforms.url("registry-a")) as office:
            topic = topics.named(topics.REGISTRY, DISTRICTS["a"][2])

            async def republished():
                counted = await metric(platforms.url("registry-a"), "kp_events_published_total", service="registry",
                                       topic=topic)
                return counted >= published

            await eventually(republished, timeout=SLOW, what="district a's outbox published again")
            # one more project after the replay: it must arrive, behind the replayed events
            town = (await _ok(await office.get("/api/v1/units", params={"limit": 1})))["items"][0]
            await create_project(office, town["id"], annual_plan_investment="1000")

        async def one_more():
            return (await totals())[0] == 6

        await eventually(one_more, timeout=SLOW, what="the project entered after the replay")
        assert (await totals())[1] == before[1]  # the replayed investments counted once

        # a rebuild replays both districts' topics from the start: the same figures
        run = await _ok(await city.post("/api/v1/admin/rebuild"), 202)

        async def rebuilt():
            body = await _ok(await city.get(f"/api/v1/admin/rebuild/{run['id']}"))
            assert body["status"] != "failed", body
            return body["status"] == "succeeded"

        await eventually(rebuilt, timeout=SLOW, what="the city's rebuild")
        assert (await totals())[:2] == (6, before[1])


async def test_an_event_on_a_districts_topic_claiming_another_source_is_refused(platforms):
    forged = UnitCreated(id="u-forged", code="F", name="冒名单位", kind="town")
    topic = topics.named(topics.REGISTRY, DISTRICTS["a"][2])
    # district b's source on district a's topic, and then a genuine one behind it
    await produce_events(platforms.broker.bootstrap, topic, [
        new_event(forged, subject=forged.id, source="/keyproject/330105/registry")])
    async with client(platforms.url("registry-a")) as office:
        await create_unit(office, name="半山街道")
    async with client(platforms.url("reports-city")) as city:
        async def dead_lettered():
            metrics = (await city.get("/metrics")).text
            return f'kp_events_dead_lettered_total{{service="reports",topic="{topic}.dlq"}} 1.0' in metrics

        await eventually(dead_lettered, timeout=SLOW, what="the forged event dead-lettered")


async def test_the_rollup_is_read_with_reports_read_and_refuses_bad_input(platforms):
    async with client(platforms.url("reports-city"), auth=False) as anonymous:
        assert (await anonymous.get("/api/v1/rollup")).status_code == 401
    async with client(platforms.url("reports-city"), "projects:read") as elsewhere:
        assert (await elsewhere.get("/api/v1/rollup")).status_code == 403
    async with client(platforms.url("reports-city"), "reports:read") as reader:
        assert (await reader.get("/api/v1/rollup", params={"year": 2026})).status_code == 200
        for bad in ({"year": "1999"}, {"metric": "height"}, {"period": "2026-13"}, {"as_of": "tomorrow"}):
            refused = await reader.get("/api/v1/rollup", params=bad)
            assert refused.status_code == 422 and refused.headers["content-type"].startswith(
                "application/problem+json"), (bad, refused.text)
        assert (await reader.get("/api/v1/projects", params={"deployment": "x" * 201})).status_code == 422
    with pytest.raises(ValueError, match="KP_ROLLUP_DISTRICTS"):
        from services.reports.settings import ReportsSettings
        ReportsSettings(env="dev", rollup_districts=[{"name": "上城区", "source": "/keyproject", "topic_prefix": "x"}])
