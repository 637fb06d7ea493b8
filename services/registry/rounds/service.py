"""Reporting round use-cases: the office opens a month and decides on each report, units report their own projects;
an approved report's investment becomes the project's monthly investment (the same fact as PUT …/investments/{month},
with the round as its origin) and its problems go to the alerts service as 堵点. Never commit."""
import uuid
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import (ReportingRoundOpened, RoundReportApproved, RoundReportReturned, RoundReportState,
                                RoundReportSubmitted)
from contracts.types import month_end
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from services.registry.events import publish
from services.registry.investments import service as investments
from services.registry.models import Project, ReportingRound, RoundReport, Unit
from services.registry.projects.service import get_writable
from services.registry.rounds.schemas import Decision, ReportIn, ReportStatus, RoundCreate

SYSTEM = "registry"  # the actor of a round opened on the configured day


OFFICE_ONLY = "月调度由项目办组织：a unit-bound token may not {}"


async def open_round(*, session: AsyncSession, body: RoundCreate, actor: str, today: date,
                     default_days: int) -> ReportingRound:
    """Opens the month's round; one round a month (409 for another)."""
    first = date(int(body.period[:4]), int(body.period[5:]), 1)
    errors = []
    if first > today:
        errors.append(field_error("period", f"{body.period} 尚未开始：只能为本月或以前的月份下发调度"))
    deadline = body.deadline or today + timedelta(days=default_days)
    if deadline < first:
        errors.append(field_error("deadline", f"{deadline} 早于所报月份 {body.period}"))
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)
    if await session.scalar(select(ReportingRound.id).where(ReportingRound.period == body.period)) is not None:
        raise Conflict(f"{body.period} 的调度已经下发")
    round_ = ReportingRound(id=str(uuid.uuid4()), period=body.period, year=first.year, deadline=deadline,
                            opened_on=today, opened_by=actor, created_at=utcnow())
    session.add(round_)
    try:
        await session.flush()
    except IntegrityError as exc:  # opened at the same moment by another request or the scheduler
        raise Conflict(f"{body.period} 的调度已经下发") from exc
    await publish(session, ReportingRoundOpened(id=round_.id, period=round_.period, year=round_.year,
                                                deadline=deadline, opened_on=today), subject=round_.id)
    return round_


async def get_round(*, session: AsyncSession, round_id: str) -> ReportingRound:
    round_ = await session.get(ReportingRound, round_id)
    if round_ is None:
        raise NotFound(f"reporting round {round_id} does not exist")
    return round_


def expected(round_: ReportingRound):
    """The projects a round expects a report of: the year's list as it stands at the month's end (not archived, not
    suspended, listed by then)."""
    return select(Project).where(Project.year == round_.year, Project.archived.is_(False),
                                 Project.suspended_on.is_(None),
                                 or_(Project.listed_on.is_(None), Project.listed_on <= month_end(round_.period)))


def _state(model: type[RoundReportState], report: RoundReport, round_: ReportingRound, on: date,
           comment: str | None = None) -> RoundReportState:
    return model(id=report.id, round_id=round_.id, period=round_.period, project_id=report.project_id,
                 responsible_unit_id=report.unit_id, status=report.status, investment=report.investment,
                 progress=report.progress, next_plan=report.next_plan, photos=report.photos,
                 problems=report.problems, submitted_on=report.submitted_on, late=report.late, comment=comment,
                 on=on)


async def submit(*, session: AsyncSession, round_id: str, project_id: str, body: ReportIn, principal: Principal,
                 today: date) -> RoundReport:
    """A unit reports its project (or corrects what it reported or what was returned); once approved it is final."""
    round_ = await get_round(session=session, round_id=round_id)
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    if await session.scalar(expected(round_).with_only_columns(Project.id).where(Project.id == project.id)) is None:
        raise Conflict(f"项目 {project.code} 不在 {round_.period} 调度的项目清单中")
    report = (await session.scalars(select(RoundReport).where(RoundReport.round_id == round_id,
                                                              RoundReport.project_id == project_id)
                                    .with_for_update())).first()
    if report is not None and report.status == ReportStatus.approved.value:
        raise Conflict("该报送已审核通过，不能再修改")
    now = utcnow()
    values = dict(status=ReportStatus.submitted.value, investment=body.investment, progress=body.progress,
                  next_plan=body.next_plan, photos=list(body.photos),
                  problems=[p.model_dump(mode="json") for p in body.problems], submitted_on=today, updated_at=now)
    step = {"action": "submitted" if report is None else "resubmitted", "actor": principal.subject,
            "on": today.isoformat(), "comment": None}
    if report is None:
        # late is decided by the first report: a correction asked for by the office does not make a unit late
        report = RoundReport(id=str(uuid.uuid4()), round_id=round_id, project_id=project_id,
                             unit_id=project.responsible_unit_id, first_submitted_on=today,
                             late=today > round_.deadline, steps=[step], created_at=now, **values)
        session.add(report)
    else:
        for field, value in values.items():
            setattr(report, field, value)
        report.steps = [*report.steps, step]
    await session.flush()
    await publish(session, _state(RoundReportSubmitted, report, round_, today), subject=project_id)
    return report


