"""Lifecycle use-cases: move a project through its stages, confirm its real start. Never commit."""
from datetime import date

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import (ProjectStageChanged, ProjectStartConfirmed, Stage, StatisticsStatus,
                                StatisticsStatusChanged)
from kit.auth import ADMIN, Principal
from kit.clock import utcnow
from kit.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from kit.outbox import WritesWithEvent
from services.registry import history
from services.registry.events import SOURCE, project_state, publish
from services.registry.lifecycle.schemas import StartConfirmation, TransitionRequest
from services.registry.models import Project, StageTransition
from services.registry.parcels.service import announce_parcels_of_project
from services.registry.projects.service import get, get_writable, writable

ORDER = list(Stage)


def _index(stage: str) -> int:
    return ORDER.index(Stage(stage))


def _forward_dates(project, request: TransitionRequest, today: date) -> dict[str, date]:
    """The stage dates after a forward move, checked: every skipped stage dated, dates in order, none ahead of today."""
    current, target = _index(project.stage), _index(request.to_stage)
    skipped = ORDER[current + 1: target]
    errors = [field_error(f"skipped_dates.{s}", f"the skipped stage {s} needs its date")
              for s in skipped if s not in request.skipped_dates]
    errors += [field_error(f"skipped_dates.{s}", "not a stage skipped by this move")
               for s in request.skipped_dates if s not in skipped]
    if errors:
        raise Invalid("stages may be skipped only with their dates", errors=errors)
    new_dates = {**{s.value: d for s, d in request.skipped_dates.items()}, request.to_stage.value: request.date}
    dates = {**{k: date.fromisoformat(v) for k, v in project.stage_dates.items()}, **new_dates}
    previous: tuple[str, date] | None = None
    for stage in ORDER[1: target + 1]:
        when = dates.get(stage.value)
        if when is None:
            continue
        field = "date" if stage == request.to_stage else f"skipped_dates.{stage.value}"
        if when > today and stage.value in new_dates:
            errors.append(field_error(field, f"{when} is in the future"))
        if previous and when < previous[1] and stage.value in new_dates:
            errors.append(field_error(field, f"{when} is before the {previous[0]} date {previous[1]}"))
        previous = (stage.value, when)
    if errors:
        raise Invalid("the stage dates are not in order", errors=errors)
    return dates


# The project row locked and read as plain values: the move is written by one statement below, not by the ORM.
_PROJECT = select(Project.__table__).where(Project.id == bindparam("project_id")).with_for_update()
_MOVED = ("stage", "stage_dates", "version", "updated_at", "real_start_kind", "real_start_date", "statistics_status",
          "statistics_reason")
# The project's new stage, the transition, the history entry and the event: one statement on PostgreSQL.
_MOVE = WritesWithEvent(
    update(Project).where(Project.id == bindparam("project_id")).values({c: bindparam(f"p_{c}") for c in _MOVED}),
    insert(StageTransition).values(
        project_id=bindparam("project_id"), from_stage=bindparam("t_from_stage"), to_stage=bindparam("p_stage"),
        date=bindparam("t_date"), note=bindparam("t_note"), evidence=bindparam("t_evidence"),
        backwards=bindparam("t_backwards"), actor=bindparam("actor"), at=bindparam("p_updated_at")),
    history.written_entry(project_id=bindparam("project_id"), actor=bindparam("actor"), action="stage_changed",
                          at=bindparam("p_updated_at")))


