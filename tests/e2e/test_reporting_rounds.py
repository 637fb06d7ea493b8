"""Monthly reporting rounds (月调度 下发/填报) through the registry and alerts: a round opened by itself on the
configured day and one by the office; units report their own projects (on time or late), the office sees who has not
reported (未报), returns a report for correction (退回) and approves it: its investment becomes the project's month
(with the round as origin) and its problems become 堵点 in alerts. Only the office opens and decides.

Its own broker and services, their clock pinned to 3 July 2026, rounds opening by themselves on the 2nd."""
from decimal import Decimal

import pytest

from contracts import topics
from contracts.registry import (InvestmentReported, ReportingRoundOpened, RoundReportApproved, RoundReportReturned,
                                RoundReportSubmitted)
from tests.support.api import client, eventually
from tests.support.events import EventLog
from tests.support.factories import create_project, create_unit
from tests.support.platform import own_platform

TODAY = "2026-07-03"
SLOW = 120.0
PHOTO = "https://files.example.gov.cn/site/2026-06.jpg"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    with own_platform(tmp_path_factory.mktemp("rounds"), {
            "registry": {"KP_FIXED_TODAY": TODAY, "KP_REPORTING_ROUND_DAY": "2", "KP_REPORTING_ROUND_DAYS": "5"},
            "alerts": {"KP_FIXED_TODAY": TODAY, "KP_DAILY_SCAN": "false"}}) as running:
        yield running


async def _ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def report(amount: str, **extra) -> dict:
    return {"investment": amount, "progress": "主体结构施工至三层", "photos": [PHOTO], "next_plan": "完成主体封顶",
            **extra}


