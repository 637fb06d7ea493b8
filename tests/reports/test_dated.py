"""Figures as they stood on a date: the projects on the list then (registered by then, not archived yet), supervision
tasks of the year's projects counted as the alerts service counts them, the alerts active then; and units that are
neither towns nor departments (parks, districts) ranked and exported with the others."""
import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.reports.cities import (ALERT_CLEARED, APR, APR_END, DATED_YEAR, MAY, MAY_END, TODAY, dated_day)
from tests.reports.test_exports import csv_sections


async def _get(reports, path: str, **params) -> dict:
    response = await reports.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _tasks(reports, **params) -> tuple[int, int]:
    body = await _get(reports, "/api/v1/overview", **params)
    return body["open_tasks"], body["late_tasks"]


async def test_a_past_date_counts_the_projects_on_the_list_then(dated, city_reports):
    """B was registered on 20 May, C archived on 10 May: April counts A, C and D; May A, B and D."""
    ids = {key: p.id for key, p in dated.projects.items()}
    units = {key: u.id for key, u in dated.units.items()}
    for period, day, listed, per_unit in ((APR, APR_END, "ACD", {"P": 1, "Q": 1, "X": 1}),
                                          (MAY, MAY_END, "ABD", {"P": 2, "Q": 1, "X": 0})):
        frozen = (await _get(city_reports, f"/api/v1/snapshots/{period}/projects", limit=50))["items"]
        assert sorted(p["project_id"] for p in frozen) == sorted(ids[k] for k in listed)
        for key, count in per_unit.items():
            snapshot = await _get(city_reports, f"/api/v1/snapshots/{period}", unit_id=units[key])
            computed = await _get(city_reports, "/api/v1/overview", year=DATED_YEAR, as_of=day.isoformat(),
                                  unit_id=units[key])
            assert snapshot["overview"]["project_count"] == computed["project_count"] == count, (period, key)
    # registered on 10 March: nothing counted on the 9th
    before = await _get(city_reports, "/api/v1/overview", year=DATED_YEAR, as_of=dated_day(3, 9).isoformat())
    assert before["project_count"] == 0 and (before["open_tasks"], before["late_tasks"]) == (0, 0)
    assert dated.april["overview"]["started_or_completed_count"] == 1 and dated.april["overview"]["ytd_investment"] \
        == "500"


async def test_tasks_count_for_their_year_and_late_as_the_alerts_service_has_it(dated, city_reports):
    """Late = open (not answered and waiting for verification, its alert not cleared) past its deadline; of a year,
    only the tasks of that year's projects still on the list."""
    units = {key: u.id for key, u in dated.units.items()}
    year = {"year": DATED_YEAR}
    # now: t1 late, t4 answered; t2 is of the year before's list, t3 of an archived project; t5 resolvable, t6 late
    assert await _tasks(city_reports, **year) == (4, 2)
    assert await _tasks(city_reports, **year, unit_id=units["P"]) == (2, 1)
    assert await _tasks(city_reports, **year, unit_id=units["Q"]) == (2, 1)
    assert await _tasks(city_reports, **year, unit_id=units["X"]) == (0, 0)
    assert await _tasks(city_reports, unit_id=units["P"]) == (3, 2)  # every year: t2 too
    a = (await _get(city_reports, "/api/v1/projects", **year, unit_id=units["P"], q="1号"))["items"]
    assert [(p["open_tasks"], p["late_tasks"]) for p in a] == [(2, 1)]
    ranked = {r["unit_id"]: (r["open_tasks"], r["late_tasks"])
              for r in (await _get(city_reports, "/api/v1/rankings", **year, group="all"))["items"]}
    assert ranked == {units["P"]: (2, 1), units["Q"]: (2, 1)}
    # 18 April: t1, t4 (answered on the 20th), t3 (C still listed) and t5 (resolvable from the 20th) were late
    on_18th = {"as_of": dated_day(4, 18).isoformat(), **year}
    assert await _tasks(city_reports, **on_18th) == (4, 4)
    # April's end: t4 answered, t5 returned but resolvable, t6 not opened yet
    for source in ({"period": APR}, {"as_of": APR_END.isoformat(), **year}):
        assert await _tasks(city_reports, **source) == (4, 2)
        assert await _tasks(city_reports, **source, unit_id=units["Q"]) == (1, 0)
        assert await _tasks(city_reports, **source, unit_id=units["X"]) == (1, 1)
    # May's end: C archived (t3 gone), t6 open and not due yet
    for source in ({"period": MAY}, {"as_of": MAY_END.isoformat(), **year}):
        assert await _tasks(city_reports, **source) == (4, 1)
        assert await _tasks(city_reports, **source, unit_id=units["Q"]) == (2, 0)


