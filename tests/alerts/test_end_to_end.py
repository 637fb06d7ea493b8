"""End to end over the real broker: registry API → alerts; milestone events → alerts; redelivered events."""
import uuid
from datetime import timedelta

from contracts import alerts as contract
from contracts import milestones, topics
from contracts.envelope import encode
from tests.alerts.facts import (active_alerts, coloured_by_its_alerts, event, known, milestone, project, published,
                                scan, send, tasks, today, unit)
from tests.support.api import eventually
from tests.support.factories import create_project, create_unit
from tests.support.kafka import produce


async def test_registry_project_entered_late_to_start_is_warned_not_red_and_its_start_resolves_it(
        registry, alerts, alerts_events):
    """Seen: a project entered with dates already passed was red and had a task on the day it was entered. In its
    first days it is yellow (enter what really happened), with no task; its start resolves the warning."""
    # The milestones service schedules this project from its planned start as well: node alerts may join in.
    now = today()
    owner = await create_unit(registry, name="临港经济开发区", kind="park")
    created = await create_project(registry, owner["id"], name="临港物流园", annual_plan_investment="0",
                                   planned_start_date=(now - timedelta(days=45)).isoformat(), lead_leader="李副区长")
    project_id = created["id"]
    await known(alerts, project_id)
    rule = {"project_id": project_id, "rule": "should_have_started"}

    async def warned():
        return [a["colour"] for a in await active_alerts(alerts, **rule)] == ["yellow"]

    await eventually(warned, timeout=60, what="should-have-started warning")
    [alert] = await active_alerts(alerts, **rule)
    assert alert["message"] == (f"计划开工日期 {now - timedelta(days=45)} 已过 45 天仍未开工（当前阶段：谋划）"
                                f"（{now} 登记入库，7 天内请补录实际进展）")
    assert await tasks(alerts, project_id=project_id) == []
    assert (await coloured_by_its_alerts(alerts, project_id))["colour"] != "red"

    start = (now - timedelta(days=1)).isoformat()
    moved = await registry.post(f"/api/v1/projects/{project_id}/transitions", json={
        "to_stage": "started", "date": start, "skipped_dates": {"signed": start, "land_supplied": start}})
    assert moved.status_code == 200, moved.text
    await known(alerts, project_id, version=2)
    assert await active_alerts(alerts, **rule) == []
    await coloured_by_its_alerts(alerts, project_id)
    assert [t for t in await tasks(alerts, project_id=project_id) if t["rule"] == "should_have_started"] == []
    changes = await alerts_events.all(contract.ProjectStatusChanged, subject=project_id)
    assert changes[0].from_colour == "blue" and changes[0].to_colour == "yellow"  # its first evaluation


async def test_a_project_normal_from_the_start_is_announced_and_rated_in_reports(registry, alerts, reports,
                                                                                 alerts_events):
    owner = await create_unit(registry)
    created = await create_project(registry, owner["id"], annual_plan_investment="0")
    [first] = await published(alerts_events, contract.ProjectStatusChanged, subject=created["id"])
    assert (first.from_colour, first.to_colour, first.from_grade, first.to_grade) == (
        "blue", "blue", "normal", "normal")

    async def rated():
        response = await reports.get("/api/v1/projects", params={"unit_id": owner["id"]})
        assert response.status_code == 200, response.text
        return [(p["id"], p["colour"], p["grade"]) for p in response.json()["items"]] == [
            (created["id"], "blue", "normal")]

    await eventually(rated, timeout=60, what="the project rated normal in reports, not unrated")


async def test_registry_parcel_idle_over_a_year_is_red_for_its_unit(registry, alerts):
    now = today()
    owner = await create_unit(registry, name="工业园区", kind="park")
    response = await registry.post("/api/v1/parcels", json={
        "code": f"DK-{owner['code']}", "area_mu": "56.5", "unit_id": owner["id"],
        "start_deadline": (now - timedelta(days=400)).isoformat()})
    assert response.status_code == 201, response.text
    parcel = response.json()

    async def idle():
        return [(a["rule"], a["colour"]) for a in await active_alerts(alerts, parcel_id=parcel["id"])] == [
            ("idle_parcel", "red")]

    await eventually(idle, timeout=60, what="idle parcel alert")
    [alert] = await active_alerts(alerts, parcel_id=parcel["id"])
    assert alert["unit_id"] == owner["id"] and alert["project_id"] is None
    assert "超过约定开工期限 400 天仍未开工" in alert["message"]
    assert await tasks(alerts, unit_id=owner["id"]) == []  # tasks come from the daily evaluation
    await scan(alerts, str(now))
    assert [t["title"] for t in await tasks(alerts, unit_id=owner["id"])] == [f"地块 DK-{owner['code']}：闲置地块"]


