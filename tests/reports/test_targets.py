"""Targets handed down for the year (上级下达任务) and their progress, with 未破零."""
from decimal import Decimal

from tests.reports.cities import DEC, DEC_END, NOV, NOV_END, STARTED, YEAR, bracket_of


async def create(reports, **body) -> dict:
    response = await reports.post("/api/v1/targets", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_progress_of_targets_handed_down(city, city_reports):
    industry = await create(city_reports, year=YEAR + 0, name="工业项目开工", measure="started_count", value="10",
                            filter={"category": "industry"})
    big = await create(city_reports, year=YEAR, name="10–50亿元项目竣工", measure="completed_count", value="2",
                       filter={"bracket": "10_50yi"})
    t4 = city.units["T4"]
    investment = await create(city_reports, year=YEAR, name="南湖镇完成投资", measure="investment_amount",
                              value="6000", filter={"unit_id": t4.id})
    zero = await create(city_reports, year=YEAR, name="南湖镇项目竣工", measure="completed_count", value="1",
                        filter={"unit_id": t4.id})
    included = await create(city_reports, year=YEAR, name="入库纳统", measure="statistics_count", value="5")
    body = (await city_reports.get("/api/v1/targets/progress", params={"year": YEAR})).json()
    progress = {item["target"]["id"]: item for item in body["items"]}
    assert set(progress) >= {t["id"] for t in (industry, big, investment, zero, included)}

    started_industry = sum(p.category == "industry" and p.stage in STARTED for p in city.projects)
    item = progress[industry["id"]]
    assert Decimal(item["achieved"]) == started_industry
    assert Decimal(item["remaining"]) == max(0, 10 - started_industry)
    completed_big = sum(bracket_of(p.total) == "10_50yi" and p.stage in ("completed", "in_operation")
                        for p in city.projects)
    assert Decimal(progress[big["id"]]["achieved"]) == completed_big
    item = progress[investment["id"]]
    assert (item["achieved"], item["remaining"], item["rate"], item["rate_percent"]) == (
        "60", "5940", "0.010000000000", "1.0")
    assert item["not_yet_off_zero"] is False
    item = progress[zero["id"]]
    assert item["achieved"] == "0" and item["not_yet_off_zero"] is True  # 未破零
    item = progress[included["id"]]
    assert (item["achieved"], item["remaining"], item["rate_percent"]) == ("3", "2", "60.0")
    assert body["not_yet_off_zero_count"] >= 1

    changed = await city_reports.patch(f"/api/v1/targets/{included['id']}", json={"value": "3"})
    assert changed.status_code == 200 and changed.json()["value"] == "3"
    again = (await city_reports.get("/api/v1/targets/progress", params={"year": YEAR})).json()
    reached = next(i for i in again["items"] if i["target"]["id"] == included["id"])
    assert reached["remaining"] == "0" and reached["rate_percent"] == "100.0"
    assert (await city_reports.delete(f"/api/v1/targets/{zero['id']}")).status_code == 204
    assert (await city_reports.get(f"/api/v1/targets/{zero['id']}")).status_code == 404


async def test_targets_are_checked(city_reports):
    half = await city_reports.post("/api/v1/targets", json={"year": YEAR, "name": "半个项目",
                                                            "measure": "started_count", "value": "1.5"})
    assert half.status_code == 422
    nothing = await city_reports.post("/api/v1/targets", json={"year": YEAR, "name": "零", "measure": "started_count",
                                                               "value": "0"})
    assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "value"
    unknown = await city_reports.post("/api/v1/targets", json={"year": YEAR, "name": "x", "measure": "luck",
                                                               "value": "1"})
    assert unknown.status_code == 422
    key = {"Idempotency-Key": "target-once"}
    body = {"year": YEAR, "name": "同一请求两次", "measure": "investment_amount", "value": "100.5"}
    first = await city_reports.post("/api/v1/targets", json=body, headers=key)
    second = await city_reports.post("/api/v1/targets", json=body, headers=key)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    await city_reports.delete(f"/api/v1/targets/{first.json()['id']}")


async def test_snapshots_freeze_target_progress(history, city_reports):
    """Last year's targets: progress as of each month's end, frozen in that month's snapshot."""
    started = history.targets["started"]["id"]
    hd1 = history.targets["hd1_investment"]["id"]
    completed = history.targets["completed"]["id"]
    for period, day, started_then, hd1_then in ((NOV, NOV_END, 4, "5000"), (DEC, DEC_END, 6, "8000")):
        frozen = (await city_reports.get("/api/v1/targets/progress", params={"period": period})).json()
        items = {i["target"]["id"]: i for i in frozen["items"]}
        assert frozen["as_of"] == day.isoformat() and frozen["source"] == "snapshot"
        assert items[started]["achieved"] == str(started_then) and items[hd1]["achieved"] == hd1_then
        assert items[completed]["not_yet_off_zero"] is True
    params = {"year": DEC_END.year, "as_of": NOV_END.isoformat()}
    computed = (await city_reports.get("/api/v1/targets/progress", params=params)).json()
    overview = (await city_reports.get("/api/v1/overview", params=params)).json()
    assert computed["source"] == "computed"
    # every project of last year's city is industrial (later tests may have archived one since)
    achieved = {i["target"]["id"]: i["achieved"] for i in computed["items"]}[started]
    assert achieved == str(overview["started_or_completed_count"])
