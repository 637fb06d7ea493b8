"""Rule settings through the API: list, change thresholds and switches (versioned, recorded), 422, the effect."""
import pytest

from tests.alerts.facts import active_alerts, event, known, project, scan, send, unit
from tests.support.api import client


async def test_every_rule_is_listed_with_its_defaults(alerts):
    rules = {r["name"]: r for r in (await alerts.get("/api/v1/rules")).json()}
    assert set(rules) == {"node_overdue", "investment_lag", "should_have_started", "signed_without_land",
                          "land_without_start", "paper_start", "not_in_statistics", "budget_overrun", "idle_parcel",
                          "task_late", "round_not_reported", "tasks"}
    assert rules["node_overdue"]["defaults"] == {"yellow_days": 1, "red_days": 30, "critical_yellow_days": 1,
                                                 "critical_red_days": 15}
    assert rules["tasks"]["defaults"] == {"deadline_days": 15, "grace_days": 15, "entry_days": 7, "unit_head_days": 1,
                                          "lead_leader_days": 7, "accountability_days": 15}
    assert rules["investment_lag"]["defaults"]["yellow_ratio"] == "0.8"
    assert rules["task_late"]["opens_task"] is False and rules["should_have_started"]["opens_task"] is True
    assert rules["idle_parcel"]["subject"] == "parcel" and rules["node_overdue"]["title"] == "节点逾期"
    # the yellow mark for a project not reported in a monthly round is there to switch on, off until then
    assert (rules["round_not_reported"]["enabled"], rules["round_not_reported"]["title"]) == (False, "月调度逾期未报送")
    assert rules["node_overdue"]["enabled"] is True


async def test_a_change_is_a_new_version_and_is_recorded(alerts, restore):
    restore.append("should_have_started")
    before = (await alerts.get("/api/v1/rules/should_have_started")).json()
    changed = await alerts.put("/api/v1/rules/should_have_started",
                               json={"thresholds": {"red_over_days": 60}, "note": "汛期放宽"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["thresholds"] == {"red_over_days": 60}
    assert changed.json()["version"] == before["version"] + 1 and changed.headers["ETag"] == \
        f'"{before["version"] + 1}"'
    history = (await alerts.get("/api/v1/rules/should_have_started/changes")).json()
    assert history[-1]["version"] == before["version"] + 1 and history[-1]["note"] == "汛期放宽"
    assert history[-1]["changes"] == {"thresholds": {"before": before["thresholds"], "after": {"red_over_days": 60}}}
    stale = await alerts.patch("/api/v1/rules/should_have_started", json={"enabled": False},
                               headers={"If-Match": f'"{before["version"]}"'})
    assert stale.status_code == 412
    same = await alerts.put("/api/v1/rules/should_have_started", json={"thresholds": {"red_over_days": 60}})
    assert same.json()["version"] == before["version"] + 1  # nothing changed, no new version


@pytest.mark.parametrize("body, field", [
    ({"thresholds": {"red_days": 0}}, "thresholds.red_days"),
    ({"thresholds": {"yellow_days": 40}}, "thresholds"),
    ({"thresholds": {"red_days": "soon"}}, "thresholds.red_days"),
    ({"thresholds": {"weekly": True}}, "thresholds.weekly"),
    ({"enabled": "sometimes"}, "enabled"),
    ({"colour": "red"}, "colour"),
])
async def test_a_bad_threshold_is_422_and_changes_nothing(alerts, body, field):
    before = (await alerts.get("/api/v1/rules/node_overdue")).json()
    response = await alerts.put("/api/v1/rules/node_overdue", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (await alerts.get("/api/v1/rules/node_overdue")).json() == before


async def test_only_admins_change_rules_and_unknown_rules_are_404(platform, alerts):
    async with client(platform.url("alerts"), "alerts:write", "alerts:read") as writer:
        assert (await writer.get("/api/v1/rules")).status_code == 200
        assert (await writer.put("/api/v1/rules/node_overdue", json={"enabled": False})).status_code == 403
    assert (await alerts.get("/api/v1/rules/nope")).status_code == 404
    assert (await alerts.put("/api/v1/rules/nope", json={"enabled": False})).status_code == 404


async def test_thresholds_and_switches_take_effect_at_the_next_evaluation(platform, alerts, restore):
    restore.extend(["signed_without_land", "tasks"])
    owner = unit()
    state = project(owner.id, stage="signed", stage_dates={"signed": "2029-01-01"})
    await send(platform, event(state, state.id))
    await known(alerts, state.id)
    await scan(alerts, "2029-02-15")
    assert await active_alerts(alerts, project_id=state.id) == []
    await alerts.put("/api/v1/rules/signed_without_land", json={"thresholds": {"yellow_over_days": 30,
                                                                               "red_over_days": 40}})
    await alerts.put("/api/v1/rules/tasks", json={"thresholds": {"deadline_days": 10}})
    await scan(alerts, "2029-02-15")
    [alert] = await active_alerts(alerts, project_id=state.id)
    assert (alert["rule"], alert["colour"]) == ("signed_without_land", "red")
    [task] = (await alerts.get("/api/v1/tasks", params={"project_id": state.id})).json()["items"]
    assert task["deadline"] == "2029-02-25"
    await alerts.put("/api/v1/rules/signed_without_land", json={"enabled": False})
    await scan(alerts, "2029-02-15")
    assert await active_alerts(alerts, project_id=state.id) == []