async def transition(*, session: AsyncSession, project_id: str, request: TransitionRequest, principal: Principal,
                     today: date) -> dict:
    """Moves a project to another stage: forward with dated evidence, back only by an admin with a reason."""
    row = (await session.execute(_PROJECT, {"project_id": project_id})).one_or_none()
    if row is None:
        raise NotFound(f"project {project_id} does not exist")
    writable(row, principal)
    project = dict(row._mapping)
    from_stage, real_start_before = row.stage, row.real_start_date
    before_dates = {k: date.fromisoformat(v) for k, v in row.stage_dates.items()}
    if request.to_stage == from_stage:
        raise Conflict(f"the project is already {from_stage}")
    backwards = _index(request.to_stage) < _index(from_stage)
    if backwards:
        if ADMIN not in principal.scopes:
            raise Forbidden("going back to an earlier stage needs the admin scope")
        if not request.reason:
            raise Invalid("going back needs a reason", errors=[field_error("reason", "required when going back")])
        if request.date > today:
            raise Invalid("the date is in the future", errors=[field_error("date", f"{request.date} is in the future")])
        keep = {s.value for s in ORDER[1: _index(request.to_stage) + 1]}
        dates = {k: v for k, v in before_dates.items() if k in keep}
        if _index(request.to_stage) < _index(Stage.started):
            # No longer started: no real start, and not in statistics (入库) whatever its review had reached.
            project["real_start_kind"], project["real_start_date"] = None, None
    else:
        dates = _forward_dates(row, request, today)
    project["stage"] = request.to_stage.value
    project["stage_dates"] = {k: v.isoformat() for k, v in sorted(dates.items(), key=lambda kv: _index(kv[0]))}
    project["version"] += 1
    project["updated_at"] = utcnow()
    changes = {"stage": {"before": from_stage, "after": project["stage"]}}
    if project["real_start_date"] != real_start_before:
        changes["real_start_date"] = {"before": real_start_before.isoformat(), "after": None}
    statistics_before = row.statistics_status
    unstarted = backwards and _index(request.to_stage) < _index(Stage.started)
    if unstarted and statistics_before != StatisticsStatus.not_submitted:
        project["statistics_status"], project["statistics_reason"] = StatisticsStatus.not_submitted.value, None
        changes["statistics_status"] = {"before": statistics_before, "after": project["statistics_status"]}
    if (Stage.started.value in dates) != (Stage.started.value in before_dates) or (
            dates.get(Stage.started.value) != before_dates.get(Stage.started.value)):
        await announce_parcels_of_project(session, project_id, project["stage_dates"])
    state = project_state(project)
    await _MOVE.execute(session, {
        "project_id": project_id, **{f"p_{c}": project[c] for c in _MOVED}, "t_from_stage": from_stage,
        "t_date": request.date, "t_note": request.note, "t_evidence": request.evidence, "t_backwards": backwards,
        "actor": principal.subject, "h_changes": changes, "h_note": request.reason or request.note},
        ProjectStageChanged.model_validate({**state, "from_stage": from_stage, "to_stage": request.to_stage,
                                            "date": request.date, "backwards": backwards}),
        subject=project_id, source=SOURCE)
    if "statistics_status" in changes:
        # dated today, as every statistics move: the status history must not go back before a later acceptance
        await publish(session, StatisticsStatusChanged(
            project_id=project_id, responsible_unit_id=row.responsible_unit_id,
            status=StatisticsStatus.not_submitted, date=today, reason=request.reason), subject=project_id)
    return state


async def confirm_start(*, session: AsyncSession, project_id: str, confirmation: StartConfirmation,
                        principal: Principal, today: date) -> dict:
    """Confirms the real start (实质性开工) of a started project: piling or a controlling work has begun."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    if _index(project.stage) < _index(Stage.started):
        raise Conflict(f"only a started project can confirm its real start; it is {project.stage}")
    if project.real_start_date is not None:
        raise Conflict(f"the real start was already confirmed on {project.real_start_date}")
    started = date.fromisoformat(project.stage_dates[Stage.started.value])
    if confirmation.date > today:
        raise Invalid("the date is in the future", errors=[field_error("date", f"{confirmation.date} is in the future")])
    if confirmation.date < started:
        raise Invalid("the real start cannot precede the start",
                      errors=[field_error("date", f"{confirmation.date} is before the start date {started}")])
    project.real_start_kind = confirmation.kind.value
    project.real_start_date = confirmation.date
    project.version += 1
    project.updated_at = utcnow()
    await session.flush()
    await history.record(session, project_id=project_id, actor=principal.subject, action="start_confirmed",
                         changes={"real_start_date": {"before": None, "after": confirmation.date.isoformat()},
                                  "real_start_kind": {"before": None, "after": confirmation.kind.value}},
                         note=confirmation.note)
    await publish(session, ProjectStartConfirmed(
        project_id=project_id, responsible_unit_id=project.responsible_unit_id, kind=confirmation.kind,
        date=confirmation.date), subject=project_id)
    return project_state(project)


async def list_transitions(*, session: AsyncSession, project_id: str) -> list[StageTransition]:
    """Lists a project's stage transitions in the order they happened."""
    await get(session=session, project_id=project_id)
    query = select(StageTransition).where(StageTransition.project_id == project_id).order_by(StageTransition.id)
    return list((await session.scalars(query)).all())