async def test_milestone_overdue_events_raise_then_escalate_the_node_alert(platform, registry, alerts):
    now = today()
    owner = await create_unit(registry)
    # entered long before its node went late (the registry's own projects are in their first days: yellow at most)
    state = project(owner["id"], registered_on=str(now - timedelta(days=100)))
    await send(platform, event(state, state.id))
    created = {"id": state.id}
    await known(alerts, created["id"])
    node = milestone(milestones.MilestoneOverdue, created["id"], planned_date=(now - timedelta(days=18)).isoformat(),
                     status="overdue", days_late=18, as_of=now.isoformat(), threshold_days=15)
    await send(platform, event(node, created["id"]))

    async def alert_is(expected):
        return [(a["colour"], a["message"]) for a in await active_alerts(alerts, project_id=created["id"])] == expected

    await eventually(lambda: alert_is([("yellow", "施工许可节点已逾期 18 天")]), timeout=60, what="yellow node alert")
    critical = node.model_copy(update={"critical": True})
    await send(platform, event(critical, created["id"]))
    await eventually(lambda: alert_is([("red", "施工许可节点（关键路径）已逾期 18 天")]), timeout=60,
                     what="red critical node alert")
    assert await tasks(alerts, project_id=created["id"]) == []  # tasks come from the daily evaluation
    await scan(alerts, str(now))
    [task] = await tasks(alerts, project_id=created["id"])
    assert task["rule"] == "node_overdue" and task["unit_id"] == owner["id"]


async def test_redelivered_and_duplicated_events_raise_one_alert(platform, alerts, alerts_events):
    owner = unit()
    state = project(owner.id, government_funded=True, budget="1000")
    registered = event(state, state.id)
    await send(platform, registered)
    await known(alerts, state.id)
    node = milestone(milestones.MilestoneOverdue, state.id, planned_date="2027-03-02", status="overdue",
                     days_late=18, as_of="2027-03-20", threshold_days=15)
    overdue = event(node, state.id)
    raw = encode(overdue)
    # The very same bytes three times (a redelivery), and the same fact again under a new event id (a re-send).
    await produce(platform.broker.bootstrap, topics.MILESTONES, [(state.id.encode(), raw)] * 3)
    await send(platform, event(node, state.id), registered)
    await eventually(lambda: _one_alert(alerts, state.id), timeout=60, what="node alert")
    # A later node of the same project (same partition) is seen only after every copy before it was consumed.
    await send(platform, event(node.model_copy(update={"id": str(uuid.uuid4()), "name": "竣工验收",
                                                        "planned_date": node.planned_date + timedelta(days=1)}),
                               state.id))

    async def both_seen():
        [alert] = await active_alerts(alerts, project_id=state.id)
        return "另有 1 个节点逾期" in alert["message"]

    await eventually(both_seen, timeout=60, what="the later node")
    # Its first evaluation (blue / normal), then yellow once, however often the same facts arrived.
    await alerts_events.wait_for(contract.ProjectStatusChanged, subject=state.id, count=2)
    raised = await alerts_events.all(contract.AlertRaised, subject=state.id)
    assert len(raised) == 1 and raised[0].rule == "node_overdue"
    changes = await alerts_events.all(contract.ProjectStatusChanged, subject=state.id)
    assert [(c.from_colour, c.to_colour, c.to_grade) for c in changes] == [
        ("blue", "blue", "normal"), ("blue", "yellow", "warning")]


async def _one_alert(alerts, project_id):
    return len(await active_alerts(alerts, project_id=project_id)) == 1
