"""Monthly snapshots: figures frozen as of the month's last day, by hand or by themselves once the month ended,
and never changed by later events."""
from datetime import date

from tests.reports import produced
from tests.reports.cities import (DEC, DEC_END, LAST_YEAR, NOV, NOV_END, SLOW, TODAY, YEAR, UnitSpec, ProjectSpec,
                                  create_project, create_unit, move, report_investment)
from tests.reports.conftest import start_reports_instance
from tests.support.api import client, eventually


async def _pages(reports, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = (await reports.get(path, params={**params, "limit": 4, **({"cursor": cursor} if cursor else {})}))
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


async def test_a_month_is_frozen_as_of_its_last_day(history, city_reports):
    november, december = history.november, history.december
    assert (november["as_of"], december["as_of"]) == (NOV_END.isoformat(), DEC_END.isoformat())
    assert november["kind"] == december["kind"] == "manual" and december["year"] == LAST_YEAR
    assert november["project_count"] == december["project_count"] == 10
    # dated facts: four projects had started by 30 November, six by 31 December; one turned red on 15 December
    assert november["overview"]["started_or_completed_count"] == 4
    assert december["overview"]["started_or_completed_count"] == 6
    assert (november["overview"]["ytd_investment"], december["overview"]["ytd_investment"]) == ("5000", "17000")
    assert november["overview"]["by_colour"]["red"]["count"] == 0
    assert december["overview"]["by_colour"]["red"]["count"] == 1
    assert december["overview"]["source"] == "snapshot" and december["overview"]["period"] == DEC
    frozen = await _pages(city_reports, f"/api/v1/snapshots/{DEC}/projects")
    assert len(frozen) == 10
    red = [p for p in frozen if p["colour"] == "red"]
    assert [p["project_id"] for p in red] == [history.projects[("HT1", 0)].id]
    assert red[0]["alert_messages"] == ["投资完成率低于序时进度一半"] and red[0]["grade"] == "lagging"
    listed = (await city_reports.get("/api/v1/snapshots", params={"year": LAST_YEAR})).json()
    assert [s["period"] for s in listed][:2] == [DEC, NOV]
    one_unit = (await city_reports.get(f"/api/v1/snapshots/{DEC}",
                                       params={"unit_id": history.units["HD1"].id})).json()["overview"]
    assert one_unit["project_count"] == 2 and one_unit["ytd_investment"] == "8000"
    from_overview = (await city_reports.get("/api/v1/overview", params={"period": DEC})).json()
    assert from_overview == december["overview"]


async def test_only_an_ended_month_is_frozen_and_only_once(history, city_reports):
    this_month = await city_reports.post("/api/v1/snapshots", json={"period": f"{TODAY:%Y-%m}"})
    assert this_month.status_code == 409 and "not ended" in this_month.json()["detail"]
    assert (await city_reports.post("/api/v1/snapshots", json={"period": f"{YEAR + 1}-01"})).status_code == 409
    again = await city_reports.post("/api/v1/snapshots", json={"period": NOV})
    assert again.status_code == 409 and "already frozen" in again.json()["detail"]
    assert (await city_reports.post("/api/v1/snapshots", json={"period": "2026-13"})).status_code == 422
    assert (await city_reports.get("/api/v1/snapshots/1999-01")).status_code == 404
    assert (await city_reports.get("/api/v1/reports/monthly/1999-01")).status_code == 404


async def test_later_events_never_change_a_snapshot(history, city_platform, city_registry, city_reports):
    async def frozen_state() -> dict:
        return {
            "detail": (await city_reports.get(f"/api/v1/snapshots/{DEC}")).json(),
            "projects": await _pages(city_reports, f"/api/v1/snapshots/{DEC}/projects"),
            "towns": (await city_reports.get("/api/v1/rankings", params={"period": DEC, "group": "town"})).json(),
            "report": (await city_reports.get(f"/api/v1/reports/monthly/{DEC}")).json(),
            "targets": (await city_reports.get("/api/v1/targets/progress", params={"period": DEC})).json(),
        }

    before = await frozen_state()
    gone, corrected, turned = (history.projects[k] for k in (("HT3", 1), ("HD1", 0), ("HD2", 0)))
    archived = await city_registry.post(f"/api/v1/projects/{gone.id}/archive", json={"reason": "调出清单"})
    assert archived.status_code == 200, archived.text
    await report_investment(city_registry, corrected.id, DEC, "4000")  # December corrected from 3000
    await produced.produce(city_platform.broker.bootstrap, [
        produced.status(turned.id, turned.unit.id, "red", "lagging", date(LAST_YEAR, 12, 20))])

    async def live_moved_on():
        now = (await city_reports.get("/api/v1/overview", params={"year": LAST_YEAR,
                                                                  "as_of": DEC_END.isoformat()})).json()
        return (now["project_count"], now["ytd_investment"], now["by_colour"]["red"]["count"]) == (9, "18000", 2)

    await eventually(live_moved_on, timeout=SLOW, interval=0.5, what="the later events in the live figures")
    assert await frozen_state() == before


async def test_a_month_is_frozen_by_itself_once_it_has_ended(city_platform, city_registry):
    """A reports instance whose today is 3 January freezes December once its consumer has caught up."""
    year = YEAR - 2
    unit = UnitSpec("A1", "自动镇", "town", 2, 0, 0, 0, 0, {})
    await create_unit(city_registry, unit, "AUTO")
    projects = [ProjectSpec(unit=unit, index=i, total=30000, plan=1000, ytd=0, category="services", level="district",
                            stage="planning", real_start=False, grade=None) for i in range(2)]
    for project in projects:
        await create_project(city_registry, project, year)
    await move(city_registry, projects[0].id, "started", date(year, 12, 1))
    period = f"{year}-12"
    instance = await start_reports_instance(city_platform, "auto", {
        "KP_AUTO_SNAPSHOTS": "true", "KP_SNAPSHOT_CHECK_SECONDS": "1", "KP_FIXED_TODAY": f"{year + 1}-01-03"})
    try:
        async with client(instance.url, "reports:read") as auto:
            async def frozen_by_itself():
                listed = (await auto.get("/api/v1/snapshots", params={"year": year})).json()
                return [(s["period"], s["kind"]) for s in listed] == [(period, "auto")]

            await eventually(frozen_by_itself, timeout=SLOW, interval=1, what=f"the automatic snapshot of {period}")
            snapshot = (await auto.get(f"/api/v1/snapshots/{period}")).json()
            assert snapshot["taken_by"] == "scheduler" and snapshot["as_of"] == f"{year}-12-31"
            assert snapshot["overview"]["project_count"] == 2
            assert snapshot["overview"]["started_or_completed_count"] == 1
            await produced.produce(city_platform.broker.bootstrap, [
                produced.status(projects[0].id, unit.id, "red", "lagging", date(year, 12, 20))])

            async def turned_red():
                now = (await auto.get("/api/v1/overview", params={"year": year, "as_of": f"{year}-12-31"})).json()
                return now["by_colour"]["red"]["count"] == 1

            await eventually(turned_red, timeout=SLOW, interval=0.5, what="the late status in the live figures")
            assert (await auto.get(f"/api/v1/snapshots/{period}")).json() == snapshot
            listed = (await auto.get("/api/v1/snapshots", params={"year": year})).json()
            assert len(listed) == 1  # only the month that just ended, nothing older is back-filled
    finally:
        instance.stop()
