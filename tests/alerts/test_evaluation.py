"""The engine over the real broker: facts from events, the daily scan for given dates, alerts, status, events."""
import uuid
from datetime import timedelta

from contracts import alerts as contract
from contracts import milestones, registry
from tests.alerts.facts import (active_alerts, coloured_by_its_alerts, event, known, milestone, project, published,
                                scan, send, stage_changed, status, tasks, today, unit)
from tests.support.api import eventually


async def test_should_have_started_raised_escalated_then_resolved_by_the_start(platform, alerts, alerts_events):
    # With planned dates the milestones service schedules the project too; its nodes may add node alerts, so
    # this test looks at its own rule, and at the colour being the worst active alert.
    owner = unit()
    state = project(owner.id, stage="signed", stage_dates={"signed": "2027-01-10"}, planned_start_date="2027-03-01")
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    rule = {"project_id": state.id, "rule": "should_have_started"}

    await scan(alerts, "2027-03-01")
    assert await active_alerts(alerts, **rule) == []

    await scan(alerts, "2027-03-02")
    [alert] = await active_alerts(alerts, **rule)
    assert (alert["colour"], alert["unit_id"]) == ("yellow", owner.id)
    assert alert["message"] == "计划开工日期 2027-03-01 已过 1 天仍未开工（当前阶段：签约）"
    assert (await coloured_by_its_alerts(alerts, state.id))["colour"] in ("yellow", "red")

    summary = await scan(alerts, "2027-04-01")
    assert summary["as_of"] == "2027-04-01"
    [red] = await active_alerts(alerts, **rule)
    assert red["id"] == alert["id"] and red["colour"] == "red" and red["escalated_on"] == "2027-04-01"
    [task] = [t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]
    assert (task["unit_id"], task["source"], task["alert_id"]) == (owner.id, "alert", red["id"])
    assert task["deadline"] == "2027-04-16" and task["status"] == "open"
    assert task["title"] == "新能源电池生产基地：应开工未开工"
    assert (await coloured_by_its_alerts(alerts, state.id))["grade"] == "lagging"

    [raised] = await published(alerts_events, contract.AlertRaised, subject=state.id, id=red["id"])
    [escalated] = await published(alerts_events, contract.AlertEscalated, subject=state.id, id=red["id"])
    assert raised.colour == "yellow" and escalated.colour == "red"
    [opened] = await published(alerts_events, contract.TaskOpened, subject=state.id, id=task["id"])
    assert opened.alert_id == red["id"] and opened.rule == "should_have_started"
    # The same date again changes nothing and publishes nothing. A task opened by hand stages an event behind
    # everything before it: once it is on the topic, so is all the project's earlier work.
    async def settled() -> dict:
        marker = await alerts.post("/api/v1/tasks", json={"title": "标记", "project_id": state.id,
                                                          "deadline": "2099-01-01"})
        await published(alerts_events, contract.TaskOpened, subject=state.id, id=marker.json()["id"])
        return {m: len(await alerts_events.all(m, subject=state.id))
                for m in (contract.AlertRaised, contract.AlertEscalated, contract.AlertResolved,
                          contract.ProjectStatusChanged, contract.TaskEscalated)}

    before = await settled()
    changed = await alerts_events.all(contract.ProjectStatusChanged, subject=state.id)
    assert changed and changed[-1].to_colour == "red" and changed[-1].to_grade == "lagging"
    await scan(alerts, "2027-04-01")
    assert await settled() == before
    assert len([t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]) == 1

    # The start arrives (evaluated as of the scan's date, never earlier): resolved, the task only awaits 销号.
    started = stage_changed(state, "started", "2027-04-01")
    await send(platform, event(started, state.id))
    await known(alerts, state.id, version=2)
    assert await active_alerts(alerts, **rule) == []
    [resolved] = await published(alerts_events, contract.AlertResolved, subject=state.id, id=red["id"])
    assert resolved.status == "resolved"
    [task] = [t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]
    assert task["resolvable"] is True and task["status"] == "open"
    await coloured_by_its_alerts(alerts, state.id)
    history = (await alerts.get(f"/api/v1/alerts/{red['id']}")).json()["history"]
    assert [h["action"] for h in history] == ["raised", "escalated", "resolved"]


