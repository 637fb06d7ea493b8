"""Monthly snapshots: figures frozen as of the month's last day, by hand or by themselves once the month ended,
and never changed by later events."""
from datetime import date
from decimal import Decimal

from tests.reports import produced
from tests.reports.cities import (DEC, DEC_END, LAST_YEAR, NOV, NOV_END, SLOW, TODAY, YEAR, UnitSpec, ProjectSpec,
                                  create_unit, published)
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
    assert (await city_reports.get("/api/v1/snapshots/2001-01")).status_code == 404
    assert (await city_reports.get("/api/v1/reports/monthly/2001-01")).status_code == 404


READERS = [("/api/v1/overview", {}), ("/api/v1/rankings", {}), ("/api/v1/breakdowns", {"by": "unit"}),
           ("/api/v1/targets/progress", {})]


async def test_periods_and_dates_out_of_range_are_refused(city_reports):
    """Years outside the registry's list years (2000-2100) are 422, never a 500 from the calendar."""
    for period in ("0000-01", "1999-12", "2101-01", "9999-12"):
        response = await city_reports.post("/api/v1/snapshots", json={"period": period})
        assert response.status_code == 422 and response.json()["errors"][0]["field"].endswith("period"), period
        for path in (f"/api/v1/snapshots/{period}", f"/api/v1/reports/monthly/{period}",
                     f"/api/v1/snapshots/{period}/projects", f"/api/v1/reports/quarterly/{period[:4]}-Q1",
                     f"/api/v1/reports/yearly/{period[:4]}"):
            assert (await city_reports.get(path)).status_code == 422, path
        for path, extra in READERS:
            response = await city_reports.get(path, params={"period": period, **extra})
            assert response.status_code == 422, (path, period)
    for day in ("0001-01-01", "1999-12-31"):
        for path, extra in READERS:
            response = await city_reports.get(path, params={"as_of": day, **extra})
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == "as_of", (path, day)
    for year in ("0", "1999", "2101"):
        assert (await city_reports.get("/api/v1/overview", params={"year": year})).status_code == 422
        target = {"year": int(year), "name": "越界", "measure": "started_count", "value": "1"}
        assert (await city_reports.post("/api/v1/targets", json=target)).status_code == 422


async def test_later_events_never_change_a_snapshot(history, city_platform, city_reports):
    async def frozen_state() -> dict:
        return {
            "detail": (await city_reports.get(f"/api/v1/snapshots/{DEC}")).json(),
            "projects": await _pages(city_reports, f"/api/v1/snapshots/{DEC}/projects"),
            "towns": (await city_reports.get("/api/v1/rankings", params={"period": DEC, "group": "town"})).json(),
            "report": (await city_reports.get(f"/api/v1/reports/monthly/{DEC}")).json(),
            "targets": (await city_reports.get("/api/v1/targets/progress", params={"period": DEC})).json(),
        }

    before = await frozen_state()
    gone, corrected = (history.published[k] for k in (("HT3", 1), ("HD1", 0)))
    turned = history.projects[("HD2", 0)]
    await produced.produce(city_platform.broker.bootstrap, [
        gone.archived(None),  # today
        corrected.invested(DEC, "4000"),  # December corrected from 3000
        produced.status(turned.id, turned.unit.id, "red", "lagging", date(LAST_YEAR, 12, 20))])

    async def live_moved_on():
        now = (await city_reports.get("/api/v1/overview", params={"year": LAST_YEAR})).json()
        then = (await city_reports.get("/api/v1/overview", params={"year": LAST_YEAR,
                                                                   "as_of": DEC_END.isoformat()})).json()
        # archived today: still on the list at December's end
        return now["project_count"] == 9 and \
            (then["project_count"], then["ytd_investment"], then["by_colour"]["red"]["count"]) == (10, "18000", 2)

    await eventually(live_moved_on, timeout=SLOW, interval=0.5, what="the later events in the live figures")
    assert await frozen_state() == before


async def test_every_month_missed_is_frozen_by_itself(city_platform, city_registry):
    """A list registered in mid-October, and a reports instance back two months on (its today 15 December): October
    and November are frozen once its consumer has caught up; nothing before the first registration. (Every other
    list of these tests was registered later: it counts in none of these months.)"""
    year = YEAR - 5
    unit = UnitSpec("A1", "自动镇", "town", 2, 0, 0, 0, 0, {})
    await create_unit(city_registry, unit, "AUTO")
    projects = [published(ProjectSpec(unit=unit, index=i, total=Decimal(30000), plan=Decimal(1000), ytd=Decimal(0),
                                      category="services", level="district", stage="planning", real_start=False,
                                      grade=None), year) for i in range(2)]
    await produced.produce(city_platform.broker.bootstrap, [
        *(p.registered(date(year, 10, 15)) for p in projects), projects[0].moved("started", date(year, 11, 20))])
    october, november = f"{year}-10", f"{year}-11"
    instance = await start_reports_instance(city_platform, "auto", {
        "KP_AUTO_SNAPSHOTS": "true", "KP_SNAPSHOT_CHECK_SECONDS": "1", "KP_FIXED_TODAY": f"{year}-12-15"})
    try:
        async with client(instance.url, "reports:read") as auto:
            async def frozen_by_itself():
                listed = (await auto.get("/api/v1/snapshots")).json()
                return [(s["period"], s["kind"]) for s in listed] == [(november, "auto"), (october, "auto")]

            await eventually(frozen_by_itself, timeout=SLOW, interval=1, what="the automatic snapshots")
            snapshots = {period: (await auto.get(f"/api/v1/snapshots/{period}")).json()
                         for period in (october, november)}
            assert [s["taken_by"] for s in snapshots.values()] == ["scheduler"] * 2
            assert snapshots[november]["as_of"] == f"{year}-11-30"
            assert [(s["overview"]["project_count"], s["overview"]["started_or_completed_count"])
                    for s in snapshots.values()] == [(2, 0), (2, 1)]
            await produced.produce(city_platform.broker.bootstrap, [
                produced.status(projects[0].id, unit.id, "red", "lagging", date(year, 11, 25))])

            async def turned_red():
                now = (await auto.get("/api/v1/overview", params={"year": year, "as_of": f"{year}-11-30"})).json()
                return now["by_colour"]["red"]["count"] == 1

            await eventually(turned_red, timeout=SLOW, interval=0.5, what="the late status in the live figures")
            assert (await auto.get(f"/api/v1/snapshots/{november}")).json() == snapshots[november]
            assert len((await auto.get("/api/v1/snapshots")).json()) == 2
    finally:
        instance.stop()
