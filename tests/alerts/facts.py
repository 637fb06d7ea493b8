"""Feeding the alerts service facts the way the registry and milestones services would: CloudEvents on their topics.

The tests choose every date (the registry refuses dates after its today), so scans for given dates are exact.
"""
import uuid
from datetime import date

from contracts import milestones, registry, topics
from contracts.envelope import CloudEvent, EventData, new_event
from contracts.topics import PRODUCERS
from tests.support.api import eventually
from tests.support.clock import TODAY
from tests.support.kafka import produce_events



def today() -> date:
    """The alerts service's today: the run's pinned date."""
    return TODAY


def event(data: EventData, subject: str) -> CloudEvent:
    """The event as its producer publishes it (consumers refuse an event whose source is not its topic's producer)."""
    return new_event(data, subject=subject, source=f"/tests/{PRODUCERS[data.topic]}")


async def send(platform, *events: CloudEvent) -> None:
    """Produce CloudEvents onto the topic of their type, keyed by subject, in order."""
    by_topic: dict[str, list[CloudEvent]] = {}
    for e in events:
        topic = topics.MILESTONES if e.type.startswith("keyproject.milestones.") else topics.REGISTRY
        by_topic.setdefault(topic, []).append(e)
    for topic, batch in by_topic.items():
        await produce_events(platform.broker.bootstrap, topic, batch)


def unit(**overrides) -> registry.UnitCreated:
    return registry.UnitCreated(**{"id": str(uuid.uuid4()), "code": f"U-{uuid.uuid4().hex[:8]}", "name": "城关镇",
                                   "kind": "town", **overrides})


def project(unit_id: str, **overrides) -> registry.ProjectRegistered:
    """A project in the 2027 list; no annual plan unless given, so the investment rule stays out of the way."""
    return registry.ProjectRegistered.model_validate({
        "id": str(uuid.uuid4()), "code": f"P-{uuid.uuid4().hex[:8]}", "name": "新能源电池生产基地", "year": 2027,
        "level": "municipal", "category": "manufacturing", "sector": "secondary", "total_investment": "120000",
        "annual_plan_investment": "0", "bracket": "10_50yi", "responsible_unit_id": unit_id, "stage": "planning",
        "lead_leader": "张副市长", "version": 1, **overrides})


def stage_changed(state: registry.ProjectState, to_stage: str, on: str, **overrides) -> registry.ProjectStageChanged:
    dates = {**{k.value: v.isoformat() for k, v in state.stage_dates.items()}, to_stage: on}
    return registry.ProjectStageChanged.model_validate({
        **state.model_dump(mode="json"), "stage": to_stage, "stage_dates": dates, "from_stage": state.stage.value,
        "to_stage": to_stage, "date": on, "version": state.version + 1, **overrides})


def milestone(model: type[milestones.MilestoneState], project_id: str, **fields) -> milestones.MilestoneState:
    planned = date.fromisoformat(str(fields.get("planned_date", "2027-03-01")))
    return model.model_validate({
        "id": str(uuid.uuid4()), "project_id": project_id, "key": "construction_permit", "name": "施工许可",
        "planned_date": planned, "baseline_date": planned, "status": "pending", **fields})


async def known(alerts, project_id: str, *, version: int = 1) -> dict:
    """Wait until the alerts service holds the project (at least `version` of its state) and return its status."""
    found = {}

    async def arrived():
        response = await alerts.get(f"/api/v1/projects/{project_id}/status")
        found["status"] = response.json() if response.status_code == 200 else None
        return found["status"] is not None and found["status"]["version"] >= version

    await eventually(arrived, timeout=60, interval=0.1, what=f"project {project_id} in the alerts service")
    return found["status"]


async def scan(alerts, on: str) -> dict:
    response = await alerts.post("/api/v1/admin/scan", params={"date": on})
    assert response.status_code == 200, response.text
    return response.json()


async def active_alerts(alerts, **filters) -> list[dict]:
    response = await alerts.get("/api/v1/alerts", params={"active": "true", "limit": 500, **filters})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def status(alerts, project_id: str) -> dict:
    response = await alerts.get(f"/api/v1/projects/{project_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


async def tasks(alerts, **filters) -> list[dict]:
    """Every task the filters select, page after page (the session platform holds hundreds)."""
    found, cursor = [], None
    while True:
        page = {"cursor": cursor} if cursor else {}
        response = await alerts.get("/api/v1/tasks", params={"limit": 500, **filters, **page})
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return found


GRADE_OF = {"red": "lagging", "yellow": "warning"}
RANK = {"blue": 0, "yellow": 1, "red": 2}


async def coloured_by_its_alerts(alerts, project_id: str) -> dict:
    """Assert the project's colour is its worst active alert (blue without any) and the grade follows it."""
    found = await status(alerts, project_id)
    worst = max((a["colour"] for a in found["alerts"]), key=RANK.__getitem__, default="blue")
    assert found["colour"] == worst, found
    if worst != "blue":
        assert found["grade"] == GRADE_OF[worst], found
    return found


async def published(log, model, *, subject: str, timeout: float = 30, **match) -> list:
    """Events of `model` about `subject` whose fields equal `match`, once at least one was published."""
    found: list = []

    async def arrived():
        found[:] = [e for e in await log.all(model, subject=subject)
                    if all(getattr(e, k) == v for k, v in match.items())]
        return bool(found)

    await eventually(arrived, timeout=timeout, what=f"{model.type} {match} about {subject}")
    return found
