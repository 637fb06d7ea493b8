"""The proof tools against a platform of their own: the demo city loads through the public APIs and lives its weeks,
`verify` finds no difference in it; chaos under load (each service and the broker killed in turn) loses and doubles
nothing; and `verify` finds the one difference made behind the services' backs."""
import asyncio
from datetime import date

import pytest

from proof import chaos, demo
from proof.api import Platform
from proof.verify import verify
from tests.support.api import token
from tests.support.databases import execute
from tests.support.platform import own_platform

TODAY = "2026-09-15"
QUIET = {"KP_FIXED_TODAY": TODAY, "KP_DAILY_SCAN": "false", "KP_SNAPSHOT_CHECK_SECONDS": "3600"}
SERVICES = ("registry", "milestones", "alerts", "reports")


def clock_of(city):
    """The platform's clock: its services restarted on the day."""
    async def move(day: date) -> None:
        def restart():
            for name in SERVICES:
                city.services[name].stop()
                city.services[name].env["KP_FIXED_TODAY"] = day.isoformat()
            for name in SERVICES:
                city.services[name].start(wait=False)
            for name in SERVICES:
                city.services[name].wait_healthy()

        await asyncio.to_thread(restart)

    return move


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    with own_platform(tmp_path_factory.mktemp("proof"), {
            name: QUIET for name in ("registry", "milestones", "alerts", "reports")}) as running:
        yield running


@pytest.fixture(scope="module")
def platform(city) -> Platform:
    return Platform({name: city.url(name) for name in ("registry", "milestones", "alerts", "reports")}, token())


async def test_the_demo_city_lives_its_weeks_and_verify_finds_nothing_wrong(city, platform):
    steps = {}
    loaded = await demo.load(platform, projects=24, clock=clock_of(city), last_day=date.fromisoformat(TODAY),
                             progress=lambda step, n: steps.__setitem__(step, steps.get(step, 0) + n))
    assert len(loaded.projects) == 24 and len(loaded.units) == 20
    assert loaded.days == [date(2026, 7, 2), date(2026, 8, 1), date(2026, 8, 21), date(2026, 8, 28), date(2026, 9, 15)]
    assert steps["projects"] == 24 and steps["snapshots"] == 8  # January to August frozen
    found = await verify(platform, wait=60)
    assert found.differences == []
    assert found.checked["projects"] == 24 and found.checked["nodes"] > 24 * 5
    async with platform.client("reports") as reports:
        overview = (await reports.get("/api/v1/overview", params={"year": 2026})).json()
    assert overview["by_colour"]["red"]["count"] >= 1 and overview["by_grade"]["suspended"]["count"] == 1
    async with platform.client("alerts") as alerts:
        levels = {t["escalation_level"] for t in (await alerts.get("/api/v1/tasks", params={"limit": 500})).json()[
            "items"]}
    assert {"unit_head", "lead_leader", "accountability"} <= levels, levels
    # loaded again on the last day: the same city, nothing doubled
    again = await demo.load(platform, projects=24)
    assert sorted(p["id"] for p in again.projects) == sorted(p["id"] for p in loaded.projects)
    assert (await verify(platform, wait=60)).differences == []


async def test_chaos_under_load_loses_and_doubles_nothing(city, platform):
    report = await chaos.run(platform, city, seconds=40, rate=20, converge=180)
    print("\n".join(report.lines()))
    assert sorted(report.kills) == ["alerts", "broker", "milestones", "registry", "reports"]
    assert report.differences == [] and report.converged_in is not None, report.lines()
    # the load was real (about 800 attempted; how many are acknowledged depends on the machine and the kills)
    assert sum(report.acknowledged.values()) > 200 and set(report.acknowledged) == set(chaos.WRITES)
    assert report.counted["kp_outbox_refeeds_total"] >= 1  # the broker came back empty and was fed again


async def test_verify_finds_a_figure_changed_behind_the_services_backs(city, platform):
    reports = city.services["reports"]
    await execute(reports.env["KP_DATABASE_URL"],
                  "UPDATE project_view SET stage = 'completed' WHERE code = '2026-003'")
    found = await verify(platform)
    assert any(d.startswith("project 2026-003 stage: registry") for d in found.differences), found.differences
