"""Schedules: generated on registration from the category's template, by request backward or forward with checked
dates on parallel branches, regenerated with a reason, and their critical path."""
from tests.milestones.flows import dates, known_project, nodes, parallel_template, schedule, unique_key
from tests.support.api import client

# Backward from 2031-06-30 by the template alone the start falls on 2030-09-18; the project plans it on 2030-09-01,
# so the start stays there and the approvals before it are derived from it.
INDUSTRIAL_BACKWARD_2031_06_30 = {
    "signed": "2030-04-14", "land_supplied": "2030-06-13", "planning_permit": "2030-07-28",
    "environmental_approval": "2030-07-28", "construction_permit": "2030-08-17", "started": "2030-09-01",
    "real_start": "2030-10-03", "topped_out": "2031-04-01", "completion_acceptance": "2031-06-30",
    "in_operation": "2031-07-30", "statistics_included": "2030-11-02",
}


async def test_registered_with_a_planned_completion_gets_a_backward_schedule(registry, milestones):
    project = await known_project(registry, milestones, planned_start_date="2030-09-01",
                                  planned_completion_date="2031-06-30")
    body = (await milestones.get(f"/api/v1/projects/{project['id']}/schedule")).json()
    assert (body["template"], body["mode"], body["anchor_date"], body["anchor_key"]) == (
        "industrial", "backward", "2031-06-30", "completion_acceptance")
    assert body["generated_by"] == "milestones" and body["revision"] == 1 and body["calendar"] == "calendar"
    assert dates(body) == INDUSTRIAL_BACKWARD_2031_06_30
    assert dates(body, "baseline_date") == INDUSTRIAL_BACKWARD_2031_06_30
    # The start 17 days earlier than the template needs leaves that much float: done as soon as possible, 13 July.
    assert (body["projected_completion_date"], body["slip_days"]) == ("2031-07-13", -17)
    assert (body["replanned_from"], body["notes"]) == (None, [])
    signed = next(n for n in body["milestones"] if n["key"] == "signed")
    assert signed["responsible_unit_id"] == project["responsible_unit_id"]
    assert signed["status"] == "pending"


async def test_a_start_the_template_needs_earlier_than_planned_is_said(registry, milestones):
    project = await known_project(registry, milestones, planned_start_date="2030-10-01",
                                  planned_completion_date="2031-06-30")
    body = (await milestones.get(f"/api/v1/projects/{project['id']}/schedule")).json()
    assert dates(body)["started"] == "2030-09-18"
    assert body["notes"] == ["按模板工期倒排，开工节点需于 2030-09-18，早于项目计划开工日期 2030-10-01 13 天"]


async def test_registered_with_only_a_planned_start_gets_a_forward_schedule(registry, milestones):
    project = await known_project(registry, milestones, category="infrastructure",
                                  planned_start_date="2030-03-01")
    body = (await milestones.get(f"/api/v1/projects/{project['id']}/schedule")).json()
    assert (body["template"], body["mode"], body["anchor_key"]) == ("infrastructure", "forward", "started")
    planned = dates(body)
    assert planned["started"] == "2030-03-01"
    assert planned["construction_permit"] == "2030-02-19"  # 10 days before the start
    assert planned["real_start"] == "2030-03-16"
    assert body["notes"] == []


