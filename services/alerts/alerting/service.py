"""Alert use-cases: list with filters, read with history, acknowledge, a project's status. Never commit."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import AlertAcknowledged, AlertStatus, Colour, Grade, message_on
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, NotFound
from kit.pagination import PageParams, keyset, page_of
from services.alerts import events
from services.alerts.evaluation.due import evaluated_days
from services.alerts.evaluation.engine import project_facts
from services.alerts.models import Alert, AlertChange, MilestoneFact, ParcelFact, ProjectFact, ProjectStatus, Task
from services.alerts.rules.definitions import investment_ratio
from services.alerts.rules.status import has_late_node


async def list_(*, session: AsyncSession, params: PageParams, filters: dict, active: bool | None,
                ) -> tuple[list[Alert], str | None]:
    """Lists alerts, newest first, filtered by colour, rule, unit, project, parcel, status or being active."""
    query = select(Alert)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Alert, name) == value)
    if active is not None:
        query = query.where(Alert.active_key.is_not(None) if active else Alert.active_key.is_(None))
    rows = list((await session.scalars(keyset(query, key=Alert.id, sort=Alert.created_at, params=params,
                                              descending=True))).all())
    return page_of(rows, params, keys=lambda r: [r.created_at, r.id])


async def shown_on(*, session: AsyncSession, alerts: list[Alert]) -> list[date]:
    """The day each alert is shown as of: an active one's, the day its subject was last evaluated (the days its
    wording counts went on since; a suspended project's alerts stay as they were on the day it was suspended)."""
    subjects = {a.subject_id for a in alerts if a.active_key is not None}
    evaluated: dict[str, date] = {}
    if subjects:
        evaluated = await evaluated_days(session, subjects)
        for subject, suspended_on in (await session.execute(select(ProjectFact.id, ProjectFact.suspended_on).where(
                ProjectFact.id.in_(evaluated), ProjectFact.suspended_on.is_not(None)))).all():
            evaluated[subject] = min(evaluated[subject], suspended_on)
        evaluated.update((await session.execute(select(ParcelFact.id, ParcelFact.evaluated_on).where(
            ParcelFact.id.in_(subjects), ParcelFact.evaluated_on.is_not(None)))).all())
    return [max(a.as_of, evaluated.get(a.subject_id, a.as_of)) if a.active_key is not None else a.as_of
            for a in alerts]


async def get(*, session: AsyncSession, alert_id: str) -> Alert:
    """Gets an alert by its id."""
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return alert


async def history(*, session: AsyncSession, alert_id: str) -> list[AlertChange]:
    query = select(AlertChange).where(AlertChange.alert_id == alert_id).order_by(AlertChange.id)
    return list((await session.scalars(query)).all())


async def acknowledge(*, session: AsyncSession, alert_id: str, note: str, principal: Principal,
                      today: date) -> Alert:
    """A user has seen an active alert and notes what is being done; it stays until its condition clears."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    principal.ensure_unit(alert.unit_id or "")
    if alert.status == AlertStatus.resolved:
        raise Conflict("the alert is resolved; there is nothing to acknowledge")
    if alert.status == AlertStatus.acknowledged:
        raise Conflict(f"the alert was already acknowledged by {alert.acknowledged_by}")
    now = utcnow()
    alert.status, alert.acknowledged_by = AlertStatus.acknowledged.value, principal.subject
    alert.acknowledged_at, alert.acknowledgement_note, alert.updated_at = now, note, now
    await session.flush()
    await session.execute(insert(AlertChange).values(
        alert_id=alert.id, action="acknowledged", colour=alert.colour,
        message=message_on(alert.wording, alert.message, alert.as_of, today), as_of=today,
        actor=principal.subject, note=note, at=now))
    await events.publish(session, [(AlertAcknowledged.model_validate(
        {**events.alert_state(alert), "acknowledged_by": principal.subject, "note": note}),
        events.alert_subject(alert))])
    return alert


async def project_status(*, session: AsyncSession, project_id: str, today: date) -> dict:
    """A project's colour, grade and active alerts, with the investment ratio as of its last evaluation."""
    project = await session.get(ProjectFact, project_id)
    if project is None or project.version == 0:
        raise NotFound(f"project {project_id} is not known to the alerts service (yet)")
    status = await session.get(ProjectStatus, project_id)
    alerts = list((await session.scalars(select(Alert).where(
        Alert.project_id == project_id, Alert.active_key.is_not(None)).order_by(Alert.created_at))).all())
    nodes = (await session.execute(select(MilestoneFact.name, MilestoneFact.planned_date, MilestoneFact.critical)
                                   .where(MilestoneFact.project_id == project_id,
                                          MilestoneFact.actual_date.is_(None)))).all()
    tasks = (await session.execute(select(Task.title, Task.deadline, Task.status, Task.resolvable).where(
        Task.project_id == project_id, Task.status != "closed"))).all()
    evaluated_on = (await evaluated_days(session, [project_id])).get(project_id)
    as_of = evaluated_on or today
    facts = project_facts(project, list(nodes), list(tasks))
    ratio = investment_ratio(facts, as_of)
    return {
        "project_id": project.id, "code": project.code, "name": project.name, "unit_id": project.unit_id,
        "version": project.version, "colour": Colour(status.colour) if status else Colour.blue,
        "grade": Grade(status.grade) if status else Grade.normal,
        "investment_ratio": None if ratio is None else (Decimal(ratio.numerator) / Decimal(ratio.denominator))
        .quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        "late_node": has_late_node(facts, as_of), "as_of": evaluated_on,
        "changed_on": status.changed_on if status else None, "alerts": alerts,
    }