async def test_red_to_yellow_resolves_the_red_alert_and_raises_a_yellow_one(platform, alerts, alerts_events):
    owner = unit()
    state = project(owner.id, stage="signed", stage_dates={"signed": "2027-01-10"}, planned_start_date="2027-03-01")
    await send(platform, event(owner, owner.id), event(state, state.id))
    await known(alerts, state.id)
    await scan(alerts, "2027-04-15")
    [red] = await active_alerts(alerts, project_id=state.id, rule="should_have_started")
    assert red["colour"] == "red"
    # The plan is moved back: 20 days late is yellow again.
    moved = registry.ProjectUpdated.model_validate({**state.model_dump(mode="json"), "planned_start_date": "2027-03-26",
                                                    "version": 2, "changed": ["planned_start_date"]})
    await send(platform, event(moved, state.id))
    await known(alerts, state.id, version=2)
    [yellow] = await active_alerts(alerts, project_id=state.id, rule="should_have_started")
    assert yellow["colour"] == "yellow" and yellow["id"] != red["id"]
    assert (await alerts.get(f"/api/v1/alerts/{red['id']}")).json()["status"] == "resolved"
    [task] = [t for t in await tasks(alerts, project_id=state.id) if t["rule"] == "should_have_started"]
    assert task["resolvable"] is True


async def test_three_classes_paper_start_and_statistics_on_their_dates(platform, alerts):
    owner = unit()
    signed = project(owner.id, stage="signed", stage_dates={"signed": "2027-01-01"})
    land = project(owner.id, stage="land_supplied", stage_dates={"signed": "2026-12-01", "land_supplied": "2027-01-01"})
    paper = project(owner.id, stage="started", stage_dates={"signed": "2026-12-01", "land_supplied": "2027-01-01",
                                                            "started": "2027-03-01"})
    await send(platform, *(event(p, p.id) for p in (signed, land, paper)))
    for p in (signed, land, paper):
        await known(alerts, p.id)

    async def rules_of(p):
        return {(a["rule"], a["colour"]) for a in await active_alerts(alerts, project_id=p.id)}

    await scan(alerts, "2027-04-01")
    assert await rules_of(signed) == set() and await rules_of(land) == set()
    assert await rules_of(paper) == {("paper_start", "yellow"), ("not_in_statistics", "yellow")}
    await scan(alerts, "2027-04-02")
    assert await rules_of(signed) == {("signed_without_land", "yellow")}
    assert await rules_of(land) == {("land_without_start", "yellow")}
    await scan(alerts, "2027-07-02")
    assert await rules_of(signed) == {("signed_without_land", "red")}
    assert await rules_of(land) == {("land_without_start", "red")}

    confirmed = registry.ProjectStartConfirmed(project_id=paper.id, responsible_unit_id=owner.id, kind="piling",
                                               date="2027-03-05")
    accepted = registry.StatisticsStatusChanged(project_id=paper.id, responsible_unit_id=owner.id,
                                                status="accepted", date="2027-04-10")
    await send(platform, event(confirmed, paper.id), event(accepted, paper.id))

    async def cleared():
        return await rules_of(paper) == set()

    await eventually(cleared, timeout=60, what="paper start and statistics alerts resolved")


