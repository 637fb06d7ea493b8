"""Nodes: completion rules, rescheduling with a reason and a kept baseline, reassignment, custom nodes, unit-bound
tokens, and the office's cross-project lists."""
from datetime import date

import pytest

from tests.milestones.flows import known_project, nodes, parallel_template, schedule
from tests.support.api import client
from tests.support.factories import create_unit


@pytest.fixture
async def planned(registry, milestones):
    """A project on the parallel template, forward from 2026-01-01: a 01-01, b 01-11, c 01-21, d 01-26, e 02-25."""
    template = await parallel_template(milestones)
    unit = await create_unit(registry)
    project = await known_project(registry, milestones, unit_id=unit["id"])
    await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2026-01-01")
    return project, await nodes(milestones, project["id"])


async def complete(milestones, node, **body):
    return await milestones.post(f"/api/v1/milestones/{node['id']}/complete", json=body)


async def test_completion_rules(milestones, planned):
    _, by_key = planned
    future = await complete(milestones, by_key["a"], actual_date="2099-01-01")
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "actual_date"
    early = await complete(milestones, by_key["b"], actual_date="2026-01-10")
    assert early.status_code == 409 and "a" in early.json()["detail"]
    assert (await complete(milestones, by_key["a"], actual_date="2026-01-02", evidence=["签约合同.pdf"])).status_code == 200
    before_predecessor = await complete(milestones, by_key["b"], actual_date="2026-01-01")
    assert before_predecessor.status_code == 409 and "done after" in before_predecessor.json()["detail"]
    no_reason = await complete(milestones, by_key["d"], actual_date="2026-01-26", force=True)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    forced = await complete(milestones, by_key["d"], actual_date="2026-01-28", force=True, reason="许可证已先行核发")
    assert forced.status_code == 200, forced.text
    body = forced.json()
    assert (body["status"], body["days_late"], body["forced"], body["completed_by"]) == ("done_late", 2, True, "manual")
    assert (await complete(milestones, by_key["d"], actual_date="2026-01-28")).status_code == 409
    done = await complete(milestones, by_key["b"], actual_date="2026-01-11", note="按期")
    assert done.json()["status"] == "done_on_time" and done.json()["note"] == "按期"
    history = (await milestones.get(f"/api/v1/milestones/{by_key['d']['id']}/history")).json()["items"]
    assert history[-1]["action"] == "completed" and history[-1]["reason"] == "许可证已先行核发"
    assert history[-1]["changes"]["forced_past"]["after"] == ["b", "c"]


async def test_reschedule_keeps_the_baseline_and_needs_a_reason(milestones, planned):
    _, by_key = planned
    url = f"/api/v1/milestones/{by_key['c']['id']}"
    no_reason = await milestones.patch(url, json={"planned_date": "2026-03-01"})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    moved = await milestones.patch(url, json={"planned_date": "2026-03-01", "reason": "环评专家评审推迟",
                                              "cascade": True})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["planned_date"], moved.json()["baseline_date"]) == ("2026-03-01", "2026-01-21")
    assert moved.json()["pinned"] is True
    after = await nodes(milestones, by_key["c"]["project_id"])
    assert (after["d"]["planned_date"], after["e"]["planned_date"]) == ("2026-03-06", "2026-04-05")
    assert (after["d"]["baseline_date"], after["e"]["baseline_date"]) == ("2026-01-26", "2026-02-25")
    assert after["b"]["planned_date"] == "2026-01-11"  # not after c: untouched
    history = (await milestones.get(f"{url}/history")).json()["items"]
    assert history[-1]["action"] == "rescheduled" and history[-1]["reason"] == "环评专家评审推迟"
    assert history[-1]["changes"]["planned_date"] == {"before": "2026-01-21", "after": "2026-03-01"}
    await complete(milestones, by_key["a"], actual_date="2026-01-01")
    done = await milestones.patch(f"/api/v1/milestones/{by_key['a']['id']}",
                                  json={"planned_date": "2026-02-01", "reason": "x"})
    assert done.status_code == 409


