"""Task feedback carries evidence (photos and documents), listed on the task and announced; 销号 may require it."""
import uuid

import pytest

from contracts import alerts as contract
from tests.alerts.facts import event, published, send, unit
from tests.support.api import client

PHOTO = "https://files.example.gov.cn/photos/site-2027-03-01.jpg"
DOC = "http://10.1.1.5/registry/api/v1/projects/p/documents/d/content"


async def _task(alerts, unit_id: str) -> dict:
    response = await alerts.post("/api/v1/tasks", json={"title": "协调解决施工用电", "unit_id": unit_id,
                                                         "deadline": "2027-03-01"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_feedback_carries_its_evidence(platform, alerts, alerts_events):
    owner = unit()
    await send(platform, event(owner, owner.id))
    task = await _task(alerts, owner.id)
    url = f"/api/v1/tasks/{task['id']}"
    async with client(platform.url("alerts"), "tasks:write", unit_id=owner.id) as town:
        bad = await town.post(f"{url}/feedback", json={"feedback": "已通电", "evidence": ["javascript:alert(1)"]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("evidence")
        answered = await town.post(f"{url}/feedback", json={"feedback": "已通电", "evidence": [PHOTO, DOC]})
        assert answered.status_code == 200, answered.text
    assert answered.json()["evidence"] == [PHOTO, DOC]
    assert (await alerts.get(url)).json()["evidence"] == [PHOTO, DOC]
    [feedback] = await published(alerts_events, contract.TaskFeedback, subject=owner.id, id=task["id"])
    assert feedback.evidence == [PHOTO, DOC]
    # the business day of the answer (the alerts service's day, as in the task's history), not the publish time
    answered_on = [c["as_of"] for c in (await alerts.get(url)).json()["history"] if c["action"] == "feedback"]
    assert [str(feedback.answered_on)] == answered_on


@pytest.fixture(scope="module")
def strict_alerts(platform):
    """An alerts instance whose 销号 needs evidence (its own database and consumer group)."""
    with platform.configured("alerts", "alerts-evidence", {
            "KP_TASK_CLOSE_REQUIRES_EVIDENCE": "true", "KP_DAILY_SCAN": "false",
            "KP_CONSUMER_GROUP": f"alerts-evidence-{uuid.uuid4().hex[:6]}"}) as url:
        yield url


async def test_closing_without_evidence_is_refused_when_required(platform, strict_alerts):
    owner = unit()
    await send(platform, event(owner, owner.id))
    async with client(strict_alerts) as office:
        bare, shown = await _task(office, owner.id), await _task(office, owner.id)
        async with client(strict_alerts, "tasks:write", unit_id=owner.id) as town:
            await town.post(f"/api/v1/tasks/{bare['id']}/feedback", json={"feedback": "已完成"})
            await town.post(f"/api/v1/tasks/{shown['id']}/feedback", json={"feedback": "已完成", "evidence": [PHOTO]})
        refused = await office.post(f"/api/v1/tasks/{bare['id']}/close", json={"verification_note": "同意销号"})
        assert refused.status_code == 409 and "佐证材料" in refused.json()["detail"]
        assert (await office.get(f"/api/v1/tasks/{bare['id']}")).json()["status"] == "feedback_submitted"
        closed = await office.post(f"/api/v1/tasks/{shown['id']}/close", json={"verification_note": "同意销号"})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
