"""Suspension use-cases: a unit requests a suspension or a resumption for its own project, the office (a token
without a unit) approves or rejects what is pending. Each step is recorded on the episode and in the project's
history and announced; approvals change the project (suspended since / running again, new planned dates). Never
commit."""
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import (ProjectResumed, ProjectSuspended, ResumptionRejected, ResumptionRequested,
                                SuspensionRejected, SuspensionRequested, SuspensionState)
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from kit.pagination import PageParams, keyset, page_of
from services.registry import history
from services.registry.events import project_state, publish
from services.registry.models import Project, Suspension
from services.registry.projects.dated import plausible_errors
from services.registry.projects.service import get as get_project
from services.registry.projects.service import get_writable
from services.registry.suspensions.schemas import (OPEN, Decision, ResumptionRequest, SuspensionRequest,
                                                   SuspensionStatus)


def _step(action: str, principal: Principal, today: date, comment: str | None) -> dict:
    return {"action": action, "actor": principal.subject, "on": today.isoformat(), "at": utcnow().isoformat(),
            "comment": comment}


def _state(model: type[SuspensionState], suspension: Suspension, today: date,
           comment: str | None = None) -> SuspensionState:
    return model(id=suspension.id, project_id=suspension.project_id, responsible_unit_id=suspension.unit_id,
                 status=suspension.status, reason=suspension.reason, detail=suspension.detail,
                 suspend_from=suspension.suspend_from, expected_resume_on=suspension.expected_resume_on,
                 resume_on=suspension.resume_on, comment=comment, on=today)


def _invalid(errors: list[dict]) -> None:
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)


