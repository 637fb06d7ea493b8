"""Dashboard gauges: active alerts by colour and rule, projects by colour and grade, open/late/escalated tasks."""
from contracts import registry
from tests.alerts.facts import event, known, project, send, unit
from tests.support.api import eventually
from tests.support.metrics import scrape, value


async def test_gauges_follow_alerts_projects_and_tasks(platform, alerts):
    base = platform.url("alerts")
    before = await scrape(base)
    owner = unit()
    state = project(owner.id, government_funded=True, budget="1000")
    overrun = registry.BudgetChanged(project_id=state.id, responsible_unit_id=owner.id, budget="1000",
                                     approved_adjustments="0", spent_to_date="1500", overrun_ratio="0.5",
                                     adjustment_approved=False)
    await send(platform, event(state, state.id), event(overrun, state.id))
    await known(alerts, state.id)

    async def counted():
        now = await scrape(base)
        return all(value(now, name, **labels) == value(before, name, **labels) + 1 for name, labels in [
            ("kp_alerts_active", {"colour": "red", "rule": "budget_overrun"}),
            ("kp_alerts_projects", {"colour": "red", "grade": "lagging"}),
            ("kp_alerts_tasks_open", {}),
        ])

    await eventually(counted, timeout=60, interval=0.5, what="gauges counting the red project and its task")
    text = await scrape(base)
    for name in ("kp_alerts_tasks_late", "kp_alerts_tasks_escalated"):
        assert any(line.startswith(name) for line in text.splitlines()), name
    assert value(text, "kp_alerts_projects", colour="blue", grade="faster") >= 0