async def test_investment_lag_and_the_faster_grade_from_investment_reports(platform, alerts):
    owner = unit()
    state = project(owner.id, annual_plan_investment="36500", stage="started",
                    stage_dates={"signed": "2026-10-01", "land_supplied": "2026-11-01", "started": "2027-01-05"},
                    real_start_date="2027-01-06")
    behind = project(owner.id, annual_plan_investment="36500")
    accepted = registry.StatisticsStatusChanged(project_id=state.id, responsible_unit_id=owner.id,
                                                status="accepted", date="2027-01-20")

    def report(p, ytd):
        return registry.InvestmentReported(project_id=p.id, responsible_unit_id=owner.id, period="2027-03",
                                           year=2027, amount=ytd, ytd_investment=ytd, cumulative_investment=ytd,
                                           annual_plan_investment="36500")

    await send(platform, event(state, state.id), event(accepted, state.id), event(report(state, "30000"), state.id),
               event(behind, behind.id), event(report(behind, "8000"), behind.id))
    await known(alerts, behind.id)

    async def reported():
        return (await status(alerts, behind.id))["investment_ratio"] is not None

    await scan(alerts, "2027-04-10")
    await eventually(reported, timeout=60, what="investment reports applied")
    fast = await status(alerts, state.id)
    assert (fast["colour"], fast["grade"], fast["investment_ratio"]) == ("blue", "faster", "3.0000")
    slow = await status(alerts, behind.id)
    assert (slow["colour"], slow["grade"], slow["investment_ratio"]) == ("blue", "normal", "0.8000")
    await scan(alerts, "2027-04-11")
    [lag] = await active_alerts(alerts, project_id=behind.id)
    assert (lag["rule"], lag["colour"]) == ("investment_lag", "yellow")
    await scan(alerts, "2027-06-10")
    [lag] = await active_alerts(alerts, project_id=behind.id)
    assert lag["colour"] == "red" and lag["message"].startswith("年度投资完成率 21.9%")


async def test_budget_overrun_red_is_referred_to_supervision(platform, alerts, alerts_events):
    owner = unit()
    state = project(owner.id, government_funded=True, budget="1000")

    def budget(spent, ratio):
        return registry.BudgetChanged(project_id=state.id, responsible_unit_id=owner.id, budget="1000",
                                      approved_adjustments="0", spent_to_date=spent, overrun_ratio=ratio,
                                      adjustment_approved=False)

    await send(platform, event(state, state.id), event(budget("1100", "0.1"), state.id))
    await known(alerts, state.id)

    async def colour_is(expected):
        found = await active_alerts(alerts, project_id=state.id, rule="budget_overrun")
        return [a["colour"] for a in found] == expected

    await eventually(lambda: colour_is(["yellow"]), timeout=60, what="yellow budget alert")
    await send(platform, event(budget("1300", "0.3"), state.id))
    await eventually(lambda: colour_is(["red"]), timeout=60, what="red budget alert")
    escalated = await alerts_events.wait_for(contract.AlertEscalated, subject=state.id)
    assert escalated.escalated_to == "supervision" and "已移交监察" in escalated.message
    await send(platform, event(budget("1300", "-0.05"), state.id))
    await eventually(lambda: colour_is([]), timeout=60, what="budget alert resolved by an approved adjustment")


async def test_node_overdue_from_milestone_events_on_their_own_dates(platform, alerts):
    owner = unit()
    state = project(owner.id)
    await send(platform, event(state, state.id))
    await known(alerts, state.id)
    overdue = milestone(milestones.MilestoneOverdue, state.id, planned_date="2027-03-02", status="overdue",
                        days_late=18, as_of="2027-03-20", threshold_days=15)
    await send(platform, event(overdue, state.id))

    async def raised():
        return bool(await active_alerts(alerts, project_id=state.id, rule="node_overdue"))

    await eventually(raised, timeout=60, what="node overdue alert")
    [alert] = await active_alerts(alerts, project_id=state.id, rule="node_overdue")
    assert (alert["colour"], alert["message"], alert["as_of"]) == ("yellow", "施工许可节点已逾期 18 天", "2027-03-20")
    await scan(alerts, "2027-04-01")
    [alert] = await active_alerts(alerts, project_id=state.id, rule="node_overdue")
    assert (alert["colour"], alert["message"]) == ("red", "施工许可节点已逾期 30 天")
    done = milestone(milestones.MilestoneCompleted, state.id, id=overdue.id, planned_date="2027-03-02",
                     actual_date="2027-04-01", status="done_late", days_late=30)
    await send(platform, event(done, state.id))

    async def resolved():
        return not await active_alerts(alerts, project_id=state.id, rule="node_overdue")

    await eventually(resolved, timeout=60, what="node overdue resolved by completion")


