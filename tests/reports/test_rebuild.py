"""Rebuilding the read models from the retained events ends with the same figures, and loses no live event."""
from datetime import date
from decimal import Decimal

from tests.reports import produced
from tests.reports.cities import (APR_END, DATED_YEAR, LAST_YEAR, SLOW, YEAR, ProjectSpec, UnitSpec, create_project,
                                  create_unit)
from tests.support.api import eventually


async def figures(reports, city, history, dated) -> dict:
    """Everything the read models answer for the cities."""
    found = {}
    for unit in dated.units.values():  # dated by the events: registrations, archives, tasks' states
        found[f"dated {unit.key}"] = (await reports.get("/api/v1/overview", params={
            "year": DATED_YEAR, "unit_id": unit.id, "as_of": APR_END.isoformat()})).json()
    for year in (YEAR, LAST_YEAR, DATED_YEAR):
        found[f"overview {year}"] = (await reports.get("/api/v1/overview", params={"year": year})).json()
        found[f"as of {year}"] = (await reports.get("/api/v1/overview", params={
            "year": year, "as_of": f"{LAST_YEAR}-12-31"})).json()
        for group in ("all", "town", "department"):
            found[f"ranking {year} {group}"] = (await reports.get("/api/v1/rankings", params={
                "year": year, "group": group})).json()
        for by in ("sector", "bracket", "colour", "grade", "stage", "unit"):
            found[f"{by} {year}"] = (await reports.get("/api/v1/breakdowns", params={"year": year, "by": by})).json()
        found[f"progress {year}"] = (await reports.get("/api/v1/targets/progress", params={"year": year})).json()
    found["overview"] = (await reports.get("/api/v1/overview")).json()
    for unit in list(city.units.values()) + list(history.units.values()):
        found[f"unit {unit.key}"] = (await reports.get("/api/v1/overview", params={"unit_id": unit.id})).json()
        page = (await reports.get("/api/v1/projects", params={"unit_id": unit.id, "limit": 500})).json()
        found[f"projects {unit.key}"] = page["items"]
    found["snapshots"] = (await reports.get("/api/v1/snapshots")).json()
    return found


async def test_a_rebuild_ends_with_the_same_figures_while_live_events_go_on(city, history, dated, city_platform,
                                                                         city_registry, city_reports):
    # a project on next year's list, so what happens to it during the rebuild touches no other test's figures
    unit = UnitSpec("L1", "新区管委会", "park", 1, 0, 0, Decimal(0), Decimal(0), {})
    await create_unit(city_registry, unit, "LIVE")
    watched = ProjectSpec(unit=unit, index=0, total=Decimal(80000), plan=Decimal(0), ytd=Decimal(0),
                          category="infrastructure", level="district", stage="planning", real_start=False, grade=None)
    await create_project(city_registry, watched, YEAR + 1)

    async def registered():
        body = (await city_reports.get("/api/v1/overview", params={"unit_id": unit.id})).json()
        return body["project_count"] == 1

    await eventually(registered, timeout=SLOW, interval=0.5, what="next year's project in the overview")
    before = await figures(city_reports, city, history, dated)
    started = await city_reports.post("/api/v1/admin/rebuild")
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "running" and started.headers["location"] == f"/api/v1/admin/rebuild/{run['id']}"
    assert (await city_reports.post("/api/v1/admin/rebuild")).status_code == 409  # one at a time
    # meanwhile the alerts service goes on publishing
    await produced.produce(city_platform.broker.bootstrap, [
        produced.status(watched.id, unit.id, "red", "lagging", date(YEAR, 1, 1))])

    async def finished():
        body = (await city_reports.get(f"/api/v1/admin/rebuild/{run['id']}")).json()
        return body["status"] != "running"

    await eventually(finished, timeout=SLOW * 2, interval=1, what="the rebuild finished")
    done = (await city_reports.get(f"/api/v1/admin/rebuild/{run['id']}")).json()
    assert done["status"] == "succeeded", done["error"]
    assert done["events_applied"] >= 300 and done["finished_at"] is not None

    async def live_events_applied():
        body = (await city_reports.get("/api/v1/overview", params={"unit_id": unit.id})).json()
        return body["project_count"] == 1 and body["by_grade"]["lagging"]["count"] == 1

    await eventually(live_events_applied, timeout=SLOW, interval=0.5, what="the event published during the rebuild")
    after = await figures(city_reports, city, history, dated)
    # the figures of every year and unit are as they were; only the status published meanwhile was added
    assert after["overview"]["by_colour"]["red"]["count"] == before["overview"]["by_colour"]["red"]["count"] + 1
    before.pop("overview"), after.pop("overview")
    assert after == before
    runs = (await city_reports.get("/api/v1/admin/rebuild")).json()
    assert runs[0]["id"] == run["id"]
