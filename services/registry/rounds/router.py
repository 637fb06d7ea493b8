"""Reporting round endpoints (月调度): open a month, report a project, decide, and who has not reported."""
from fastapi import APIRouter, Request
from sqlalchemy import select

from kit.app import SessionDep, url_for
from kit.auth import Principal
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from services.registry.lifecycle.router import Reader, Writer
from services.registry.models import ReportingRound, RoundReport
from services.registry.rounds import service
from services.registry.rounds.schemas import (STATUS_LABELS, Decision, ReportIn, ReportPublic, RoundCreate,
                                              RoundPublic, RoundSummary, UnitStanding)

router = APIRouter(tags=["reporting rounds"])


def public(report: RoundReport, period: str) -> ReportPublic:
    return ReportPublic(id=report.id, round_id=report.round_id, period=period, project_id=report.project_id,
                        unit_id=report.unit_id, status=report.status, status_label=STATUS_LABELS[report.status],
                        investment=report.investment, progress=report.progress, next_plan=report.next_plan,
                        photos=report.photos, problems=report.problems, submitted_on=report.submitted_on,
                        first_submitted_on=report.first_submitted_on, late=report.late, steps=report.steps,
                        updated_at=report.updated_at)


async def _view(session, round_: ReportingRound, principal: Principal, on) -> RoundPublic:
    units = [UnitStanding(**u) for u in await service.standing(session=session, round_=round_,
                                                               unit_id=principal.unit_id)]
    total = {k: sum(getattr(u, k) for u in units) for k in ("expected", "reported", "approved", "returned", "late",
                                                            "missing")}
    return RoundPublic(id=round_.id, period=round_.period, year=round_.year, deadline=round_.deadline,
                       opened_on=round_.opened_on, opened_by=round_.opened_by, closed=on > round_.deadline,
                       units=units, **total)


@router.post("/reporting-rounds", status_code=201, response_model=RoundPublic)
async def open_round(body: RoundCreate, session: SessionDep, principal: Writer, request: Request,
                     idempotency_key: IdempotencyKey = None):
    """The office opens a month's round (下发调度) with its deadline."""
    settings = request.app.state.settings
    principal.ensure_office(service.OFFICE_ONLY.format("open a reporting round"))

    async def create():
        round_ = await service.open_round(session=session, body=body, actor=principal.subject,
                                          today=today(settings), default_days=settings.reporting_round_days)
        return await _view(session, round_, principal, today(settings))

    return await create_once(session, key=idempotency_key, scope="reporting-rounds", request_body=body,
                             create=create, location=lambda b: url_for(request, "get_round", round_id=b["id"]))


@router.get("/reporting-rounds", response_model=list[RoundSummary])
async def list_rounds(session: SessionDep, _: Reader):
    rows = (await session.scalars(select(ReportingRound).order_by(ReportingRound.period.desc()))).all()
    return [RoundSummary.model_validate(r, from_attributes=True) for r in rows]


@router.get("/reporting-rounds/{round_id}", response_model=RoundPublic)
async def get_round(round_id: str, session: SessionDep, principal: Reader, request: Request):
    """The round with every unit's standing: reported on time, late, not at all (未报), approved, returned; a
    unit-bound token sees its own unit."""
    round_ = await service.get_round(session=session, round_id=round_id)
    return await _view(session, round_, principal, today(request.app.state.settings))


@router.get("/reporting-rounds/{round_id}/reports", response_model=list[ReportPublic])
async def list_reports(round_id: str, session: SessionDep, principal: Reader):
    round_ = await service.get_round(session=session, round_id=round_id)
    return [public(r, round_.period)
            for r in await service.reports_of(session=session, round_id=round_id, unit_id=principal.unit_id)]


@router.put("/reporting-rounds/{round_id}/reports/{project_id}", response_model=ReportPublic)
async def submit_report(round_id: str, project_id: str, body: ReportIn, session: SessionDep, principal: Writer,
                        request: Request):
    """A unit reports its project for the month (填报), or corrects it until it is approved."""
    report = await service.submit(session=session, round_id=round_id, project_id=project_id, body=body,
                                  principal=principal, today=today(request.app.state.settings))
    return public(report, (await service.get_round(session=session, round_id=round_id)).period)


@router.post("/reporting-rounds/{round_id}/reports/{project_id}/decision", response_model=ReportPublic)
async def decide(round_id: str, project_id: str, body: Decision, session: SessionDep, principal: Writer,
                 request: Request):
    """The office approves the report (its investment becomes the month's) or returns it with a comment (退回)."""
    report = await service.decide(session=session, round_id=round_id, project_id=project_id, decision=body,
                                  principal=principal, today=today(request.app.state.settings))
    return public(report, (await service.get_round(session=session, round_id=round_id)).period)
