"""Suspension and resumption review (停复审核) through the four services: a unit asks to suspend its project, the
office approves; while suspended the schedule is paused (nodes stand as they did, nothing new comes due), the project
is graded 暂停 and its tasks wait; the unit asks to resume and the office approves: the remaining nodes and the tasks'
deadlines move by the pause, and the history shows the whole episode. Every step is an event; only the office
decides; a unit acts only for its own projects.

Its own broker and services, their clock pinned to 30 September 2026: the office enters an episode whose days have
passed (suspended 1 June, resumed 1 August)."""
from datetime import date, timedelta

import pytest

from contracts import topics
from contracts.registry import (ProjectResumed, ProjectSuspended, ResumptionRequested, SuspensionRejected,
                                SuspensionRequested)
from tests.milestones.flows import PARALLEL_NODES, unique_key
from tests.support.api import client, eventually
from tests.support.events import EventLog
from tests.support.factories import create_project, create_unit
from tests.support.platform import own_platform

TODAY = "2026-09-30"
SLOW = 120.0
QUIET = {"KP_DAILY_SCAN": "false", "KP_SNAPSHOT_CHECK_SECONDS": "3600", "KP_METRICS_REFRESH_SECONDS": "60"}
EVIDENCE = ["https://files.example.gov.cn/停工报告.pdf"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    with own_platform(tmp_path_factory.mktemp("suspension"), {
            name: {"KP_FIXED_TODAY": TODAY, **QUIET} for name in ("registry", "milestones", "alerts", "reports")
    }) as running:
        yield running


async def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def _nodes(milestones, project_id: str) -> dict:
    body = await _ok(await milestones.get(f"/api/v1/projects/{project_id}/milestones", params={"limit": 100}))
    return {n["key"]: n for n in body["items"]}


async def test_a_suspension_pauses_the_project_and_its_resumption_moves_what_was_left(city):
    async with client(city.url("registry")) as office, client(city.url("milestones")) as milestones, \
            client(city.url("alerts")) as alerts, client(city.url("reports")) as reports:
        town, other = await create_unit(office, name="城关镇"), await create_unit(office, name="临港街道")
        project = await create_project(office, town["id"], name="智能装备产业园")
        pid = project["id"]
        # a 05-01 and b 05-11 done; c 05-21 and d 05-26 overdue by 1 June; e due 06-25
        template = (await _ok(await milestones.post("/api/v1/templates", json={
            "key": unique_key("parallel"), "name": "并行", "nodes": PARALLEL_NODES}), 201))["key"]

        async def known():
            return (await milestones.get(f"/api/v1/projects/{pid}/milestones")).status_code == 200 and \
                (await alerts.get(f"/api/v1/projects/{pid}/status")).status_code == 200

        await eventually(known, timeout=SLOW, what="the project in milestones and alerts")
        await _ok(await milestones.post(f"/api/v1/projects/{pid}/schedule", json={
            "template": template, "mode": "forward", "anchor_date": "2026-05-01"}), 201)
        nodes = await _nodes(milestones, pid)
        for key, day in (("a", "2026-05-01"), ("b", "2026-05-11")):
            await _ok(await milestones.post(f"/api/v1/milestones/{nodes[key]['id']}/complete",
                                            json={"actual_date": day}))
        task = await _ok(await alerts.post("/api/v1/tasks", json={"title": "督促环评批复", "project_id": pid}), 201)

        async with client(city.url("registry"), "projects:read", "projects:write", unit_id=town["id"]) as unit, \
                client(city.url("registry"), "projects:read", "projects:write", unit_id=other["id"]) as stranger:
            body = {"reason": "land", "detail": "征地拆迁未完成", "suspend_from": "2026-06-01",
                    "expected_resume_on": "2026-08-01", "evidence": EVIDENCE}
            assert (await stranger.post(f"/api/v1/projects/{pid}/suspensions", json=body)).status_code == 403
            for bad, field in (({"reason": "weather"}, "reason"), ({"suspend_from": "2026-10-01"}, "suspend_from"),
                               ({"expected_resume_on": "2026-05-01"}, "expected_resume_on"),
                               ({"evidence": ["javascript:alert(1)"]}, "evidence.0")):
                refused = await unit.post(f"/api/v1/projects/{pid}/suspensions", json={**body, **bad})
                assert refused.status_code == 422, refused.text
                assert refused.json()["errors"][0]["field"] == field
            asked = await _ok(await unit.post(f"/api/v1/projects/{pid}/suspensions", json=body), 201)
            assert (asked["status"], asked["status_label"], asked["reason_label"]) == ("requested", "停工待审核", "用地问题")
            assert (await unit.post(f"/api/v1/projects/{pid}/suspensions", json=body)).status_code == 409
            sid = asked["id"]
            assert (await unit.post(f"/api/v1/suspensions/{sid}/decision", json={"approve": True})).status_code == 403
            approved = await _ok(await office.post(f"/api/v1/suspensions/{sid}/decision",
                                                   json={"approve": True, "comment": "同意停工，抓紧协调征地"}))
            assert approved["status"] == "suspended"
            assert (await _ok(await office.get(f"/api/v1/projects/{pid}")))["suspended_on"] == "2026-06-01"

            # Paused: the nodes stand as they did on 1 June, nothing new comes due.
            async def paused():
                return (await _nodes(milestones, pid))["e"]["paused_on"] == "2026-06-01"

            await eventually(paused, timeout=SLOW, what="the schedule paused")
            nodes = await _nodes(milestones, pid)
            assert {k: (n["status"], n["days_late"]) for k, n in nodes.items() if k in "cde"} == {
                "c": ("overdue", 11), "d": ("overdue", 6), "e": ("pending", 0)}
            overdue = await _ok(await milestones.get("/api/v1/milestones", params={"status": "overdue",
                                                                                   "project_id": pid}))
            assert sorted(n["key"] for n in overdue["items"]) == ["c", "d"]

            # Graded 暂停 by alerts, its task waiting; reports shows the group.
            async def graded():
                status = await alerts.get(f"/api/v1/projects/{pid}/status")
                held = await alerts.get(f"/api/v1/tasks/{task['id']}")
                return status.status_code == 200 and status.json()["grade"] == "suspended" and held.json()["on_hold"]

            await eventually(graded, timeout=SLOW, what="the project graded suspended and its task on hold")

            async def grouped():
                body = (await reports.get("/api/v1/overview", params={"year": 2026})).json()
                return body["by_grade"].get("suspended", {}).get("count") == 1

            await eventually(grouped, timeout=SLOW, what="reports' 暂停 group")
            overview = (await reports.get("/api/v1/overview", params={"year": 2026})).json()
            assert overview["by_grade"]["suspended"]["label"] == "暂停"
            assert overview["open_tasks"] == 1  # still to be done, waiting

            # Resumed from 1 August: 61 days of pause.
            assert (await stranger.post(f"/api/v1/suspensions/{sid}/resumption",
                                        json={"resume_on": "2026-08-01"})).status_code == 403
            assert (await unit.post(f"/api/v1/suspensions/{sid}/resumption",
                                    json={"resume_on": "2026-10-02"})).status_code == 422
            await _ok(await unit.post(f"/api/v1/suspensions/{sid}/resumption", json={
                "resume_on": "2026-08-01", "planned_completion_date": "2027-12-31", "note": "征地完成",
                "evidence": EVIDENCE}))
            resumed = await _ok(await office.post(f"/api/v1/suspensions/{sid}/decision",
                                                  json={"approve": True, "comment": "同意复工"}))
        assert (resumed["status"], resumed["paused_days"]) == ("resumed", 61)
        assert [s["action"] for s in resumed["steps"]] == ["requested", "approved", "resume_requested",
                                                           "resume_approved"]
        current = await _ok(await office.get(f"/api/v1/projects/{pid}"))
        assert (current["suspended_on"], current["planned_completion_date"]) == (None, "2027-12-31")
        changes = (await _ok(await office.get(f"/api/v1/projects/{pid}/history")))["items"]
        assert {"suspension_requested", "suspended", "resumption_requested", "resumed"} <= {c["action"] for c in changes}

        async def moved():
            return (await _nodes(milestones, pid))["e"]["paused_on"] is None

        await eventually(moved, timeout=SLOW, what="the schedule resumed")
        nodes = await _nodes(milestones, pid)
        # c, d, e move by the 61 days (baselines stay); a and b were done
        assert {k: (n["planned_date"], n["baseline_date"]) for k, n in nodes.items()} == {
            "a": ("2026-05-01", "2026-05-01"), "b": ("2026-05-11", "2026-05-11"), "c": ("2026-07-21", "2026-05-21"),
            "d": ("2026-07-26", "2026-05-26"), "e": ("2026-08-25", "2026-06-25")}
        assert (nodes["c"]["status"], nodes["c"]["days_late"]) == ("overdue", 71)
        trail = await _ok(await milestones.get(f"/api/v1/milestones/{nodes['c']['id']}/history"))
        assert [c["action"] for c in trail["items"]][-2:] == ["paused", "rescheduled"]
        assert trail["items"][-1]["reason"] == "项目 2026-06-01 至 2026-08-01 停工，顺延 61 天"

        async def released():
            held = (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()
            status = (await alerts.get(f"/api/v1/projects/{pid}/status")).json()
            return not held["on_hold"] and status["grade"] != "suspended"

        await eventually(released, timeout=SLOW, what="the task running again and the project graded")
        deadline = date.fromisoformat(task["deadline"]) + timedelta(days=61)
        assert (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()["deadline"] == deadline.isoformat()

    log = EventLog(city.broker.bootstrap, topics.REGISTRY)
    assert [type(e) for e in [await log.wait_for(m, subject=pid) for m in (
        SuspensionRequested, ProjectSuspended, ResumptionRequested, ProjectResumed)]] == [
        SuspensionRequested, ProjectSuspended, ResumptionRequested, ProjectResumed]
    resumed_event = await log.wait_for(ProjectResumed, subject=pid)
    assert (str(resumed_event.paused_from), str(resumed_event.resumed_on), resumed_event.paused_days) == (
        "2026-06-01", "2026-08-01", 61)


async def test_a_rejected_suspension_leaves_the_project_running(city):
    async with client(city.url("registry")) as office:
        town = await create_unit(office, name="新区管委会", kind="park")
        project = await create_project(office, town["id"])
        asked = await _ok(await office.post(f"/api/v1/projects/{project['id']}/suspensions",
                                            json={"reason": "funding"}), 201)
        assert asked["suspend_from"] == TODAY  # by default the day it is asked
        rejected = await _ok(await office.post(f"/api/v1/suspensions/{asked['id']}/decision",
                                               json={"approve": False, "comment": "资金已落实，不予停工"}))
        assert (rejected["status"], rejected["status_label"]) == ("rejected", "不予停工")
        assert (await office.post(f"/api/v1/suspensions/{asked['id']}/decision",
                                  json={"approve": True})).status_code == 409
        assert (await office.post(f"/api/v1/suspensions/{asked['id']}/resumption",
                                  json={"resume_on": TODAY})).status_code == 409
        assert (await _ok(await office.get(f"/api/v1/projects/{project['id']}")))["suspended_on"] is None
        listed = await _ok(await office.get("/api/v1/suspensions", params={"project_id": project["id"]}))
        assert [s["status"] for s in listed["items"]] == ["rejected"]
        reasons = await _ok(await office.get("/api/v1/suspension-reasons"))
        assert {r["code"]: r["label"] for r in reasons}["environment"] == "环保要求"
    event = await EventLog(city.broker.bootstrap, topics.REGISTRY).wait_for(SuspensionRejected,
                                                                            subject=project["id"])
    assert event.comment == "资金已落实，不予停工"


async def test_whether_suspended_projects_count_in_the_start_rate_is_a_setting(city):
    """By default a suspended project stays in the start-or-completion rate (offices are judged on the list they
    were given); KP_SUSPENDED_IN_START_RATE=false leaves it out of both sides, in the overview, its target, the
    per-unit breakdown and the rankings."""
    async with client(city.url("registry")) as office:
        street = await create_unit(office, name="东城街道", kind="street")
        await create_project(office, street["id"], stage="started", stage_dates={"started": "2026-03-01"})
        waiting = await create_project(office, street["id"])
        asked = await _ok(await office.post(f"/api/v1/projects/{waiting['id']}/suspensions",
                                            json={"reason": "funding", "suspend_from": "2026-09-01"}), 201)
        await _ok(await office.post(f"/api/v1/suspensions/{asked['id']}/decision", json={"approve": True}))
    scope = {"year": 2026, "unit_id": street["id"]}
    excluding = {"KP_FIXED_TODAY": TODAY, **QUIET, "KP_CONSUMER_GROUP": "reports-excluding-suspended",
                 "KP_SUSPENDED_IN_START_RATE": "false"}
    with city.configured("reports", "reports-excluding-suspended", excluding) as other:
        for url, (percent, base, target) in ((city.url("reports"), ("50.0", 2, 1)), (other, ("100.0", 1, 1))):
            async with client(url) as reports:
                async def suspended():  # both projects there (their events are on two partitions), one suspended
                    body = (await reports.get("/api/v1/overview", params=scope)).json()
                    return body.get("project_count") == 2 and body["by_grade"]["suspended"]["count"] == 1 and \
                        body["started_or_completed_count"] == 1

                await eventually(suspended, timeout=SLOW, what="the two projects, one suspended, in reports")
                overview = await _ok(await reports.get("/api/v1/overview", params=scope))
                assert (overview["project_count"], overview["started_or_completed_count"]) == (2, 1)
                assert (overview["start_or_completion_rate_percent"], overview["start_rate_project_count"],
                        overview["target_count"]) == (percent, base, target), url
                ranking = await _ok(await reports.get("/api/v1/rankings", params={
                    "year": 2026, "metric": "start_or_completion_rate"}))
                [row] = [r for r in ranking["items"] if r["unit_id"] == street["id"]]
                assert row["start_or_completion_rate_percent"] == percent
                by_unit = await _ok(await reports.get("/api/v1/breakdowns", params={"by": "unit", "year": 2026}))
                [unit_row] = [r for r in by_unit["groups"] if r["key"] == street["id"]]
                assert unit_row["start_or_completion_rate_percent"] == percent
