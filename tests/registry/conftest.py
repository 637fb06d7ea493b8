"""Registry test helpers: the registry's events read back from the broker as contract models; dated projects."""
from datetime import date

import pytest

from contracts import topics
from contracts.catalog import CATALOG
from contracts.envelope import EventData, decode
from tests.support.api import eventually
from tests.support.clock import TODAY
from tests.support.events import EventLog
from tests.support.kafka import read_topic

YEAR = TODAY.year


async def published(events: EventLog, model: type[EventData], subject: str, *, count: int = 1,
                    timeout: float = 30.0) -> list:
    """Every `model` event about `subject` on the topic, oldest first, once at least `count` of them are there
    (decoded and validated by the contract codec). The timeout is generous: each look reads the whole topic."""
    await events.wait_for(model, subject=subject, count=count, timeout=timeout)
    return await events.all(model, subject=subject)


class CallableEventLog(EventLog):
    """The shared EventLog, also callable as `await registry_events(subject, Model | None, count=n)`.

    Only test_import.py still calls it so; new tests use `wait_for` / `all` (or `published` above)."""

    async def __call__(self, subject: str, model: type[EventData] | None = None, *, count: int = 1,
                       timeout: float = 15.0) -> list:
        found: list = []

        async def enough() -> bool:
            found[:] = [data for record in await read_topic(self.bootstrap, self.topic)
                        if record.key == subject.encode()
                        for _, data in [decode(record.value, CATALOG)] if model is None or type(data) is model]
            return len(found) >= count

        await eventually(enough, timeout=timeout, interval=0.1, what=f"{count} event(s) about {subject}")
        return found


@pytest.fixture
def registry_events(platform) -> CallableEventLog:
    return CallableEventLog(platform.broker.bootstrap, topics.REGISTRY)


async def start_project(registry, project_id: str, *, on: date | None = None, confirm: bool = True) -> dict:
    """Moves a planning project straight to started on `on` (the skipped stages dated the same day), and confirms
    its real start unless `confirm` is false."""
    day = (on or date(YEAR, 1, 1)).isoformat()
    response = await registry.post(f"/api/v1/projects/{project_id}/transitions", json={
        "to_stage": "started", "date": day, "skipped_dates": {"signed": day, "land_supplied": day},
        "evidence": ["开工仪式照片"]})
    assert response.status_code == 200, response.text
    if confirm:
        response = await registry.post(f"/api/v1/projects/{project_id}/start-confirmation", json={
            "kind": "piling", "date": day, "evidence": ["桩基施工照片"]})
        assert response.status_code == 200, response.text
    return response.json()


async def history_actions(registry, project_id: str) -> list[dict]:
    response = await registry.get(f"/api/v1/projects/{project_id}/history", params={"limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def field_names(response) -> set[str]:
    """The fields a 422 problem names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"] for error in response.json()["errors"]}
