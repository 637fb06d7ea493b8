"""A project entered late or mid-flight: no red in its first days and no task in its grace period; tasks come from
the colour a project holds at the daily evaluation; every change of an active alert's reason is announced and is
what reports shows, and the days it counts go on without an event."""
from datetime import timedelta

from contracts import alerts as contract
from contracts import registry
from tests.alerts.facts import (active_alerts, event, known, project, published, scan, send, stage_changed, tasks,
                                today, unit)
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


async def test_the_days_passing_are_shown_not_announced_and_a_changed_reason_is_announced_and_in_reports(
        platform, alerts, reports, alerts_events):
    """Seen: the board showed '已过 75 天' weeks later: alerts changed an alert's message without announcing it. The
    days passing are in the alert's wording, which each reader renders for the day it shows (an event a day for each
    of tens of thousands of alerts would drown the topic); a changed reason is announced, and reports shows it."""
    owner = unit()
    now = today()
    start = now - timedelta(days=20)
    state = project(owner.id, planned_start_date=str(start), registered_on=str(now - timedelta(days=100)))
    await send(platform, event(owner, owner.id), event(state, state.id))
    rule = {"project_id": state.id, "rule": "should_have_started"}
    reason = f"计划开工日期 {start} 已过 {{}} 天仍未开工（当前阶段：{{}}）"

    async def shown(message: str) -> bool:
        return [a["message"] for a in await active_alerts(alerts, **rule)] == [message]

    await eventually(lambda: shown(reason.format(20, "谋划")), timeout=60, what="should-have-started yellow")
    await scan(alerts, str(now + timedelta(days=5)))
    [alert] = await active_alerts(alerts, **rule)
    assert (alert["message"], alert["as_of"]) == (reason.format(25, "谋划"), str(now + timedelta(days=5)))

    await send(platform, event(stage_changed(state, "signed", str(now)), state.id))
    # the only update announced is the stage's (the scan's five days are not: they would have come before it), as of
    # the day the project was last evaluated for
    [updated] = await published(alerts_events, contract.AlertUpdated, subject=state.id, id=alert["id"])
    assert (updated.message, updated.as_of) == (reason.format(25, "签约"), now + timedelta(days=5))
    assert contract.render(updated.wording, now + timedelta(days=9)) == reason.format(29, "签约")

    async def same_reason_in_reports():
        response = await reports.get("/api/v1/projects", params={"unit_id": owner.id})
        items = response.json()["items"] if response.status_code == 200 else []
        return any(updated.message in (p.get("alerts") or []) for p in items)

    await eventually(same_reason_in_reports, timeout=60, what="the alert's current reason in reports")