async def test_a_reopened_node_counts_again_and_one_a_new_schedule_drops_is_gone(platform, alerts):
    owner = unit()
    state = project(owner.id)
    await send(platform, event(state, state.id))
    await known(alerts, state.id)
    planned = (today() - timedelta(days=10)).isoformat()
    done = milestone(milestones.MilestoneCompleted, state.id, planned_date=planned, status="done_on_time",
                     actual_date=(today() - timedelta(days=12)).isoformat())
    # The registry took the stage back: the node is open again, ten days past its date (evaluated as of today).
    reopened = milestone(milestones.MilestoneReopened, state.id, id=done.id, planned_date=planned, status="overdue",
                         days_late=10, reason="the registry no longer reports stage started")
    await send(platform, event(done, state.id), event(reopened, state.id))

    async def node_alert(expected):
        return [(a["colour"], a["message"]) for a in await active_alerts(alerts, project_id=state.id)] == expected

    await eventually(lambda: node_alert([("yellow", "施工许可节点已逾期 10 天")]), timeout=60,
                     what="the reopened node overdue")
    # Regenerated without that node (and no removal announced): it leaves the facts, its alert clears.
    later = milestone(milestones.MilestoneState, state.id, key="completion_acceptance", name="竣工验收",
                      planned_date=(today() + timedelta(days=100)).isoformat())
    regenerated = milestones.ScheduleGenerated(project_id=state.id, template="industrial", mode="backward",
                                               anchor_date=later.planned_date, milestones=[later])
    await send(platform, event(regenerated, state.id))
    await eventually(lambda: node_alert([]), timeout=60, what="the dropped node's alert resolved")


async def test_idle_parcel_alert_belongs_to_its_unit_and_colours_its_project(platform, alerts):
    owner = unit()
    state = project(owner.id, stage="land_supplied", stage_dates={"signed": "2026-12-01",
                                                                  "land_supplied": "2027-02-01"})
    linked = registry.ParcelRegistered(id=str(uuid.uuid4()), code="DK-L", area_mu="30",
                                       start_deadline="2027-03-01", project_id=state.id, unit_id=owner.id)
    loose = registry.ParcelRegistered(id=str(uuid.uuid4()), code="DK-X", area_mu="12",
                                      start_deadline="2027-03-01", unit_id=owner.id)
    await send(platform, event(state, state.id), event(linked, linked.id), event(loose, loose.id))
    await known(alerts, state.id)
    found = {}

    async def both_idle():
        await scan(alerts, "2028-03-01")  # idempotent: repeated until both parcels have arrived
        found.update({a["parcel_id"]: a for a in await active_alerts(alerts, rule="idle_parcel", unit_id=owner.id)})
        return set(found) == {linked.id, loose.id}

    await eventually(both_idle, timeout=60, interval=0.5, what="both parcels idle")
    assert found[linked.id]["project_id"] == state.id and found[loose.id]["project_id"] is None
    assert found[loose.id]["colour"] == "red" and "闲置超过一年须处置" in found[loose.id]["message"]
    assert {t["title"] for t in await tasks(alerts, unit_id=owner.id, source="alert")} >= {
        "地块 DK-X：闲置地块", "地块 DK-L：闲置地块"}
    assert (await status(alerts, state.id))["colour"] == "red"
