"""The milestones' and alerts' events, as those services would publish them, produced by the tests themselves."""
import uuid
from datetime import date

from contracts import alerts, milestones
from contracts.envelope import CloudEvent, new_event
from tests.support.kafka import produce_events

MILESTONES_SOURCE = "/keyproject/milestones"
ALERTS_SOURCE = "/keyproject/alerts"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def status(project_id: str, unit_id: str, colour: str, grade: str, as_of: date, *, before=("blue", "normal")
           ) -> CloudEvent:
    return new_event(alerts.ProjectStatusChanged(
        project_id=project_id, unit_id=unit_id, from_colour=before[0], to_colour=colour, from_grade=before[1],
        to_grade=grade, as_of=as_of), subject=project_id, source=ALERTS_SOURCE)


def alert(model: type[alerts.AlertState], project_id: str, unit_id: str, *, rule: str, colour: str, message: str,
          raised_on: date, status_: str = "active", **extra) -> CloudEvent:
    return new_event(model(id=_id(project_id, rule), project_id=project_id, unit_id=unit_id, rule=rule,
                           colour=colour, message=message, status=status_, raised_on=raised_on, as_of=raised_on,
                           **extra), subject=project_id, source=ALERTS_SOURCE)


def node(model: type[milestones.MilestoneState], project_id: str, key: str, *, status_: str, planned: date,
         actual: date | None = None, **extra) -> CloudEvent:
    days_late = max(0, ((actual or planned) - planned).days)
    return new_event(model(id=_id(project_id, key), project_id=project_id, key=key, name=f"节点{key}",
                           planned_date=planned, baseline_date=planned, actual_date=actual, status=status_,
                           days_late=days_late, **extra), subject=project_id, source=MILESTONES_SOURCE)


def task(model: type[alerts.TaskState], task_key: str, unit_id: str, *, project_id: str | None, deadline: date,
         status_: str, opened_on: date, closed_on: date | None = None, **extra) -> CloudEvent:
    return new_event(model(id=_id("task", task_key), project_id=project_id, unit_id=unit_id, title=f"督办件{task_key}",
                           deadline=deadline, status=status_, source="alert", opened_on=opened_on,
                           closed_on=closed_on, **extra), subject=project_id or unit_id, source=ALERTS_SOURCE)


async def produce(bootstrap: str, events: list[CloudEvent]) -> None:
    """Produce events onto their producer's topic, keyed by subject (one project's events in order)."""
    by_topic: dict[str, list[CloudEvent]] = {}
    for event in events:
        topic = "keyproject.milestones" if event.source == MILESTONES_SOURCE else "keyproject.alerts"
        by_topic.setdefault(topic, []).append(event)
    for topic, batch in by_topic.items():
        await produce_events(bootstrap, topic, batch)