async def test_a_snapshot_keeps_the_alerts_active_at_the_months_end(dated, city_reports):
    """Each as worded for its day: the days an alert counts are not announced as they pass."""
    a = dated.projects["A"].id
    later = "投资完成率低于序时进度一半(5月15日起，已 {} 天)"
    for period, messages in ((APR, [ALERT_CLEARED]), (MAY, [later.format(16)])):
        frozen = (await _get(city_reports, f"/api/v1/snapshots/{period}/projects", limit=50))["items"]
        assert [(p["colour"], p["alert_messages"]) for p in frozen if p["project_id"] == a] == [("red", messages)]
    live = (await _get(city_reports, "/api/v1/projects", year=DATED_YEAR, q="1号"))["items"]
    assert [p["alerts"] for p in live if p["id"] == a] == [[later.format((TODAY - dated_day(5, 15)).days)]]


async def test_figures_as_of_yesterday_are_the_live_ones(dated, city_reports):
    """Nothing of that list has happened since: its figures computed from the dated facts are the aggregates'."""
    live = await _get(city_reports, "/api/v1/overview", year=DATED_YEAR)
    then = await _get(city_reports, "/api/v1/overview", year=DATED_YEAR,
                      as_of=(TODAY - timedelta(days=1)).isoformat())
    assert (live["source"], then["source"]) == ("live", "computed")
    for key in ("as_of", "source", "land_parcels"):
        live.pop(key), then.pop(key)
    assert then == live


async def test_parks_and_districts_are_ranked_and_exported_with_the_other_units(dated, city_reports):
    units = {key: u.id for key, u in dated.units.items()}
    others = await _get(city_reports, "/api/v1/rankings", year=DATED_YEAR, group="other")
    assert sorted(r["unit_id"] for r in others["items"]) == sorted([units["P"], units["Q"]])
    assert {r["unit_kind"] for r in others["items"]} == {"park", "district"}
    assert (await _get(city_reports, "/api/v1/rankings", period=APR, group="town"))["items"][0]["unit_id"] == \
        units["X"]
    by_unit = await _get(city_reports, "/api/v1/breakdowns", by="unit", year=DATED_YEAR, group="other")
    assert sorted(g["key"] for g in by_unit["groups"]) == sorted([units["P"], units["Q"]])
    report = await _get(city_reports, f"/api/v1/reports/monthly/{APR}")
    assert sorted(r["unit_id"] for r in report["rankings"]["other"]["items"]) == sorted([units["P"], units["Q"]])
    # the ranking sheet lists every unit once, parks and districts under 其他单位
    response = await city_reports.get(f"/api/v1/reports/monthly/{APR}", params={"format": "csv"})
    sections = csv_sections(response.content)
    _header, *rows = list(sections.values())[1]
    assert sorted((row[0], row[4]) for row in rows) == [("乡镇街道", "柳镇"), ("其他单位(区县、园区)", "临河县"),
                                                        ("其他单位(区县、园区)", "高新区管委会")]
    workbook = load_workbook(io.BytesIO((await city_reports.get(f"/api/v1/reports/monthly/{APR}",
                                                                 params={"format": "xlsx"})).content))
    sheet = list(workbook["单位排名"].iter_rows(min_row=3, values_only=True))
    assert sorted((r[0], r[4]) for r in sheet) == sorted((row[0], row[4]) for row in rows)
    board = await _get(city_reports, "/board/data", year=DATED_YEAR)
    assert sorted(r["unit_id"] for r in board["rankings"]["other"]) == sorted([units["P"], units["Q"]])
    assert board["rankings"]["town"] == []  # 柳镇's only project was archived in May
