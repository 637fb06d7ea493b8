"""Supervision tasks: lifecycle (清单化 + 销号), the escalation ladder on given dates, unit-scoped access, problems."""
from datetime import date, timedelta

import pytest

from contracts import alerts as contract
from contracts import registry
from tests.alerts.facts import event, known, project, published, scan, send, tasks, today, unit
from tests.support.api import client, eventually


@pytest.fixture
async def known_project(platform, alerts):
    owner = unit(name="高新区管委会", kind="park")
    state = project(owner.id, name="智能装备产业园", lead_leader="张副市长")
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    return owner, state


async def open_task(alerts, **body) -> dict:
    response = await alerts.post("/api/v1/tasks", json={"title": "协调解决施工用电", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_lifecycle_open_feedback_return_feedback_close(platform, alerts, alerts_events, known_project):
    owner, state = known_project
    task = await open_task(alerts, project_id=state.id, deadline="2027-03-01", description="电力增容未落实")
    assert (task["unit_id"], task["status"], task["source"], task["escalation_level"]) == (
        owner.id, "open", "manual", "none")
    url = f"/api/v1/tasks/{task['id']}"
    async with client(platform.url("alerts"), "tasks:write", unit_id=owner.id) as town:
        response = await town.post(f"{url}/feedback", json={"feedback": "已与供电公司对接，月底前完成增容"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "feedback_submitted"
        assert (await town.post(f"{url}/close", json={"verification_note": "ok"})).status_code == 403
        assert (await town.post(f"{url}/return", json={"reason": "x"})).status_code == 403
    returned = await alerts.post(f"{url}/return", json={"reason": "增容方案未获批复，请补充材料"})
    assert returned.status_code == 200 and returned.json()["status"] == "open"
    assert returned.json()["return_reason"] == "增容方案未获批复，请补充材料"
    assert (await alerts.post(f"{url}/close", json={"verification_note": "x"})).status_code == 409
    assert (await alerts.post(f"{url}/return", json={"reason": "x"})).status_code == 409
    assert (await alerts.post(f"{url}/feedback", json={"feedback": "增容方案已批复"})).status_code == 200
    closed = await alerts.post(f"{url}/close", json={"verification_note": "现场核验已通电，同意销号"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["verification_note"] == "现场核验已通电，同意销号"
    assert (await alerts.post(f"{url}/feedback", json={"feedback": "x"})).status_code == 409
    detail = (await alerts.get(url)).json()
    assert [h["action"] for h in detail["history"]] == ["opened", "feedback", "returned", "feedback", "closed"]
    subject = state.id
    assert (await alerts_events.wait_for(contract.TaskClosed, subject=subject)).verification_note == "现场核验已通电，同意销号"
    assert (await alerts_events.wait_for(contract.TaskReturned, subject=subject)).reason.startswith("增容方案")
    assert len(await alerts_events.all(contract.TaskFeedback, subject=subject)) == 2
    assert (await alerts_events.wait_for(contract.TaskOpened, subject=subject)).source == "manual"


async def test_escalation_ladder_on_given_dates(alerts, alerts_events, known_project):
    owner, state = known_project
    task = await open_task(alerts, project_id=state.id, deadline="2027-03-01")
    url = f"/api/v1/tasks/{task['id']}"

    async def level_on(day):
        await scan(alerts, day)
        return (await alerts.get(url)).json()["escalation_level"]

    assert await level_on("2027-03-01") == "none"
    assert await level_on("2027-03-02") == "unit_head"
    assert await level_on("2027-03-07") == "unit_head"
    assert await level_on("2027-03-08") == "lead_leader"
    assert await level_on("2027-03-15") == "lead_leader"
    assert await level_on("2027-03-16") == "accountability"
    assert await level_on("2027-03-16") == "accountability"  # again: nothing more
    await alerts_events.wait_for(contract.TaskEscalated, subject=state.id, count=3)
    escalations = await alerts_events.all(contract.TaskEscalated, subject=state.id)
    assert [(e.escalation_level, e.days_late, e.escalated_to) for e in escalations] == [
        ("unit_head", 1, "高新区管委会主要负责人"), ("lead_leader", 7, "张副市长"), ("accountability", 15, "问责")]
    assert [h["action"] for h in (await alerts.get(url)).json()["history"]] == ["opened"] + ["escalated"] * 3

    # Beyond 15 days past the deadline the project itself turns red (a late task does not open another task).
    await scan(alerts, "2027-03-17")
    [late] = [a for a in (await alerts.get("/api/v1/alerts", params={"project_id": state.id, "active": True})).json()[
        "items"]]
    assert (late["rule"], late["colour"]) == ("task_late", "red")
    assert late["message"] == "督办事项「协调解决施工用电」已超期 16 天未办结"
    assert len(await tasks(alerts, project_id=state.id)) == 1
    assert len(await tasks(alerts, unit_id=owner.id, escalation_level="accountability")) == 1
    assert len(await tasks(alerts, unit_id=owner.id, late=True, as_of="2027-03-17")) == 1
    assert len(await tasks(alerts, unit_id=owner.id, late=True, as_of="2027-03-01")) == 0

    # The unit reports back: no longer late, the red alert clears.
    await alerts.post(f"{url}/feedback", json={"feedback": "已完成"})
    assert [a["rule"] for a in (await alerts.get("/api/v1/alerts", params={"project_id": state.id,
                                                                             "active": True})).json()["items"]] == []


async def test_the_office_escalates_a_task_by_hand_one_rung_at_a_time(platform, alerts, alerts_events,
                                                                     known_project):
    """提级督办: before its deadline, by the office's decision and with its reason; the scan never moves it back."""
    owner, state = known_project
    task = await open_task(alerts, project_id=state.id, deadline="2027-03-01")
    url = f"/api/v1/tasks/{task['id']}/escalate"
    async with client(platform.url("alerts"), "tasks:write", unit_id=owner.id) as town:
        assert (await town.post(url, json={"reason": "多次催办未果"})).status_code == 403
    assert (await alerts.post(url, json={})).status_code == 422
    steps = []
    for reason in ("多次催办未果", "影响全市开工率", "严重滞后"):
        moved = await alerts.post(url, json={"reason": reason})
        assert moved.status_code == 200, moved.text
        steps.append(moved.json()["escalation_level"])
    assert steps == ["unit_head", "lead_leader", "accountability"]
    top = await alerts.post(url, json={"reason": "再提一级"})
    assert top.status_code == 409 and top.headers["content-type"] == "application/problem+json"
    await alerts_events.wait_for(contract.TaskEscalated, subject=state.id, count=3)
    escalations = await alerts_events.all(contract.TaskEscalated, subject=state.id)
    assert [(e.escalation_level, e.days_late, e.escalated_to) for e in escalations] == [
        ("unit_head", 0, "高新区管委会主要负责人"), ("lead_leader", 0, "张副市长"), ("accountability", 0, "问责")]
    history = (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()["history"]
    assert [h["action"] for h in history] == ["opened", "escalated", "escalated", "escalated"]
    assert history[1]["note"] == "高新区管委会主要负责人：多次催办未果"
    await scan(alerts, "2027-03-02")  # the ladder by date is lower: it stays where the office put it
    assert (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()["escalation_level"] == "accountability"
    assert len(await alerts_events.all(contract.TaskEscalated, subject=state.id)) == 3


async def test_an_office_may_escalate_on_the_deadline_day_itself(alerts, known_project, restore):
    # By default the unit head hears of a task once it is late (the day after its deadline, above); an office that
    # wants it on the deadline day sets the first rung to 0 days.
    _, state = known_project
    task = await open_task(alerts, project_id=state.id, deadline="2027-08-02")
    restore.append("tasks")
    changed = await alerts.put("/api/v1/rules/tasks", json={"thresholds": {"unit_head_days": 0}})
    assert changed.status_code == 200, changed.text
    levels = {}
    for day in ("2027-08-01", "2027-08-02"):
        await scan(alerts, day)
        levels[day] = (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()["escalation_level"]
    assert levels == {"2027-08-01": "none", "2027-08-02": "unit_head"}


async def test_dates_out_of_range_are_422_not_500(alerts, known_project):
    _, state = known_project
    cases = [("post", "/api/v1/admin/scan", {"params": {"date": "9999-12-31"}}, "date"),
             ("post", "/api/v1/admin/scan", {"params": {"date": "0001-01-03"}}, "date"),
             ("get", "/api/v1/tasks", {"params": {"as_of": "9999-12-31"}}, "as_of"),
             ("post", "/api/v1/tasks", {"json": {"title": "x", "project_id": state.id, "deadline": "9999-12-31"}},
              "deadline"),
             ("post", f"/api/v1/projects/{state.id}/problems",
              {"json": {"type": "land", "description": "x", "solving_unit_id": state.responsible_unit_id,
                        "deadline": "9999-12-31"}}, "deadline"),
             ("post", "/api/v1/supervision-rounds", {"json": {"date": "0001-01-01"}}, "date")]
    for method, url, request, field in cases:
        response = await getattr(alerts, method)(url, **request)
        assert response.status_code == 422, (url, request, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text


async def test_a_scan_past_several_rungs_records_each_step(alerts, alerts_events, known_project):
    _, state = known_project
    task = await open_task(alerts, project_id=state.id, deadline="2027-05-01")
    await scan(alerts, "2027-05-20")
    assert (await alerts.get(f"/api/v1/tasks/{task['id']}")).json()["escalation_level"] == "accountability"
    steps = []

    async def three():
        steps[:] = [e for e in await alerts_events.all(contract.TaskEscalated, subject=state.id) if e.id == task["id"]]
        return len(steps) >= 3

    await eventually(three, timeout=30, what="three escalations published")
    assert [e.escalation_level for e in steps] == ["unit_head", "lead_leader", "accountability"]
    assert {e.as_of.isoformat() for e in steps} == {"2027-05-20"}


async def test_feedback_stops_the_clock_and_a_resolvable_task_does_not_escalate(alerts, known_project):
    _, state = known_project
    waiting = await open_task(alerts, project_id=state.id, deadline="2027-06-01")
    await alerts.post(f"/api/v1/tasks/{waiting['id']}/feedback", json={"feedback": "已整改"})
    await scan(alerts, "2027-06-20")
    assert (await alerts.get(f"/api/v1/tasks/{waiting['id']}")).json()["escalation_level"] == "none"


async def test_a_task_announces_when_its_alert_clears_and_turns_red_again_and_reports_follow(
        platform, alerts, reports, alerts_events, restore):
    # Late in reports means past its deadline by today: the task is opened by a scan 20 days ago, so the rule is off
    # while the project arrives (evaluated as of today) and back on for that scan.
    restore.append("signed_without_land")
    now = today()
    scanned_on = now - timedelta(days=20)
    owner = unit()
    state = project(owner.id, stage="signed", stage_dates={"signed": str(scanned_on - timedelta(days=200))})

    def signed(on: date, version: int) -> registry.ProjectUpdated:
        return registry.ProjectUpdated.model_validate({**state.model_dump(mode="json"), "version": version,
                                                       "stage_dates": {"signed": str(on)}, "changed": ["stage_dates"]})

    async def counted_in_reports(open_tasks: int, late_tasks: int) -> None:
        async def check():
            response = await reports.get("/api/v1/overview", params={"unit_id": owner.id})
            assert response.status_code == 200, response.text
            return (response.json()["open_tasks"], response.json()["late_tasks"]) == (open_tasks, late_tasks)

        await eventually(check, timeout=60, what=f"reports counting {open_tasks} open, {late_tasks} late task(s)")

    assert (await alerts.put("/api/v1/rules/signed_without_land", json={"enabled": False})).status_code == 200
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    assert (await alerts.put("/api/v1/rules/signed_without_land", json={"enabled": True})).status_code == 200
    await scan(alerts, str(scanned_on))
    [task] = await tasks(alerts, project_id=state.id)
    assert (task["rule"], task["deadline"], task["resolvable"]) == ("signed_without_land",
                                                                     str(scanned_on + timedelta(days=15)), False)
    await counted_in_reports(1, 1)

    # The signing date corrected to today: the alert clears, the task only awaits 销号 and is late no more.
    await send(platform, event(signed(now, 2), state.id))
    await known(alerts, state.id, version=2)
    [cleared] = await published(alerts_events, contract.TaskResolvableChanged, subject=state.id, id=task["id"])
    assert (cleared.resolvable, cleared.status, cleared.as_of, cleared.alert_id) == (True, "open", now,
                                                                                     task["alert_id"])
    await counted_in_reports(1, 0)

    # Signed long ago after all: red again, the same task is handed the new alert and is late again.
    await send(platform, event(signed(now - timedelta(days=200), 3), state.id))
    await known(alerts, state.id, version=3)
    [again] = await published(alerts_events, contract.TaskResolvableChanged, subject=state.id, id=task["id"],
                              resolvable=False)
    [reused] = await tasks(alerts, project_id=state.id)
    assert (reused["id"], reused["resolvable"], again.alert_id, again.as_of) == (task["id"], False,
                                                                                reused["alert_id"], now)
    assert again.alert_id != task["alert_id"]
    await counted_in_reports(1, 1)
    # Once per change.
    changes = await alerts_events.all(contract.TaskResolvableChanged, subject=state.id)
    assert [c.resolvable for c in changes] == [True, False]


async def test_unit_tokens_see_and_answer_only_their_units_tasks(platform, alerts, known_project):
    owner, state = known_project
    other = unit()
    await send(platform, event(other, other.id))
    mine = await open_task(alerts, project_id=state.id, deadline="2027-03-01")
    theirs = await open_task(alerts, unit_id=other.id, deadline="2027-03-01", title="闲置厂房盘活")
    async with client(platform.url("alerts"), "tasks:write", unit_id=owner.id) as town:
        listed = (await town.get("/api/v1/tasks", params={"limit": 500})).json()["items"]
        assert {t["unit_id"] for t in listed} == {owner.id} and mine["id"] in {t["id"] for t in listed}
        assert (await town.get("/api/v1/tasks", params={"unit_id": other.id})).status_code == 403
        assert (await town.get(f"/api/v1/tasks/{theirs['id']}")).status_code == 404
        assert (await town.post(f"/api/v1/tasks/{theirs['id']}/feedback", json={"feedback": "x"})).status_code == 404
        assert (await town.post("/api/v1/tasks", json={"title": "x", "unit_id": owner.id})).status_code == 403
        assert (await town.post(f"/api/v1/tasks/{mine['id']}/feedback", json={"feedback": "已办"})).status_code == 200
    async with client(platform.url("alerts"), "reports:read") as reader:
        assert (await reader.get("/api/v1/tasks")).status_code == 200
        assert (await reader.post("/api/v1/tasks", json={"title": "x", "unit_id": owner.id})).status_code == 403
    async with client(platform.url("alerts"), auth=False) as anonymous:
        assert (await anonymous.get("/api/v1/tasks")).status_code == 401


async def test_task_validation(alerts, known_project):
    _, state = known_project
    assert (await alerts.post("/api/v1/tasks", json={"title": "x"})).status_code == 422           # no unit
    assert (await alerts.post("/api/v1/tasks", json={"title": "x", "project_id": "nope"})).status_code == 404
    past = await alerts.post("/api/v1/tasks", json={"title": "x", "project_id": state.id, "deadline": "2020-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "deadline"
    assert (await alerts.post("/api/v1/tasks", json={"title": "", "unit_id": "u"})).status_code == 422
    assert (await alerts.post("/api/v1/tasks", json={"title": "x", "unit_id": "u", "colour": 1})).status_code == 422
    assert (await alerts.get("/api/v1/tasks/nope")).status_code == 404
    assert (await alerts.get("/api/v1/tasks", params={"status": "lost"})).status_code == 422


async def test_an_idempotency_key_opens_one_task(alerts, known_project):
    _, state = known_project
    body = {"title": "协调解决施工用电", "project_id": state.id, "deadline": "2027-09-01"}
    first = await alerts.post("/api/v1/tasks", json=body, headers={"Idempotency-Key": f"t-{state.id}"})
    again = await alerts.post("/api/v1/tasks", json=body, headers={"Idempotency-Key": f"t-{state.id}"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert len(await tasks(alerts, project_id=state.id)) == 1


async def test_a_problem_opens_a_task_for_the_solving_unit(platform, alerts, alerts_events, known_project):
    owner, state = known_project
    bureau = unit(name="市自然资源和规划局", kind="department")
    await send(platform, event(bureau, bureau.id))
    body = {"type": "land", "description": "用地指标不足，需调整土地利用规划", "solving_unit_id": bureau.id,
            "deadline": "2027-04-30"}
    async with client(platform.url("alerts"), "tasks:write", unit_id=owner.id) as town:
        # Handing work to another unit is the office's (交办): a town may not open a task for the bureau itself.
        refused = await town.post(f"/api/v1/projects/{state.id}/problems", json=body)
        assert refused.status_code == 403, refused.text
        assert (await alerts.get(f"/api/v1/projects/{state.id}/problems")).json() == []
        own = await town.post(f"/api/v1/projects/{state.id}/problems", json={**body, "solving_unit_id": owner.id})
        assert own.status_code == 201 and own.json()["task"]["unit_id"] == owner.id
    reported = await alerts.post(f"/api/v1/projects/{state.id}/problems", json=body)
    assert reported.status_code == 201, reported.text
    problem = reported.json()
    task = problem["task"]
    assert (task["unit_id"], task["source"], task["problem_type"], task["problem_id"], task["deadline"]) == (
        bureau.id, "problem", "land", problem["id"], "2027-04-30")
    assert task["title"] == "智能装备产业园：用地问题"
    opened = []

    async def published():
        opened[:] = [e for e in await alerts_events.all(contract.TaskOpened, subject=state.id) if e.id == task["id"]]
        return bool(opened)

    await eventually(published, timeout=30, what="TaskOpened of the problem")
    assert opened[0].problem_id == problem["id"] and opened[0].problem_type == "land"
    listed = (await alerts.get(f"/api/v1/projects/{state.id}/problems")).json()
    assert [p["id"] for p in listed][-1] == problem["id"] and listed[-1]["task"]["status"] == "open"
    async with client(platform.url("alerts"), "tasks:write", unit_id=bureau.id) as stranger:
        assert (await stranger.post(f"/api/v1/projects/{state.id}/problems", json=body)).status_code == 403
    assert (await alerts.post(f"/api/v1/projects/{state.id}/problems",
                              json={**body, "type": "weather"})).status_code == 422
    assert (await alerts.post("/api/v1/projects/nope/problems", json=body)).status_code == 404
