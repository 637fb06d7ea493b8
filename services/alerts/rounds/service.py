"""Supervision round use-cases: freeze the list for a supervision day, read it back as JSON or CSV. Never commit."""
import csv
import io
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import Colour, TaskStatus, message_on
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, NotFound
from kit.pagination import PageParams, keyset, page_of
from kit.spreadsheets import safe_cell
from services.alerts.access import ensure_supervisor
from services.alerts import reporting
from services.alerts.models import (Alert, ProjectFact, ProjectStatus, ReportingRoundFact, SupervisionRound, Task,
                                    Unit)
from services.alerts.rules.escalation import first_tuesday


def default_date(today: date) -> date:
    return first_tuesday(today.year, today.month)


async def create(*, session: AsyncSession, on: date | None, principal: Principal, today: date) -> SupervisionRound:
    """Freezes, for the supervision day, every red and yellow project and every unclosed task, per unit."""
    ensure_supervisor(principal, "start a supervision round")
    on = on or default_date(today)
    if await session.scalar(select(SupervisionRound.id).where(SupervisionRound.date == on)) is not None:
        raise Conflict(f"the supervision round of {on} is already frozen")
    units: dict[str, dict] = {}

    def unit(unit_id: str) -> dict:
        return units.setdefault(unit_id, {"unit_id": unit_id, "red_projects": 0, "yellow_projects": 0,
                                          "open_tasks": 0, "late_tasks": 0, "unreported_projects": 0,
                                          "projects": [], "tasks": [], "unreported": []})

    # 月调度: what each unit has not reported in the rounds whose deadline had passed by the supervision day
    for round_ in (await session.scalars(select(ReportingRoundFact).where(ReportingRoundFact.deadline < on)
                                         .order_by(ReportingRoundFact.period))).all():
        for unit_id, names in sorted((await reporting.missing_by_unit(session, round_)).items()):
            entry = unit(unit_id)
            entry["unreported_projects"] += len(names)
            entry["unreported"].append({"period": round_.period, "deadline": round_.deadline.isoformat(),
                                        "projects": names})

    coloured = (await session.execute(
        select(ProjectStatus.project_id, ProjectStatus.colour, ProjectStatus.grade, ProjectFact.unit_id,
               ProjectFact.code, ProjectFact.name, ProjectFact.lead_leader)
        .join(ProjectFact, ProjectFact.id == ProjectStatus.project_id)
        .where(ProjectStatus.colour.in_([Colour.red, Colour.yellow]), ProjectFact.archived.is_(False))
        .order_by(ProjectFact.code))).all()
    alerts: dict[str, list] = {}
    if coloured:
        for alert in (await session.execute(
                select(Alert.project_id, Alert.rule, Alert.colour, Alert.message, Alert.wording, Alert.as_of)
                .where(Alert.active_key.is_not(None), Alert.project_id.in_([p.project_id for p in coloured]))
                .order_by(Alert.created_at))).all():
            alerts.setdefault(alert.project_id, []).append(
                {"rule": alert.rule, "colour": alert.colour,
                 "message": message_on(alert.wording, alert.message, alert.as_of, on)})
    for p in coloured:
        entry = unit(p.unit_id)
        entry["red_projects" if p.colour == Colour.red else "yellow_projects"] += 1
        entry["projects"].append({"project_id": p.project_id, "code": p.code, "name": p.name, "colour": p.colour,
                                  "grade": p.grade, "lead_leader": p.lead_leader,
                                  "alerts": alerts.get(p.project_id, [])})
    names: dict[str, str] = {}
    tasks = (await session.execute(select(Task).where(Task.status != TaskStatus.closed)
                                   .order_by(Task.deadline, Task.id))).scalars().all()
    project_ids = {t.project_id for t in tasks if t.project_id}
    if project_ids:
        names = dict((await session.execute(select(ProjectFact.id, ProjectFact.name).where(
            ProjectFact.id.in_(project_ids)))).all())
    for t in tasks:
        entry = unit(t.unit_id)
        days_late = (on - t.deadline).days
        late = t.status == TaskStatus.open and not t.resolvable and not t.on_hold and days_late > 0
        entry["open_tasks"] += 1
        entry["late_tasks"] += late
        entry["tasks"].append({"task_id": t.id, "title": t.title, "project_id": t.project_id,
                               "project_name": names.get(t.project_id), "status": t.status,
                               "deadline": t.deadline.isoformat(), "days_late": max(days_late, 0), "late": late,
                               "escalation_level": t.escalation_level, "resolvable": t.resolvable,
                               "source": t.source})
    known = {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(list(units))))).all()}
    for unit_id, entry in units.items():
        found = known.get(unit_id)
        entry.update(unit_code=found.code if found else None, unit_name=found.name if found else None)
    ordered = sorted(units.values(), key=lambda u: (-u["red_projects"], -u["late_tasks"], u["unit_code"] or "",
                                                    u["unit_id"]))
    totals = {"units": len(ordered), **{k: sum(u[k] for u in ordered) for k in (
        "red_projects", "yellow_projects", "open_tasks", "late_tasks", "unreported_projects")}}
    row = SupervisionRound(id=str(uuid.uuid4()), date=on, units=ordered, totals=totals, created_by=principal.subject,
                           created_at=utcnow())
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the supervision round of {on} is already frozen") from exc
    return row


async def get(*, session: AsyncSession, round_id: str) -> SupervisionRound:
    row = await session.get(SupervisionRound, round_id)
    if row is None:
        raise NotFound(f"supervision round {round_id} does not exist")
    return row


async def list_(*, session: AsyncSession, params: PageParams) -> tuple[list, str | None]:
    """Lists the rounds, latest supervision day first."""
    query = select(SupervisionRound.id, SupervisionRound.date, SupervisionRound.totals, SupervisionRound.created_by,
                   SupervisionRound.created_at)
    rows = list((await session.execute(keyset(query, key=SupervisionRound.date, params=params,
                                              descending=True))).all())
    return page_of(rows, params, keys=lambda r: [r.date])


CSV_COLUMNS = ["round_date", "unit_code", "unit_name", "item", "project_code", "project_name", "colour", "grade",
               "detail", "task_title", "task_status", "deadline", "days_late", "escalation_level"]


class _SafeWriter:
    """csv.writer whose text cells cannot run as formulas when a supervisor opens the file in Excel."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, cells: list) -> None:
        self._writer.writerow([safe_cell(c) for c in cells])


def to_csv(row: SupervisionRound) -> str:
    """One line per coloured project and per open task, unit by unit; UTF-8 with a BOM so Excel reads Chinese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = _SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for unit in row.units:
        base = [row.date.isoformat(), unit["unit_code"] or "", unit["unit_name"] or unit["unit_id"]]
        for p in unit["projects"]:
            writer.writerow(base + ["project", p["code"], p["name"], p["colour"], p["grade"],
                                    "；".join(a["message"] for a in p["alerts"]), "", "", "", "", ""])
        for t in unit["tasks"]:
            writer.writerow(base + ["task", "", t["project_name"] or "", "", "", "", t["title"], t["status"],
                                    t["deadline"], t["days_late"], t["escalation_level"]])
        for r in unit.get("unreported", ()):  # rounds frozen before these were kept have none
            writer.writerow(base + ["unreported", "", "、".join(r["projects"]), "", "",
                                    f"{r['period']} 月调度未报送 {len(r['projects'])} 个项目", "", "", r["deadline"],
                                    "", ""])
    return out.getvalue()
