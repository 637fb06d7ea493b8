"""Problems (堵点) have a status of their own and a list across projects, by solving unit, status and age."""
from tests.alerts.facts import event, known, project, send, unit
from tests.support.api import client


async def test_a_problem_is_worked_by_its_solving_unit_and_listed_across_projects(platform, alerts):
    town, bureau = unit(name="城关镇"), unit(name="市自然资源和规划局", kind="department")
    first, second = project(town.id), project(town.id)
    await send(platform, event(town, town.id), event(bureau, bureau.id), event(first, first.id),
               event(second, second.id))
    for p in (first, second):
        await known(alerts, p.id)
    body = {"type": "land", "description": "用地指标不足", "solving_unit_id": bureau.id, "deadline": "2027-04-30"}
    problems = []
    for p in (first, second):
        response = await alerts.post(f"/api/v1/projects/{p.id}/problems", json=body)
        assert response.status_code == 201, response.text
        problems.append(response.json())
    assert problems[0]["status"] == "open"

    listed = (await alerts.get("/api/v1/problems", params={"solving_unit_id": bureau.id, "status": "open"})).json()
    # oldest first; reported the same day, by id
    assert [p["id"] for p in listed["items"]] == sorted(p["id"] for p in problems)
    url = f"/api/v1/problems/{problems[0]['id']}/status"
    async with client(platform.url("alerts"), "tasks:write", unit_id=town.id) as not_solving:
        assert (await not_solving.post(url, json={"status": "solved"})).status_code == 403
    async with client(platform.url("alerts"), "tasks:write", unit_id=bureau.id) as solving:
        moved = await solving.post(url, json={"status": "in_progress", "note": "已启动规划调整"})
        assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
        assert (await solving.post(url, json={"status": "escalated"})).status_code == 409  # the office's
        mine = (await solving.get("/api/v1/problems")).json()["items"]
        assert {p["solving_unit_id"] for p in mine} == {bureau.id}
    escalated = await alerts.post(f"/api/v1/problems/{problems[1]['id']}/status", json={"status": "escalated"})
    assert escalated.status_code == 200
    history = escalated.json()["history"]
    assert [(h["from"], h["to"]) for h in history] == [("open", "escalated")]
    in_progress = (await alerts.get("/api/v1/problems", params={"solving_unit_id": bureau.id,
                                                                 "status": "in_progress"})).json()["items"]
    assert [p["id"] for p in in_progress] == [problems[0]["id"]]
    reported = problems[0]["reported_on"]
    aged = (await alerts.get("/api/v1/problems", params={"solving_unit_id": bureau.id, "min_age_days": 30,
                                                          "as_of": "2099-01-01"})).json()["items"]
    assert len(aged) == 2 and aged[0]["age_days"] > 30
    young = (await alerts.get("/api/v1/problems", params={"solving_unit_id": bureau.id, "min_age_days": 30,
                                                           "as_of": reported})).json()["items"]
    assert young == []
    assert (await alerts.post(url, json={"status": "closed"})).status_code == 422