async def test_a_month_is_reported_checked_and_becomes_the_projects_figures(city):
    async with client(city.url("registry")) as office, client(city.url("alerts")) as alerts:
        a, b = await create_unit(office, name="城关镇"), await create_unit(office, name="临港街道")
        p1 = await create_project(office, a["id"], name="智能装备产业园", listed_on="2026-01-01")
        p2 = await create_project(office, a["id"], name="物流园", listed_on="2026-01-01")
        q = await create_project(office, b["id"], name="滨海公园", listed_on="2026-01-01")

        # June's round opened by itself on the 2nd (due in five days); May's by the office, its deadline passed.
        rounds = await _ok(await office.get("/api/v1/reporting-rounds"))
        assert [(r["period"], r["opened_by"], r["deadline"]) for r in rounds] == [
            ("2026-06", "registry", "2026-07-08")]
        june = rounds[0]["id"]
        async with client(city.url("registry"), "projects:read", "projects:write", unit_id=a["id"]) as town_a, \
                client(city.url("registry"), "projects:read", "projects:write", unit_id=b["id"]) as town_b:
            assert (await town_a.post("/api/v1/reporting-rounds", json={"period": "2026-05"})).status_code == 403
            may = await _ok(await office.post("/api/v1/reporting-rounds",
                                              json={"period": "2026-05", "deadline": "2026-06-05"}), 201)
            assert (may["expected"], may["missing"], may["closed"]) == (3, 3, True)
            assert (await office.post("/api/v1/reporting-rounds", json={"period": "2026-05"})).status_code == 409
            future = await office.post("/api/v1/reporting-rounds", json={"period": "2026-08"})
            assert future.status_code == 422 and future.json()["errors"][0]["field"] == "period"

            # Units report their own projects only; bad reports change nothing.
            url = f"/api/v1/reporting-rounds/{june}/reports/{p1['id']}"
            assert (await town_b.put(url, json=report("1200"))).status_code == 403
            for bad, field in (({"investment": "-1"}, "investment"), ({"photos": ["javascript:x"]}, "photos.0"),
                               ({"problems": [{"type": "weather", "description": "雨"}]}, "problems.0.type")):
                refused = await town_a.put(url, json=report("1200", **bad))
                assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
            sent = await _ok(await town_a.put(url, json=report("1200", problems=[
                {"type": "land", "description": "二期用地指标未落实"}])))
            assert (sent["status"], sent["status_label"], sent["late"]) == ("submitted", "已报送", False)
            late = await _ok(await town_a.put(f"/api/v1/reporting-rounds/{may['id']}/reports/{p2['id']}",
                                              json=report("300")))
            assert late["late"] is True  # May's deadline had passed

            # Who has not reported (未报); a unit sees its own standing.
            standing = await _ok(await office.get(f"/api/v1/reporting-rounds/{june}"))
            assert (standing["expected"], standing["reported"], standing["missing"]) == (3, 1, 2)
            by_unit = {u["unit_name"]: u for u in standing["units"]}
            assert [p["name"] for p in by_unit["城关镇"]["missing_projects"]] == ["物流园"]
            assert (by_unit["临港街道"]["missing"], by_unit["临港街道"]["missing_projects"][0]["id"]) == (1, q["id"])
            own = await _ok(await town_a.get(f"/api/v1/reporting-rounds/{june}"))
            assert [u["unit_name"] for u in own["units"]] == ["城关镇"]

            # Returned for correction, corrected, approved.
            decision = f"{url}/decision"
            assert (await town_a.post(decision, json={"approve": True})).status_code == 403
            assert (await office.post(decision, json={"approve": False})).status_code == 422  # a return says why
            returned = await _ok(await office.post(decision, json={"approve": False, "comment": "投资额与统计不符"}))
            assert returned["status"] == "returned"
            fixed = await _ok(await town_a.put(url, json=report("1250", problems=[
                {"type": "land", "description": "二期用地指标未落实"}])))
            assert (fixed["status"], fixed["late"]) == ("submitted", False)
            approved = await _ok(await office.post(decision, json={"approve": True, "comment": "同意"}))
            assert [s["action"] for s in approved["steps"]] == ["submitted", "returned", "resubmitted", "approved"]
            assert (await town_a.put(url, json=report("1300"))).status_code == 409  # approved is final

        months = await _ok(await office.get(f"/api/v1/projects/{p1['id']}/investments"))
        assert [(m["period"], Decimal(m["amount"])) for m in months["items"]] == [("2026-06", Decimal("1250"))]

        async def problem_known():
            found = await alerts.get(f"/api/v1/projects/{p1['id']}/problems")
            return found.status_code == 200 and len(found.json()) == 1

        await eventually(problem_known, timeout=SLOW, what="the reported problem as a 堵点 in alerts")
        [problem] = (await alerts.get(f"/api/v1/projects/{p1['id']}/problems")).json()
        assert (problem["type"], problem["description"], problem["solving_unit_id"]) == (
            "land", "二期用地指标未落实", a["id"])

    log = EventLog(city.broker.bootstrap, topics.REGISTRY)
    assert len(await log.all(ReportingRoundOpened)) == 2
    assert (await log.wait_for(RoundReportReturned, subject=p1["id"])).comment == "投资额与统计不符"
    assert len(await log.all(RoundReportSubmitted, subject=p1["id"])) == 2
    approved_event = await log.wait_for(RoundReportApproved, subject=p1["id"])
    assert approved_event.problems == [{"type": "land", "description": "二期用地指标未落实"}]
    investment = await log.wait_for(InvestmentReported, subject=p1["id"])
    assert (investment.period, investment.amount, investment.origin) == ("2026-06", Decimal("1250"), f"round:{june}")