async def test_reassign_and_edit(milestones, planned):
    _, by_key = planned
    unit = "00000000-0000-0000-0000-00000000000a"
    response = await milestones.patch(f"/api/v1/milestones/{by_key['b']['id']}", json={
        "responsible_unit_id": unit, "responsible_person": "李四", "weight": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["responsible_unit_id"], body["responsible_person"], body["weight"]) == (unit, "李四", 3)
    actions = [c["action"] for c in (await milestones.get(f"/api/v1/milestones/{body['id']}/history")).json()["items"]]
    assert actions == ["reassigned", "updated"]


async def test_add_and_remove_custom_nodes(milestones, planned):
    project, by_key = planned
    url = f"/api/v1/projects/{project['id']}/milestones"
    added = await milestones.post(url, json={"key": "fire_check", "name": "消防验收", "planned_date": "2026-02-10",
                                             "predecessors": ["d"], "duration_days": 10})
    assert added.status_code == 201, added.text
    assert added.json()["custom"] is True and added.json()["baseline_date"] == "2026-02-10"
    assert added.json()["responsible_unit_id"] == project["responsible_unit_id"]
    assert (await milestones.post(url, json={"key": "fire_check", "name": "x",
                                             "planned_date": "2026-02-10"})).status_code == 409
    unknown = await milestones.post(url, json={"key": "y", "name": "y", "planned_date": "2026-02-10",
                                               "predecessors": ["ghost"]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "predecessors[0]"

    removed = await milestones.delete(f"{url}/{by_key['d']['id']}", params={"reason": "合并到施工许可"})
    assert removed.status_code == 204
    after = await nodes(milestones, project["id"])
    assert "d" not in after
    assert after["e"]["predecessors"] == ["b", "c"] and after["fire_check"]["predecessors"] == ["b", "c"]
    assert (await milestones.get(f"/api/v1/milestones/{by_key['d']['id']}")).status_code == 404
    history = (await milestones.get(f"/api/v1/milestones/{by_key['d']['id']}/history")).json()["items"]
    assert history[-1]["action"] == "removed" and history[-1]["reason"] == "合并到施工许可"

    await complete(milestones, by_key["a"], actual_date="2026-01-01")
    assert (await milestones.delete(f"{url}/{by_key['a']['id']}")).status_code == 409


async def test_unit_bound_tokens_write_only_their_units_nodes(platform, registry, milestones, planned):
    project, by_key = planned
    other = await create_unit(registry)
    url = platform.url("milestones")
    body = {"planned_date": "2026-01-15", "reason": "提前"}
    async with client(url, "milestones:write", unit_id=other["id"]) as stranger:
        assert (await stranger.patch(f"/api/v1/milestones/{by_key['b']['id']}", json=body)).status_code == 403
        assert (await complete(stranger, by_key["a"], actual_date="2026-01-01")).status_code == 403
    async with client(url, "milestones:write", unit_id=project["responsible_unit_id"]) as own:
        assert (await own.patch(f"/api/v1/milestones/{by_key['b']['id']}", json=body)).status_code == 200
        assert (await complete(own, by_key["a"], actual_date="2026-01-01")).status_code == 200
    async with client(url, "projects:read") as reader:
        assert (await reader.patch(f"/api/v1/milestones/{by_key['b']['id']}", json=body)).status_code == 403
        assert (await reader.get(f"/api/v1/milestones/{by_key['b']['id']}")).status_code == 200


async def test_the_overdue_list_across_projects(milestones, planned):
    project, by_key = planned
    await complete(milestones, by_key["a"], actual_date="2026-01-01")
    await complete(milestones, by_key["b"], actual_date="2026-01-15")
    unit = project["responsible_unit_id"]

    async def keys(**params):
        response = await milestones.get("/api/v1/milestones", params={"unit_id": unit, "as_of": "2026-02-01",
                                                                      **params})
        assert response.status_code == 200, response.text
        return [(n["key"], n["status"], n["days_late"]) for n in response.json()["items"]]

    assert await keys(status="overdue") == [("c", "overdue", 11), ("d", "overdue", 6)]
    assert await keys(status="overdue", min_days_late=10) == [("c", "overdue", 11)]
    assert await keys(min_days_late=4) == [("b", "done_late", 4), ("c", "overdue", 11), ("d", "overdue", 6)]
    assert await keys(status="overdue", due_before="2026-01-22") == [("c", "overdue", 11)]
    assert await keys(status=["done_late", "done_on_time"]) == [("a", "done_on_time", 0), ("b", "done_late", 4)]
    assert await keys(status="pending") == [("e", "pending", 0)]
    assert await keys(status="due_soon", as_of="2026-02-20") == [("e", "due_soon", 0)]
    assert await keys(project_id=project["id"], critical="true") == [("a", "done_on_time", 0),
                                                                     ("c", "overdue", 11), ("d", "overdue", 6),
                                                                     ("e", "pending", 0)]
    first = (await milestones.get("/api/v1/milestones", params={"unit_id": unit, "limit": 2})).json()
    second = (await milestones.get("/api/v1/milestones", params={"unit_id": unit, "limit": 2,
                                                                 "cursor": first["next_cursor"]})).json()
    third = (await milestones.get("/api/v1/milestones", params={"unit_id": unit, "limit": 2,
                                                                "cursor": second["next_cursor"]})).json()
    assert [n["key"] for n in first["items"] + second["items"] + third["items"]] == ["a", "b", "c", "d", "e"]
    assert third["next_cursor"] is None
    bad = await milestones.get("/api/v1/milestones", params={"status": "late"})
    assert bad.status_code == 422


async def test_unknown_nodes_and_projects_are_404(milestones):
    assert (await milestones.get("/api/v1/milestones/nope")).status_code == 404
    assert (await milestones.post("/api/v1/milestones/nope/complete",
                                  json={"actual_date": "2026-01-01"})).status_code == 404
    assert (await milestones.get("/api/v1/projects/nope/milestones")).status_code == 404
    assert (await milestones.get("/api/v1/milestones/nope/history")).status_code == 404


async def test_dates_out_of_range_are_422_not_500(milestones, planned):
    project, by_key = planned
    b = by_key["b"]["id"]
    cases = [("patch", f"/api/v1/milestones/{b}", {"json": {"planned_date": "0001-01-03", "reason": "x"}},
              "planned_date"),
             ("post", f"/api/v1/milestones/{b}/complete", {"json": {"actual_date": "0001-01-03"}}, "actual_date"),
             ("post", f"/api/v1/projects/{project['id']}/milestones",
              {"json": {"key": "early", "name": "x", "planned_date": "0001-01-03"}}, "planned_date"),
             ("get", "/api/v1/milestones", {"params": {"as_of": "9999-12-31"}}, "as_of"),
             ("get", "/api/v1/milestones", {"params": {"due_before": "0001-01-01"}}, "due_before"),
             ("get", f"/api/v1/projects/{project['id']}/milestones", {"params": {"as_of": "9999-12-31"}}, "as_of"),
             ("get", f"/api/v1/projects/{project['id']}/critical-path", {"params": {"as_of": "9999-12-31"}}, "as_of"),
             ("post", "/api/v1/admin/scan", {"params": {"date": "9999-12-31"}}, "date")]
    for method, url, request, field in cases:
        response = await getattr(milestones, method)(url, **request)
        assert response.status_code == 422, (url, request, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    # The edges of the range are fine.
    assert (await milestones.get("/api/v1/milestones", params={"as_of": "2999-12-31", "limit": 1})).status_code == 200


async def test_dates_outside_the_projects_plausible_years_are_422_and_change_nothing(milestones, planned):
    """Seen: year 1 and 9999 were taken (and then no schedule could be made). A 2026 project's dates lie in 2016–2046."""
    project, by_key = planned
    b = by_key["b"]
    cases = [("patch", f"/api/v1/milestones/{b['id']}", {"planned_date": "2099-01-03", "reason": "笔误"},
              "planned_date"),
             ("post", f"/api/v1/milestones/{b['id']}/complete", {"actual_date": "1999-01-03"}, "actual_date"),
             ("post", f"/api/v1/projects/{project['id']}/milestones",
              {"key": "early", "name": "x", "planned_date": "2015-12-31"}, "planned_date"),
             ("post", f"/api/v1/projects/{project['id']}/schedule",
              {"anchor_date": "2047-01-01", "reason": "笔误"}, "anchor_date"),
             ("post", f"/api/v1/projects/{project['id']}/schedule",
              {"anchor_date": "2027-01-01", "reason": "笔误", "overrides": {"b": {"planned_date": "1980-05-01"}}},
              "overrides.b.planned_date")]
    for method, url, body, field in cases:
        response = await getattr(milestones, method)(url, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
        assert "2016–2046" in response.json()["errors"][0]["message"]
    after = await nodes(milestones, project["id"])
    assert (after["b"]["planned_date"], after["b"]["actual_date"], set(after)) == (
        b["planned_date"], None, set(by_key))


async def test_a_rescheduled_node_done_on_its_new_date_is_still_late_against_the_baseline(registry, milestones):
    """Seen: rescheduling an overdue node and completing it turned it into 'done on time' with no trace."""
    project = await known_project(registry, milestones)
    await schedule(milestones, project["id"], anchor_date="2027-06-30")  # the plan as drawn up, already under way
    by_key = await nodes(milestones, project["id"])
    permit = by_key["planning_permit"]
    baseline = permit["baseline_date"]
    moved = await milestones.patch(f"/api/v1/milestones/{permit['id']}", json={
        "planned_date": "2026-11-30", "reason": "规划调整"})
    assert moved.status_code == 200, moved.text
    done = await milestones.post(f"/api/v1/milestones/{permit['id']}/complete", json={
        "actual_date": "2026-11-30", "force": True, "reason": "供地手续另行办理"})
    assert done.status_code == 200, done.text
    node = (await milestones.get(f"/api/v1/milestones/{permit['id']}")).json()
    assert node["status"] == "done_on_time" and node["baseline_date"] == baseline
    assert node["baseline_status"] == "done_late"
    assert node["baseline_days_late"] == (date(2026, 11, 30) - date.fromisoformat(baseline)).days > 0
