"""Alerts events: payloads built from rows, staged in the caller's transaction with their webhook deliveries."""
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from kit.outbox import stage_many
from services.alerts.webhooks import service as webhooks

SOURCE = "/keyproject/alerts"

ALERT_FIELDS = ("id", "project_id", "unit_id", "rule", "colour", "message", "status", "raised_on", "as_of",
                "parcel_id", "escalated_to", "wording")
TASK_FIELDS = ("id", "project_id", "unit_id", "title", "deadline", "status", "escalation_level", "source",
               "alert_id", "problem_id", "opened_on", "closed_on", "rule", "problem_type", "resolvable", "on_hold")


def _values(row: Any, fields: tuple[str, ...]) -> dict:
    return {f: row[f] for f in fields} if isinstance(row, dict) else {f: getattr(row, f) for f in fields}


def alert_state(alert: Any) -> dict:
    """An alert as events carry it; an alert about an unlinked parcel names the parcel as its project."""
    values = _values(alert, ALERT_FIELDS)
    values["project_id"] = values["project_id"] or _values(alert, ("subject_id",))["subject_id"]
    return values


def alert_subject(alert: Any) -> str:
    return alert_state(alert)["project_id"]


def task_state(task: Any) -> dict:
    return _values(task, TASK_FIELDS)


def task_subject(task: Any) -> str:
    """Task events are keyed by their project, or by their unit for a task about no project."""
    values = _values(task, ("project_id", "unit_id"))
    return values["project_id"] or values["unit_id"]


async def publish(session: AsyncSession, events: list[tuple[EventData, str]]) -> None:
    """Stage (event, subject) pairs in order, and owe each to the webhook subscriptions that want it."""
    if events:
        cloud_events = await stage_many(session, events, source=SOURCE)
        await webhooks.enqueue(session, cloud_events)