async def test_a_project_without_planned_dates_waits_for_a_request(registry, milestones):
    project = await known_project(registry, milestones)
    assert (await milestones.get(f"/api/v1/projects/{project['id']}/schedule")).status_code == 404
    missing = await milestones.post(f"/api/v1/projects/{project['id']}/schedule", json={"mode": "backward"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "anchor_date"


async def test_forward_and_backward_over_parallel_branches(registry, milestones):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    forward = await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2026-01-01")
    assert dates(forward) == {"a": "2026-01-01", "b": "2026-01-11", "c": "2026-01-21", "d": "2026-01-26",
                              "e": "2026-02-25"}
    assert forward["anchor_key"] is None

    other = await known_project(registry, milestones)
    backward = await schedule(milestones, other["id"], template=template, mode="backward", anchor_date="2026-06-30")
    assert dates(backward) == {"a": "2026-05-06", "b": "2026-05-26", "c": "2026-05-26", "d": "2026-05-31",
                               "e": "2026-06-30"}


async def test_working_calendar_follows_the_official_holidays_and_make_up_days(registry, milestones):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    body = await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2026-01-02",
                          calendar="working")
    assert body["calendar"] == "working"
    # 2 January 2026 is a New Year holiday: the start rolls to Sunday 4 January, a make-up working day; e's thirty
    # working days cross the Spring Festival (15-23 February off, Saturdays 14 and 28 February worked).
    assert dates(body) == {"a": "2026-01-04", "b": "2026-01-16", "c": "2026-01-30", "d": "2026-02-06",
                           "e": "2026-03-26"}


async def test_overrides_pin_and_omit_nodes(registry, milestones):
    project = await known_project(registry, milestones)
    body = await schedule(milestones, project["id"], mode="forward", anchor_date="2026-03-01", omit=[
        "environmental_approval"], overrides={"topped_out": {"duration_days": 200, "responsible_person": "张三"},
                                              "signed": {"planned_date": "2025-09-01"}})
    by_key = {n["key"]: n for n in body["milestones"]}
    assert "environmental_approval" not in by_key
    assert by_key["construction_permit"]["predecessors"] == ["planning_permit"]
    assert by_key["topped_out"]["planned_date"] == "2026-10-02"  # real start 2026-03-16 + 200 days
    assert by_key["topped_out"]["responsible_person"] == "张三"
    assert by_key["signed"]["planned_date"] == "2025-09-01" and by_key["signed"]["pinned"] is True


async def test_bad_requests_are_422_and_unknown_projects_404(registry, milestones):
    project = await known_project(registry, milestones)
    url = f"/api/v1/projects/{project['id']}/schedule"
    cases = [({"template": "nope", "anchor_date": "2026-01-01"}, "template"),
             ({"anchor_date": "2026-01-01", "overrides": {"ghost": {"duration_days": 3}}}, "overrides.ghost"),
             ({"anchor_date": "2026-01-01", "omit": ["ghost"]}, "omit[0]"),
             ({"anchor_date": "2026-01-01", "anchor_key": "ghost"}, "anchor_key"),
             ({"anchor_date": "2026-01-01", "mode": "sideways"}, "mode"),
             ({"anchor_date": "9999-12-01", "mode": "forward"}, "anchor_date"),
             ({"anchor_date": "0001-01-02", "mode": "backward"}, "anchor_date"),
             ({"anchor_date": "2026-01-01", "overrides": {"signed": {"planned_date": "0001-01-01"}}},
              "overrides.signed.planned_date")]
    for body, field in cases:
        response = await milestones.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert (await milestones.post("/api/v1/projects/nope/schedule",
                                  json={"anchor_date": "2026-01-01"})).status_code == 404


async def test_a_schedule_that_would_leave_the_date_range_is_422_naming_the_anchor(registry, milestones):
    # 200 nodes of ten years each, one after the other: 2,000 years from the first node to the last.
    chain = [{"key": f"n{i}", "name": f"节点{i}", "duration_days": 3650, "predecessors": [f"n{i - 1}"] if i else []}
             for i in range(200)]
    template = (await milestones.post("/api/v1/templates", json={"key": unique_key("millennia"), "name": "千年",
                                                                 "nodes": chain})).json()["key"]
    project = await known_project(registry, milestones)
    url = f"/api/v1/projects/{project['id']}/schedule"
    for mode, anchor in (("backward", "1900-01-01"), ("forward", "2999-12-31"), ("forward", "2026-01-01")):
        response = await milestones.post(url, json={"template": template, "mode": mode, "anchor_date": anchor})
        assert response.status_code == 422, (mode, anchor, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["anchor_date"]
    assert (await milestones.get(url)).status_code == 404  # nothing was generated


async def test_regenerating_needs_a_reason_and_keeps_baselines_and_done_nodes(registry, milestones):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    first = await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2026-01-01")
    url = f"/api/v1/projects/{project['id']}/schedule"
    assert (await milestones.post(url, json={"template": template, "anchor_date": "2026-06-30"})).status_code == 409
    a = next(n for n in first["milestones"] if n["key"] == "a")
    done = await milestones.post(f"/api/v1/milestones/{a['id']}/complete", json={"actual_date": "2026-01-03"})
    assert done.status_code == 200, done.text
    again = await schedule(milestones, project["id"], template=template, mode="backward", anchor_date="2026-06-30",
                           reason="开工推迟，按新目标倒排")
    assert again["revision"] == 2
    assert dates(again) == {"a": "2026-01-01", "b": "2026-05-26", "c": "2026-05-26", "d": "2026-05-31",
                            "e": "2026-06-30"}
    assert dates(again, "baseline_date") == dates(first)
    assert dates(again, "actual_date")["a"] == "2026-01-03"
    assert {n["id"] for n in again["milestones"]} == {n["id"] for n in first["milestones"]}
    c = next(n for n in again["milestones"] if n["key"] == "c")
    changes = (await milestones.get(f"/api/v1/milestones/{c['id']}/history")).json()["items"]
    assert [ch["action"] for ch in changes] == ["rescheduled"]
    assert changes[0]["reason"] == "开工推迟，按新目标倒排"


async def test_schedule_requests_replay_with_an_idempotency_key(registry, milestones):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    body = {"template": template, "mode": "forward", "anchor_date": "2026-01-01"}
    url = f"/api/v1/projects/{project['id']}/schedule"
    first = await milestones.post(url, json=body, headers={"Idempotency-Key": "gen-1"})
    second = await milestones.post(url, json=body, headers={"Idempotency-Key": "gen-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["revision"] == second.json()["revision"] == 1


async def test_critical_path_floats_and_slip(registry, milestones):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2026-01-01")
    url = f"/api/v1/projects/{project['id']}/critical-path"
    body = (await milestones.get(url, params={"as_of": "2026-01-01"})).json()
    assert {n["key"]: n["float_days"] for n in body["nodes"]} == {"a": 0, "b": 10, "c": 0, "d": 0, "e": 0}
    assert body["critical_path"] == ["a", "c", "d", "e"]
    assert body["projected_completion_date"] == body["baseline_completion_date"] == "2026-02-25"
    b = next(n for n in body["nodes"] if n["key"] == "b")
    assert (b["earliest_date"], b["latest_date"]) == ("2026-01-11", "2026-01-21")
    by_key = await nodes(milestones, project["id"])
    assert {k for k, n in by_key.items() if n["critical"]} == {"a", "c", "d", "e"}

    for key, when in [("a", "2026-01-01"), ("b", "2026-01-11"), ("c", "2026-01-25")]:
        response = await milestones.post(f"/api/v1/milestones/{by_key[key]['id']}/complete",
                                         json={"actual_date": when})
        assert response.status_code == 200, response.text
    late = (await milestones.get(url, params={"as_of": "2026-01-25"})).json()
    assert late["projected_completion_date"] == "2026-03-01"
    assert late["slip_days"] == 4
    assert {n["key"]: n["float_days"] for n in late["nodes"]}["b"] == 14
    # As of today every open node is still to be done: the projection moves with the calendar.
    today = (await milestones.get(url)).json()
    assert today["slip_days"] > 4


async def test_reading_schedules_needs_a_read_scope(platform, registry, milestones):
    project = await known_project(registry, milestones, planned_completion_date="2027-12-31")
    url = platform.url("milestones")
    async with client(url, "projects:read") as reader:
        assert (await reader.get(f"/api/v1/projects/{project['id']}/schedule")).status_code == 200
        assert (await reader.post(f"/api/v1/projects/{project['id']}/schedule",
                                  json={"reason": "x"})).status_code == 403
    async with client(url, "alerts:write") as stranger:
        assert (await stranger.get(f"/api/v1/projects/{project['id']}/critical-path")).status_code == 403
