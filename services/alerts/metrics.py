"""Dashboard gauges of the alerts service, recomputed from the database by a background job and after scans."""
import asyncio
import logging
from datetime import date

from fastapi import FastAPI
from prometheus_client import Counter, Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import Colour, EscalationLevel, Grade, TaskStatus
from kit.clock import today
from services.alerts.models import Alert, ProjectStatus, Task
from services.alerts.rules.definitions import RULES

log = logging.getLogger(__name__)

# Labelled series exist at zero from the start, so a rate over them is defined before the first delivery.
WEBHOOK_ATTEMPTS = Counter("kp_alerts_webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"])
for _outcome in ("delivered", "failed"):
    WEBHOOK_ATTEMPTS.labels(_outcome)
ALERTS_ACTIVE = Gauge("kp_alerts_active", "Active (or acknowledged) alerts", ["colour", "rule"])
PROJECTS = Gauge("kp_alerts_projects", "Projects by colour and grade", ["colour", "grade"])
TASKS_OPEN = Gauge("kp_alerts_tasks_open", "Supervision tasks not closed (open or feedback submitted)")
TASKS_LATE = Gauge("kp_alerts_tasks_late", "Open supervision tasks past their deadline, not resolvable")
TASKS_ESCALATED = Gauge("kp_alerts_tasks_escalated", "Unclosed supervision tasks by escalation level", ["level"])


async def refresh(session: AsyncSession, *, today: date) -> None:
    """Set every gauge from the database (label combinations with nothing read 0, so they do not linger)."""
    alerts = dict(((c, r), n) for c, r, n in (await session.execute(
        select(Alert.colour, Alert.rule, func.count()).where(Alert.active_key.is_not(None))
        .group_by(Alert.colour, Alert.rule))).all())
    for colour in (Colour.yellow, Colour.red):
        for rule in RULES:
            ALERTS_ACTIVE.labels(colour.value, rule).set(alerts.get((colour.value, rule), 0))
    projects = dict(((c, g), n) for c, g, n in (await session.execute(
        select(ProjectStatus.colour, ProjectStatus.grade, func.count())
        .group_by(ProjectStatus.colour, ProjectStatus.grade))).all())
    for colour in Colour:
        for grade in Grade:
            PROJECTS.labels(colour.value, grade.value).set(projects.get((colour.value, grade.value), 0))
    unclosed = Task.status != TaskStatus.closed
    TASKS_OPEN.set(await session.scalar(select(func.count()).select_from(Task).where(unclosed)) or 0)
    TASKS_LATE.set(await session.scalar(select(func.count()).select_from(Task).where(
        Task.status == TaskStatus.open, Task.resolvable.is_(False), Task.on_hold.is_(False),
        Task.deadline < today)) or 0)
    levels = dict((await session.execute(select(Task.escalation_level, func.count()).where(unclosed)
                                         .group_by(Task.escalation_level))).all())
    for level in EscalationLevel:
        if level != EscalationLevel.none:
            TASKS_ESCALATED.labels(level.value).set(levels.get(level.value, 0))


async def refresh_gauges(app: FastAPI) -> None:
    """Background job: keep the gauges current between scrapes."""
    settings = app.state.settings
    while True:
        try:
            async with app.state.sessionmaker() as session:
                await refresh(session, today=today(settings))
                await session.commit()
        except Exception:  # noqa: BLE001 - a failed refresh leaves the last values; the next one retries
            log.warning("metrics refresh failed", exc_info=True)
        await asyncio.sleep(settings.metrics_refresh_seconds)