async def request(*, session: AsyncSession, project_id: str, body: SuspensionRequest, principal: Principal,
                  today: date, reasons: dict[str, str]) -> Suspension:
    """A unit (or the office) asks to suspend a project that runs; one open episode at a time."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    suspend_from = body.suspend_from or today
    errors = []
    if body.reason not in reasons:
        errors.append(field_error("reason", f"停工原因须为：{'、'.join(f'{k}（{v}）' for k, v in reasons.items())}"))
    if suspend_from > today:
        errors.append(field_error("suspend_from", f"{suspend_from} 晚于今天（{today}）：停工须已开始"))
    if body.expected_resume_on is not None and body.expected_resume_on < suspend_from:
        errors.append(field_error("expected_resume_on", f"{body.expected_resume_on} 早于停工日期 {suspend_from}"))
    errors += plausible_errors({"year": project.year, "suspend_from": suspend_from,
                                "expected_resume_on": body.expected_resume_on}, ("suspend_from", "expected_resume_on"))
    _invalid(errors)
    pending = await session.scalar(select(Suspension.id).where(Suspension.project_id == project_id,
                                                              Suspension.status.in_([s.value for s in OPEN])))
    if pending is not None:
        raise Conflict(f"项目已有未结束的停复工申请（{pending}）")
    now = utcnow()
    suspension = Suspension(id=str(uuid.uuid4()), project_id=project_id, unit_id=project.responsible_unit_id,
                            status=SuspensionStatus.requested.value, reason=body.reason, detail=body.detail,
                            evidence=list(body.evidence), suspend_from=suspend_from,
                            expected_resume_on=body.expected_resume_on,
                            steps=[_step("requested", principal, today, body.detail)], created_at=now,
                            updated_at=now)
    session.add(suspension)
    await session.flush()
    await history.record(session, project_id=project_id, actor=principal.subject, action="suspension_requested",
                         changes={"suspension": {"before": None, "after": suspension.id}}, note=body.detail)
    await publish(session, _state(SuspensionRequested, suspension, today), subject=project_id)
    return suspension


async def get(*, session: AsyncSession, suspension_id: str, for_update: bool = False) -> Suspension:
    suspension = await session.get(Suspension, suspension_id, with_for_update=for_update)
    if suspension is None:
        raise NotFound(f"suspension {suspension_id} does not exist")
    return suspension


async def request_resumption(*, session: AsyncSession, suspension_id: str, body: ResumptionRequest,
                             principal: Principal, today: date) -> Suspension:
    """The unit asks to resume a suspended project, from a day not in the future, with new planned dates if any."""
    suspension = await get(session=session, suspension_id=suspension_id, for_update=True)
    principal.ensure_unit(suspension.unit_id)
    if suspension.status != SuspensionStatus.suspended.value:
        raise Conflict(f"只有已停工的项目可以申请复工；该申请的状态是 {suspension.status}")
    project = await get_project(session=session, project_id=suspension.project_id)
    errors = []
    if body.resume_on > today:
        errors.append(field_error("resume_on", f"{body.resume_on} 晚于今天（{today}）：复工须已开始"))
    if body.resume_on < suspension.suspend_from:
        errors.append(field_error("resume_on", f"{body.resume_on} 早于停工日期 {suspension.suspend_from}"))
    start = body.planned_start_date or project.planned_start_date
    end = body.planned_completion_date or project.planned_completion_date
    if start and end and start > end:
        errors.append(field_error("planned_completion_date", f"{end} 早于计划开工日期 {start}"))
    errors += plausible_errors({"year": project.year, "planned_start_date": body.planned_start_date,
                                "planned_completion_date": body.planned_completion_date},
                               ("planned_start_date", "planned_completion_date"))
    _invalid(errors)
    suspension.status = SuspensionStatus.resume_requested.value
    suspension.resume_on = body.resume_on
    suspension.new_planned_start_date = body.planned_start_date
    suspension.new_planned_completion_date = body.planned_completion_date
    suspension.evidence = [*suspension.evidence, *body.evidence]
    suspension.steps = [*suspension.steps, _step("resume_requested", principal, today, body.note)]
    suspension.updated_at = utcnow()
    await session.flush()
    await history.record(session, project_id=project.id, actor=principal.subject, action="resumption_requested",
                         changes={"resume_on": {"before": None, "after": body.resume_on.isoformat()}},
                         note=body.note)
    await publish(session, _state(ResumptionRequested, suspension, today), subject=project.id)
    return suspension


async def decide(*, session: AsyncSession, suspension_id: str, decision: Decision, principal: Principal,
                 today: date) -> Suspension:
    """The office approves or rejects what is pending: a suspension (the project is suspended from the day asked)
    or a resumption (it runs again from the day asked, with its new planned dates; the pause is announced)."""
    principal.ensure_office("停复工由项目办审核：a unit-bound token may not decide")
    suspension = await get(session=session, suspension_id=suspension_id, for_update=True)
    pending = suspension.status
    if pending not in (SuspensionStatus.requested.value, SuspensionStatus.resume_requested.value):
        raise Conflict(f"nothing is waiting for a decision: the suspension is {pending}")
    project = await get_writable(session=session, project_id=suspension.project_id, principal=principal)
    resuming = pending == SuspensionStatus.resume_requested.value
    action = ("resume_" if resuming else "") + ("approved" if decision.approve else "rejected")
    suspension.steps = [*suspension.steps, _step(action, principal, today, decision.comment)]
    suspension.updated_at = utcnow()
    if not decision.approve:
        suspension.status = (SuspensionStatus.suspended if resuming else SuspensionStatus.rejected).value
        if resuming:
            suspension.resume_on = suspension.new_planned_start_date = suspension.new_planned_completion_date = None
        await session.flush()
        await history.record(session, project_id=project.id, actor=principal.subject, action=f"suspension_{action}",
                             note=decision.comment)
        await publish(session, _state(ResumptionRejected if resuming else SuspensionRejected, suspension, today,
                                      decision.comment), subject=project.id)
        return suspension
    if resuming:
        await _resume(session, project, suspension, principal, decision)
    else:
        await _suspend(session, project, suspension, principal, decision)
    return suspension


async def _suspend(session: AsyncSession, project: Project, suspension: Suspension, principal: Principal,
                   decision: Decision) -> None:
    suspension.status = SuspensionStatus.suspended.value
    project.suspended_on = suspension.suspend_from
    project.version += 1
    project.updated_at = utcnow()
    await session.flush()
    await history.record(session, project_id=project.id, actor=principal.subject, action="suspended",
                         changes={"suspended_on": {"before": None, "after": suspension.suspend_from.isoformat()}},
                         note=decision.comment)
    await publish(session, ProjectSuspended.model_validate({
        **project_state(project), "suspension_id": suspension.id, "reason": suspension.reason,
        "expected_resume_on": suspension.expected_resume_on}), subject=project.id)


async def _resume(session: AsyncSession, project: Project, suspension: Suspension, principal: Principal,
                  decision: Decision) -> None:
    paused_from = project.suspended_on or suspension.suspend_from
    changes = {"suspended_on": {"before": paused_from.isoformat(), "after": None}}
    for field, value in (("planned_start_date", suspension.new_planned_start_date),
                         ("planned_completion_date", suspension.new_planned_completion_date)):
        if value is not None and value != getattr(project, field):
            changes[field] = history.diff({field: getattr(project, field)}, {field: value})[field]
            setattr(project, field, value)
    suspension.status = SuspensionStatus.resumed.value
    project.suspended_on = None
    project.version += 1
    project.updated_at = utcnow()
    await session.flush()
    await history.record(session, project_id=project.id, actor=principal.subject, action="resumed",
                         changes=changes, note=decision.comment)
    await publish(session, ProjectResumed.model_validate({
        **project_state(project), "suspension_id": suspension.id, "paused_from": paused_from,
        "resumed_on": suspension.resume_on, "paused_days": (suspension.resume_on - paused_from).days}),
        subject=project.id)


async def list_(*, session: AsyncSession, params: PageParams, project_id: str | None, unit_id: str | None,
                status: SuspensionStatus | None) -> tuple[list[Suspension], str | None]:
    """Episodes, newest first."""
    query = select(Suspension)
    for column, value in ((Suspension.project_id, project_id), (Suspension.unit_id, unit_id),
                          (Suspension.status, status.value if status else None)):
        if value is not None:
            query = query.where(column == value)
    rows = list((await session.scalars(keyset(query, key=Suspension.id, sort=Suspension.created_at,
                                              descending=True, params=params))).all())
    return page_of(rows, params, keys=lambda s: [s.created_at, s.id])
