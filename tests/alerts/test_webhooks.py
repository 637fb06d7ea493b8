"""Webhooks to a real HTTP receiver on loopback: filters, HMAC signature, the delivery log, down then up."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from contracts import registry
from tests.alerts.facts import active_alerts, event, known, project, send, today, unit
from tests.alerts.receiver import Receiver
from tests.support.api import client, eventually


@pytest.fixture
async def receiver():
    running = await Receiver().start()
    yield running
    await running.stop()


def budget(state, spent: str, ratio: str) -> registry.BudgetChanged:
    return registry.BudgetChanged(project_id=state.id, responsible_unit_id=state.responsible_unit_id, budget="1000",
                                  approved_adjustments="0", spent_to_date=spent, overrun_ratio=ratio,
                                  adjustment_approved=False)


async def subscribe(alerts, url: str, **body) -> dict:
    response = await alerts.post("/api/v1/webhooks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    return response.json()


def types(received) -> list[str]:
    return [json.loads(body)["type"] for _, body in received]


async def test_red_alerts_of_a_unit_are_delivered_signed(platform, alerts, receiver):
    owner = unit()
    subscription = await subscribe(alerts, receiver.url, event_types=["alert.raised", "alert.escalated"],
                                   filters={"colour": ["red"], "unit_id": [owner.id]}, description="区监察室")
    assert subscription["event_types"] == ["keyproject.alerts.alert.escalated.v1",
                                           "keyproject.alerts.alert.raised.v1"]
    secret = subscription["secret"]
    state = project(owner.id, government_funded=True, budget="1000")
    elsewhere = project(unit().id, government_funded=True, budget="1000")
    await send(platform, event(state, state.id), event(budget(state, "1100", "0.1"), state.id),
               event(elsewhere, elsewhere.id), event(budget(elsewhere, "1500", "0.5"), elsewhere.id))
    await known(alerts, state.id)
    await send(platform, event(budget(state, "1300", "0.3"), state.id))

    await eventually(lambda: _count(receiver, 1), timeout=60, what="one delivery")
    headers, body = receiver.received[0]
    cloud_event = json.loads(body)
    assert cloud_event["type"] == "keyproject.alerts.alert.escalated.v1" and cloud_event["subject"] == state.id
    assert cloud_event["data"]["colour"] == "red" and cloud_event["data"]["unit_id"] == owner.id
    timestamp = headers["x-kp-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["x-kp-signature"] == f"sha256={expected}"
    assert headers["x-kp-event-id"] == cloud_event["id"]

    log = []

    async def logged():
        log[:] = (await alerts.get(f"/api/v1/webhooks/{subscription['id']}/deliveries")).json()["items"]
        return bool(log) and log[0]["delivered_at"] is not None

    await eventually(logged, timeout=30, what="the delivery logged")
    assert [(d["event_type"], d["attempts"], d["last_status"]) for d in log] == [
        ("keyproject.alerts.alert.escalated.v1", 1, 200)]
    assert log[0]["delivered_at"] is not None and log[0]["log"][0]["status_code"] == 200
    # The yellow alert was raised before (same partition, delivered in order): it was filtered out, not late.
    assert len(receiver.received) == 1


async def test_rule_and_project_filters_pick_one_rule_of_one_project(platform, alerts, receiver):
    owner = unit()
    mine = project(owner.id, government_funded=True, budget="1000", stage="signed",
                   stage_dates={"signed": (today() - timedelta(days=100)).isoformat()})
    other = project(owner.id, government_funded=True, budget="1000")
    subscription = await subscribe(alerts, receiver.url, event_types=["alert.raised", "project.status_changed"],
                                   filters={"rule": ["budget_overrun"], "project_id": [mine.id]})
    # Raised for `mine`: signed without land (another rule), then the budget overrun; for `other` its overrun.
    # Status changes carry no rule: a filter on a field an event lacks excludes it.
    await send(platform, event(owner, owner.id), event(mine, mine.id), event(budget(mine, "1100", "0.1"), mine.id),
               event(other, other.id), event(budget(other, "1100", "0.1"), other.id))

    async def all_raised():
        raised = {(a["project_id"], a["rule"]) for a in await active_alerts(alerts, unit_id=owner.id)}
        return raised >= {(mine.id, "signed_without_land"), (mine.id, "budget_overrun"),
                          (other.id, "budget_overrun")}

    await eventually(all_raised, timeout=60, what="the three alerts raised")
    # Deliveries are owed in the transaction of their event: the log is complete once the alerts are there.
    log = (await alerts.get(f"/api/v1/webhooks/{subscription['id']}/deliveries")).json()["items"]
    assert [d["event_type"] for d in log] == ["keyproject.alerts.alert.raised.v1"]
    await eventually(lambda: _count(receiver, 1), timeout=60, what="the delivery")
    [(_, body)] = receiver.received
    data = json.loads(body)["data"]
    assert (data["project_id"], data["rule"]) == (mine.id, "budget_overrun")


async def test_a_receiver_that_is_down_loses_nothing_once_back(platform, alerts, receiver):
    await receiver.stop()  # the port is known, nobody listens
    owner = unit()
    subscription = await subscribe(alerts, receiver.url,
                                   event_types=["alert.raised", "alert.escalated", "alert.resolved",
                                                "project.status_changed", "task.opened"],
                                   filters={"unit_id": [owner.id]})
    state = project(owner.id, government_funded=True, budget="1000")
    await send(platform, event(state, state.id), event(budget(state, "1100", "0.1"), state.id),
               event(budget(state, "1300", "0.3"), state.id), event(budget(state, "900", "-0.1"), state.id))
    url = f"/api/v1/webhooks/{subscription['id']}"

    async def failing():
        log = (await alerts.get(f"{url}/deliveries", params={"pending": True})).json()["items"]
        return len(log) == 7 and any(d["attempts"] >= 2 and d["last_error"] for d in log)

    await eventually(failing, timeout=60, interval=0.5, what="deliveries owed and retried")
    assert (await alerts.get(url)).json()["pending"] == 7
    await receiver.start()

    # (no task: tasks are opened by the daily evaluation, and the red did not last until one)
    await eventually(lambda: _count(receiver, 7), timeout=90, interval=0.2, what="all deliveries after the outage")
    assert types(receiver.received) == [
        "keyproject.alerts.project.status_changed.v1",  # its first evaluation: blue / normal
        "keyproject.alerts.alert.raised.v1", "keyproject.alerts.project.status_changed.v1",
        "keyproject.alerts.alert.escalated.v1",
        "keyproject.alerts.project.status_changed.v1", "keyproject.alerts.alert.resolved.v1",
        "keyproject.alerts.project.status_changed.v1"]

    async def nothing_owed():
        return (await alerts.get(url)).json()["pending"] == 0

    await eventually(nothing_owed, timeout=30, what="every delivery logged as taken")
    log = (await alerts.get(f"{url}/deliveries")).json()["items"]
    assert all(d["delivered_at"] for d in log) and max(d["attempts"] for d in log) >= 2
    first = min(log, key=lambda d: d["id"])
    assert [a["status_code"] for a in first["log"]][-1] == 200 and first["log"][0]["error"]


async def test_a_failing_receiver_is_retried_and_unsubscribing_stops_deliveries(platform, alerts, receiver):
    receiver.status = 503
    owner = unit()
    subscription = await subscribe(alerts, receiver.url, event_types=["alert.raised"],
                                   filters={"unit_id": [owner.id]}, secret="s3cr3t-0123456789abcdef")
    assert subscription["secret"] == "s3cr3t-0123456789abcdef"
    state = project(owner.id, government_funded=True, budget="1000")
    await send(platform, event(state, state.id), event(budget(state, "1100", "0.1"), state.id))
    await eventually(lambda: _count(receiver, 2), timeout=60, what="a retry after a 503")
    receiver.status = 200
    await eventually(lambda: _count(receiver, 3), timeout=60, what="the delivery taken")
    assert len({json.loads(body)["id"] for _, body in receiver.received}) == 1
    assert (await alerts.delete(f"/api/v1/webhooks/{subscription['id']}")).status_code == 204
    listed = (await alerts.get("/api/v1/webhooks", params={"limit": 500})).json()["items"]
    assert subscription["id"] not in {s["id"] for s in listed}


async def test_subscriptions_are_validated_and_admin_only(platform, alerts):
    bad = [{"url": "not a url", "event_types": ["alert.raised"]},
           {"url": "http://127.0.0.1:9/x", "event_types": ["alert.exploded"]},
           {"url": "http://127.0.0.1:9/x", "event_types": []},
           {"url": "http://127.0.0.1:9/x", "event_types": ["alert.raised"], "filters": {"colour": ["purple"]}},
           {"url": "http://127.0.0.1:9/x", "event_types": ["alert.raised"], "secret": "short"}]
    for body in bad:
        assert (await alerts.post("/api/v1/webhooks", json=body)).status_code == 422, body
    async with client(platform.url("alerts"), "alerts:write") as writer:
        assert (await writer.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                             "event_types": ["alert.raised"]})).status_code == 403
    assert (await alerts.get("/api/v1/webhooks/nope")).status_code == 404


async def _count(receiver, n):
    return len(receiver.received) >= n
