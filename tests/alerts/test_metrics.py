"""Dashboard gauges: active alerts by colour and rule, projects by colour and grade, open/late/escalated tasks."""
from contracts import registry
from tests.alerts.facts import active_alerts, event, known, project, send, tasks, unit
from tests.support.api import eventually
from tests.support.metrics import scrape, value


async def _all_tasks(alerts, status: str) -> int:
    return len(await tasks(alerts, status=status))


async def test_gauges_agree_with_the_api(platform, alerts):
    base = platform.url("alerts")
    owner = unit()
    state = project(owner.id, government_funded=True, budget="1000")
    overrun = registry.BudgetChanged(project_id=state.id, responsible_unit_id=owner.id, budget="1000",
                                     approved_adjustments="0", spent_to_date="1500", overrun_ratio="0.5",
                                     adjustment_approved=False)
    await send(platform, event(state, state.id), event(overrun, state.id))
    await known(alerts, state.id)
    await eventually(lambda: _has_alert(alerts, state.id), timeout=60, what="the red budget alert")

    async def agree():
        text = await scrape(base)
        red_budget = len(await active_alerts(alerts, colour="red", rule="budget_overrun"))
        unclosed = await _all_tasks(alerts, "open") + await _all_tasks(alerts, "feedback_submitted")
        return (value(text, "kp_alerts_active", colour="red", rule="budget_overrun") == red_budget
                and value(text, "kp_alerts_tasks_open") == unclosed
                and value(text, "kp_alerts_projects", colour="red", grade="lagging") >= 1)

    await eventually(agree, timeout=60, interval=0.5, what="gauges agreeing with the API")
    text = await scrape(base)
    for name in ("kp_alerts_tasks_late", "kp_alerts_tasks_escalated", "kp_alerts_projects"):
        assert any(line.startswith(name) for line in text.splitlines()), name
    assert value(text, "kp_alerts_tasks_escalated", level="accountability") >= 0


async def _has_alert(alerts, project_id):
    return bool(await active_alerts(alerts, project_id=project_id, rule="budget_overrun", colour="red"))
