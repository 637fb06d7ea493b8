"""The overview, breakdowns and project lists of this year's city, checked against the city's own definition."""
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from contracts.registry import ProjectRegistered
from contracts.envelope import CloudEvent, new_event
from tests.reports.cities import COMPLETED, JAN1, LAST_YEAR, STARTED, TODAY, YEAR, bracket_of
from tests.support.api import client, eventually
from tests.support.kafka import produce_events, read_topic
from tests.support.metrics import metric

TWELVE = Decimal("1e-12")


def exact(numerator, denominator) -> str:
    """A rate as the API gives it: the exact fraction to 12 places."""
    value = Fraction(numerator) / Fraction(denominator)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWELVE))


async def overview(reports, **params) -> dict:
    response = await reports.get("/api/v1/overview", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_city_overview_gives_the_offices_figures(city, city_reports):
    body = await overview(city_reports, year=YEAR)
    projects = city.projects
    # 116 key projects worth 565.20 亿元; 66 started or completed (56.9 %) against 70 %: 81.2 is 81 projects as the
    # office counts (the nearest whole project), so 15 more to go
    assert body["project_count"] == 116
    assert body["total_investment"] == "5652000" and body["total_investment_yi"] == "565.20"
    assert body["started_or_completed_count"] == 66
    assert body["start_or_completion_rate"] == exact(66, 116) == "0.568965517241"
    assert body["start_or_completion_rate_percent"] == "56.9"
    assert body["target_rate"] == "0.70" and body["target_count"] == 81 == round(Fraction(7, 10) * 116)
    assert body["target_rounding"] == "nearest" and body["target_rounding_note"] == "按四舍五入取整"
    assert body["needed_to_reach_target"] == 15
    completed = sum(p.stage in COMPLETED for p in projects)
    assert body["completed_count"] == completed == 13
    assert body["started_count"] == 66 - completed
    assert body["completion_rate"] == exact(13, 116)
    # 76 projects classed as 4 faster / 48 normal / 16 warning / 8 lagging; the others not rated yet
    assert {k: g["count"] for k, g in body["by_grade"].items()} == {
        "faster": 4, "normal": 48, "warning": 16, "lagging": 8, "suspended": 0, "unrated": 40}
    assert {k: g["count"] for k, g in body["by_colour"].items()} == {"blue": 92, "yellow": 16, "red": 8}
    assert body["by_colour"]["red"]["share"] == exact(8, 116) and body["by_colour"]["red"]["label"] == "红色"
    # investment: plan and year-to-date summed exactly (a correction replaced the first report)
    plan = sum(p.plan for p in projects)
    ytd = sum(p.ytd for p in projects)
    assert Decimal(body["annual_plan_investment"]) == plan == Decimal("162000")
    assert Decimal(body["ytd_investment"]) == ytd == Decimal("39860.000001")
    assert body["investment_completion_rate"] == exact(ytd, plan)
    assert body["investment_completion_rate_percent"] == "24.6"
    # groups and shares
    for dimension, value_of in (("stage", lambda p: p.stage), ("sector", lambda p: p.sector),
                                ("category", lambda p: p.category), ("level", lambda p: p.level),
                                ("bracket", lambda p: bracket_of(p.total))):
        counts = Counter(value_of(p) for p in projects)
        investment = Counter()
        for p in projects:
            investment[value_of(p)] += p.total
        for value, group in body[f"by_{dimension}"].items():
            assert group["count"] == counts.get(value, 0), (dimension, value)
            assert Decimal(group["total_investment"]) == investment.get(value, 0), (dimension, value)
            if counts.get(value):
                assert group["share"] == exact(counts[value], 116)
                assert group["investment_share"] == exact(investment[value], Decimal(5652000))
    assert {k: g["count"] for k, g in body["by_bracket"].items()} == {
        "ge_50yi": 2, "10_50yi": 10, "1_10yi": 80, "lt_1yi": 24}
    stages = Counter(p.stage for p in projects)
    assert body["three_classes"] == {"signed_without_land": stages["signed"],
                                     "land_without_start": stages["land_supplied"],
                                     "started_not_completed": stages["started"]}
    assert body["real_start_count"] == sum(p.real_start for p in projects)
    assert body["paper_start_count"] == 66 - body["real_start_count"]
    assert body["statistics"] == {"included_count": 3, "submitted_count": 1, "rejected_count": 1,
                                  "not_submitted_count": 111}
    # nodes: T1 2 of 4 on time, T3 3 of 3 due (one pending), D1 0 of 3; a removed node counts nowhere
    assert body["nodes"] == {"total": 11, "done": 7, "done_on_time": 5, "late": 3,
                             "on_time_rate": exact(5, 10), "on_time_rate_percent": "50.0"}
    assert body["late_nodes"] == 3 and body["open_tasks"] == 3 and body["late_tasks"] == 2
    assert body["land_parcels"] == city.parcels
    assert body["source"] == "live" and body["as_of"] == TODAY.isoformat()


async def test_one_units_overview_counts_only_its_projects(city, city_reports):
    t1 = city.units["T1"]
    body = await overview(city_reports, year=YEAR, unit_id=t1.id)
    mine = [p for p in city.projects if p.unit is t1]
    assert body["project_count"] == 20 and body["started_or_completed_count"] == 10
    assert Decimal(body["total_investment"]) == sum(p.total for p in mine)
    assert body["investment_completion_rate"] == "0.050000000050"
    assert body["needed_to_reach_target"] == 4  # 0.7 × 20 − 10
    assert body["by_colour"]["red"]["count"] == 2 and body["by_grade"]["warning"]["count"] == 3
    assert body["nodes"]["on_time_rate"] == exact(2, 4)
    assert (body["open_tasks"], body["late_tasks"]) == (2, 1)
    assert body["land_parcels"]["sold_count"] == 4
    other_year = await overview(city_reports, year=YEAR + 1, unit_id=t1.id)
    assert other_year["project_count"] == 0 and other_year["start_or_completion_rate"] is None


async def test_breakdowns_give_counts_investment_and_rates_per_group(city, city_reports):
    response = await city_reports.get("/api/v1/breakdowns", params={"by": "sector", "year": YEAR})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"]["project_count"] == 116
    by_key = {g["key"]: g for g in body["groups"]}
    assert [g["key"] for g in body["groups"]] == ["primary", "secondary", "tertiary"]
    for sector, group in by_key.items():
        mine = [p for p in city.projects if p.sector == sector]
        assert group["project_count"] == len(mine)
        assert group["share"] == exact(len(mine), 116)
        started = sum(p.stage in STARTED for p in mine)
        assert group["started_or_completed_count"] == started
        assert group["start_or_completion_rate"] == exact(started, len(mine))
        assert Decimal(group["total_investment"]) == sum(p.total for p in mine)
    assert sum(g["project_count"] for g in body["groups"]) == 116
    assert by_key["primary"]["label"] == "一产"

    units = (await city_reports.get("/api/v1/breakdowns", params={"by": "unit", "year": YEAR,
                                                                   "group": "department"})).json()
    assert [g["label"] for g in units["groups"]] == ["发改局", "工信局", "住建局"]
    d2 = units["groups"][1]
    assert d2["project_count"] == 18 and d2["investment_completion_rate"] == exact(3600, 40000)
    assert units["total"]["project_count"] == 24 + 18 + 12
    assert (await city_reports.get("/api/v1/breakdowns", params={"by": "weather"})).status_code == 422


async def _all_pages(reports, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = (await reports.get("/api/v1/projects", params={**params, "limit": 25,
                                                              **({"cursor": cursor} if cursor else {})})).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def test_the_projects_behind_each_figure(city, city_reports):
    red = await _all_pages(city_reports, year=YEAR, colour="red")
    assert sorted(p["id"] for p in red) == sorted(p.id for p in city.projects if p.colour == "red")
    assert all(p["alerts"] == [f"{p['unit_name']}项目节点逾期30天以上"] for p in red)
    not_started = await _all_pages(city_reports, year=YEAR, started="false")
    assert len(not_started) == 50  # of which 16 more must start to reach the target
    land = await _all_pages(city_reports, year=YEAR, three_class="land_without_start")
    assert {p["id"] for p in land} == {p.id for p in city.projects if p.stage == "land_supplied"}
    t1 = city.units["T1"]
    unrated = await _all_pages(city_reports, year=YEAR, grade="unrated", unit_id=t1.id)
    assert len(unrated) == 20 - 13
    first = (await city_reports.get("/api/v1/projects", params={"unit_id": t1.id, "q": "项目1号"})).json()["items"]
    assert [p["ytd_investment"] for p in first] == ["1000.000001"]
    assert first[0]["investment_completion_rate_percent"] == "5.0" and first[0]["nodes_late"] == 1
    assert (first[0]["open_tasks"], first[0]["late_tasks"]) == (2, 1)
    assert first[0]["stage_dates"]["started"] == JAN1.isoformat()


async def test_figures_as_of_a_past_date_count_only_the_projects_registered_by_then(city, city_reports):
    """This year's list was registered today through the registry's API, its facts dated from 1 January: as of any
    earlier day none of its projects was on the list, nor did their tasks count (the dated facts of lists registered
    in the past are checked in test_dated and test_snapshots)."""
    for day in {f"{LAST_YEAR}-12-31", (TODAY - timedelta(days=1)).isoformat()}:
        before = await overview(city_reports, year=YEAR, as_of=day)
        assert before["source"] == "computed" and before["project_count"] == 0 and before["ytd_investment"] == "0"
        assert (before["open_tasks"], before["late_tasks"], before["late_nodes"]) == (0, 0, 0)
    future = await city_reports.get("/api/v1/overview", params={"as_of": "2999-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "as_of"


async def test_stale_or_repeated_events_change_nothing(city, city_platform, city_reports):
    """A project event of an older version is ignored; the same event delivered twice is applied once."""
    bootstrap, url = city_platform.broker.bootstrap, city_platform.url("reports")
    started = next(p for p in city.projects if p.stage == "started")
    registered = None
    for record in await read_topic(bootstrap, "keyproject.registry"):
        if record.key == started.id.encode() and b"project.registered" in record.value:
            registered = record.value
    assert registered is not None
    before = await overview(city_reports, year=YEAR)
    consumed = await metric(url, "kp_events_consumed_total", service="reports", type=ProjectRegistered.type)
    duplicates = await metric(url, "kp_events_skipped_total", service="reports", reason="duplicate")
    original = CloudEvent.model_validate_json(registered)
    stale = new_event(ProjectRegistered.model_validate(original.data), subject=started.id,
                      source="/keyproject/registry")  # a new id, the old version 1 in planning
    await produce_events(bootstrap, "keyproject.registry", [original, stale])

    async def both_seen():
        return await metric(url, "kp_events_consumed_total", service="reports",
                            type=ProjectRegistered.type) >= consumed + 1 and await metric(
            url, "kp_events_skipped_total", service="reports", reason="duplicate") >= duplicates + 1

    await eventually(both_seen, timeout=60, interval=0.3, what="the stale and the repeated event handled")
    assert await overview(city_reports, year=YEAR) == before


async def test_reading_needs_a_token_with_the_reports_scope(city_platform):
    url = city_platform.url("reports")
    async with client(url, auth=False) as anonymous:
        response = await anonymous.get("/api/v1/overview")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
    async with client(url, "projects:read") as wrong:
        assert (await wrong.get("/api/v1/overview")).status_code == 403
    async with client(url, "reports:read") as reader:
        assert (await reader.get("/api/v1/overview")).status_code == 200
        assert (await reader.put("/api/v1/scoring", json={"weights": {}})).status_code == 403
        assert (await reader.post("/api/v1/admin/rebuild")).status_code == 403
        assert (await reader.post("/api/v1/targets", json={})).status_code in (403, 422)