async def decide(*, session: AsyncSession, round_id: str, project_id: str, decision: Decision, principal: Principal,
                 today: date) -> RoundReport:
    """The office approves a submitted report (its investment becomes the month's fact) or returns it (退回)."""
    principal.ensure_office(OFFICE_ONLY.format("decide on reports"))
    round_ = await get_round(session=session, round_id=round_id)
    report = (await session.scalars(select(RoundReport).where(RoundReport.round_id == round_id,
                                                              RoundReport.project_id == project_id)
                                    .with_for_update())).first()
    if report is None:
        raise NotFound(f"project {project_id} has not reported in {round_.period}")
    if report.status != ReportStatus.submitted.value:
        raise Conflict(f"only a submitted report is decided on; this one is {report.status}")
    if not decision.approve and not decision.comment:
        raise Invalid("退回须说明原因", errors=[field_error("comment", "required when returning a report")])
    action = "approved" if decision.approve else "returned"
    report.status = (ReportStatus.approved if decision.approve else ReportStatus.returned).value
    report.steps = [*report.steps, {"action": action, "actor": principal.subject, "on": today.isoformat(),
                                    "comment": decision.comment}]
    report.updated_at = utcnow()
    await session.flush()
    if decision.approve:
        await investments.report(session=session, project_id=project_id, period=round_.period,
                                 amount=report.investment, principal=principal, today=today,
                                 origin=f"round:{round_.id}")
    model = RoundReportApproved if decision.approve else RoundReportReturned
    await publish(session, _state(model, report, round_, today, decision.comment), subject=project_id)
    return report


async def reports_of(*, session: AsyncSession, round_id: str, unit_id: str | None = None) -> list[RoundReport]:
    query = select(RoundReport).where(RoundReport.round_id == round_id)
    if unit_id is not None:
        query = query.where(RoundReport.unit_id == unit_id)
    return list((await session.scalars(query.order_by(RoundReport.created_at, RoundReport.id))).all())


async def standing(*, session: AsyncSession, round_: ReportingRound, unit_id: str | None = None) -> list[dict]:
    """Per unit: the projects expected, reported on time or late, not reported (未报), approved and returned."""
    query = expected(round_)
    if unit_id is not None:
        query = query.where(Project.responsible_unit_id == unit_id)
    projects = list((await session.scalars(query.order_by(Project.code))).all())
    reports = {r.project_id: r for r in await reports_of(session=session, round_id=round_.id, unit_id=unit_id)}
    names = dict((await session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({p.responsible_unit_id for p in projects})))).tuples().all())
    units: dict[str, dict] = {}
    for project in projects:
        entry = units.setdefault(project.responsible_unit_id, {
            "unit_id": project.responsible_unit_id, "unit_name": names.get(project.responsible_unit_id, ""),
            "expected": 0, "reported": 0, "on_time": 0, "late": 0, "missing": 0, "approved": 0, "returned": 0,
            "missing_projects": []})
        entry["expected"] += 1
        report = reports.get(project.id)
        if report is None:
            entry["missing"] += 1
            entry["missing_projects"].append({"id": project.id, "code": project.code, "name": project.name})
            continue
        entry["reported"] += 1
        entry["late" if report.late else "on_time"] += 1
        entry["approved"] += report.status == ReportStatus.approved.value
        entry["returned"] += report.status == ReportStatus.returned.value
    return sorted(units.values(), key=lambda u: (-u["missing"], -u["late"], u["unit_name"]))
