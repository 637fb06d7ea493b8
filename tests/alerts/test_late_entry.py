"""A project entered late or mid-flight: no red in its first days and no task in its grace period; tasks come from
the colour a project holds at the daily evaluation; every change of an active alert's reason is announced and is
what reports shows."""
from datetime import timedelta

from contracts import alerts as contract
from contracts import registry
from tests.alerts.facts import active_alerts, event, known, project, published, scan, send, tasks, today, unit
from tests.support.api import eventually


async def test_a_project_entered_with_its_start_already_passed_is_warned_then_red_then_tasked(
        platform, alerts, alerts_events):
    owner = unit()
    state = project(owner.id, year=2030, planned_start_date="2030-01-15", registered_on="2030-03-01",
                    listed_on="2030-01-01")
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    rule = {"project_id": state.id, "rule": "should_have_started"}

    await scan(alerts, "2030-03-02")
    [alert] = await active_alerts(alerts, **rule)
    assert alert["colour"] == "yellow"
    assert alert["message"].endswith("（2030-03-01 登记入库，7 天内请补录实际进展）")
    assert await tasks(alerts, project_id=state.id) == []

    await scan(alerts, "2030-03-08")  # a week after it was entered, still not started: red, but no task yet
    [alert] = await active_alerts(alerts, **rule)
    assert alert["colour"] == "red" and "登记入库" not in alert["message"]
    assert await tasks(alerts, project_id=state.id) == []

    await scan(alerts, "2030-03-16")  # the grace period over: the colour it holds at the daily evaluation
    # (its schedule's nodes, planned before it was entered, may be red by now too: each rule has its one task)
    [task] = [t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]
    assert (task["opened_on"], task["deadline"]) == ("2030-03-16", "2030-03-31")
    await published(alerts_events, contract.TaskOpened, subject=state.id, id=task["id"])
    await scan(alerts, "2030-03-16")  # idempotent: no second task
    assert len([t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]) == 1


async def test_a_red_that_does_not_outlive_the_day_opens_no_task(platform, alerts):
    """Seen: a half-finished data entry (red for a moment between two calls) opened a supervision task."""
    owner = unit()
    now = today()
    state = project(owner.id, planned_start_date=str(now - timedelta(days=60)),
                    registered_on=str(now - timedelta(days=100)))
    await send(platform, event(owner, owner.id), event(state, state.id))
    rule = {"project_id": state.id, "rule": "should_have_started"}

    async def red():
        return [a["colour"] for a in await active_alerts(alerts, **rule)] == ["red"]

    await eventually(red, timeout=60, what="should-have-started red")
    started = registry.ProjectStageChanged.model_validate({
        **state.model_dump(), "version": 2, "stage": "started", "stage_dates": {"started": str(now)},
        "from_stage": "planning", "to_stage": "started", "date": str(now)})
    await send(platform, event(started, state.id))
    await known(alerts, state.id, version=2)
    assert await active_alerts(alerts, **rule) == []
    await scan(alerts, str(now))
    assert [t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"] == []


async def test_a_changed_reason_is_announced_and_reports_shows_it(platform, alerts, reports, alerts_events):
    """Seen: the board showed '已过 75 天' weeks later: alerts changed an alert's message without announcing it."""
    owner = unit()
    state = project(owner.id, year=2031, planned_start_date="2031-02-01", registered_on="2030-12-01")
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    await scan(alerts, "2031-02-11")
    await scan(alerts, "2031-02-21")
    [alert] = await active_alerts(alerts, project_id=state.id, rule="should_have_started")
    assert "已过 20 天" in alert["message"]
    [updated] = await published(alerts_events, contract.AlertUpdated, subject=state.id, id=alert["id"])
    assert updated.message == alert["message"] and updated.as_of.isoformat() == "2031-02-21"

    async def same_reason_in_reports():
        response = await reports.get("/api/v1/projects", params={"unit_id": owner.id})
        items = response.json()["items"] if response.status_code == 200 else []
        return any(alert["message"] in (p.get("alerts") or []) for p in items)

    await eventually(same_reason_in_reports, timeout=60, what="the alert's current reason in reports")