async def test_units_that_have_not_reported_by_the_deadline_get_a_task_once(city):
    """May's round (deadline 5 June) after the first test: 城关镇 reported 物流园 late but not 智能装备产业园, 临港街道
    nothing; June's deadline (8 July) has not passed."""
    async with client(city.url("alerts")) as alerts, client(city.url("registry")) as office:
        units = {u["name"]: u["id"] for u in (await office.get("/api/v1/units", params={"limit": 100})).json()["items"]}

        async def rounds_known():
            scanned = await alerts.post("/api/v1/admin/scan", params={"date": TODAY})
            assert scanned.status_code == 200, scanned.text
            found = (await alerts.get("/api/v1/tasks", params={"source": "round", "limit": 50})).json()["items"]
            return len(found) == 2

        await eventually(rounds_known, timeout=SLOW, what="the non-reporters' tasks")
        found = (await alerts.get("/api/v1/tasks", params={"source": "round", "limit": 50})).json()["items"]
        by_unit = {t["unit_id"]: t for t in found}
        assert set(by_unit) == {units["城关镇"], units["临港街道"]}
        assert by_unit[units["城关镇"]]["title"] == "2026年5月调度未报送（1个项目）"
        assert by_unit[units["临港街道"]]["title"] == "2026年5月调度未报送（1个项目）"
        detail = (await alerts.get(f"/api/v1/tasks/{by_unit[units['城关镇']]['id']}")).json()
        assert detail["description"] == "截至 2026-06-05 未报送：智能装备产业园"
        # once per round: another scan opens nothing more
        assert (await alerts.post("/api/v1/admin/scan", params={"date": TODAY})).status_code == 200
        again = (await alerts.get("/api/v1/tasks", params={"source": "round", "limit": 50})).json()["items"]
        assert len(again) == 2

        # the supervision day's list names what each unit has not reported
        frozen = await _ok(await alerts.post("/api/v1/supervision-rounds", json={"date": TODAY}), 201)
        listed = {u["unit_name"]: u for u in frozen["units"]}
        assert listed["临港街道"]["unreported"] == [{"period": "2026-05", "deadline": "2026-06-05",
                                                   "projects": ["滨海公园"]}]
        assert (listed["城关镇"]["unreported_projects"], frozen["totals"]["unreported_projects"]) == (1, 2)
        csv = (await alerts.get(f"/api/v1/supervision-rounds/{frozen['id']}", params={"format": "csv"})).text
        assert "2026-05 月调度未报送 1 个项目" in csv


async def test_a_project_not_reported_gets_a_yellow_mark_when_the_office_switches_it_on(city):
    """Off by default; switched on, each project not reported in May's round (deadline 5 June) is marked yellow by
    the scan (物流园 reported late: not marked), and a report that comes in takes the mark away at once."""
    async with client(city.url("alerts")) as alerts, client(city.url("registry")) as office:
        projects = {p["name"]: p for p in (await office.get("/api/v1/projects", params={"limit": 100})).json()["items"]}

        async def marks() -> dict[str, list[str]]:
            found = {}
            for name in ("智能装备产业园", "物流园", "滨海公园"):
                status = await _ok(await alerts.get(f"/api/v1/projects/{projects[name]['id']}/status"))
                found[name] = [a["message"] for a in status["alerts"] if a["rule"] == "round_not_reported"]
            return found

        await _ok(await alerts.post("/api/v1/admin/scan", params={"date": TODAY}))
        assert await marks() == {"智能装备产业园": [], "物流园": [], "滨海公园": []}  # off by default
        await _ok(await alerts.patch("/api/v1/rules/round_not_reported", json={"enabled": True}))
        try:
            await _ok(await alerts.post("/api/v1/admin/scan", params={"date": TODAY}))
            mark = "2026年5月调度逾期未报送（截止 2026-06-05）"
            assert await marks() == {"智能装备产业园": [mark], "物流园": [], "滨海公园": [mark]}
            status = await _ok(await alerts.get(f"/api/v1/projects/{projects['滨海公园']['id']}/status"))
            assert status["colour"] == "yellow"

            may = [r for r in await _ok(await office.get("/api/v1/reporting-rounds")) if r["period"] == "2026-05"][0]
            town = projects["智能装备产业园"]["responsible_unit_id"]
            async with client(city.url("registry"), "projects:read", "projects:write", unit_id=town) as unit:
                await _ok(await unit.put(f"/api/v1/reporting-rounds/{may['id']}/reports/"
                                         f"{projects['智能装备产业园']['id']}", json=report("800")))

            async def lifted():
                return (await marks())["智能装备产业园"] == []

            await eventually(lifted, timeout=SLOW, what="the mark lifted by the late report")
            assert (await marks())["滨海公园"] == [mark]
        finally:
            await _ok(await alerts.patch("/api/v1/rules/round_not_reported", json={"enabled": False}))
