"""Schedule endpoints: generate a project's schedule, read it, and its critical path."""
from fastapi import APIRouter, Request

from kit.app import SessionDep, url_for
from kit.clock import today
from kit.idempotency import IdempotencyKey, create_once
from kit.inputs import Day
from services.milestones.access import Reader, Writer
from services.milestones.nodes import service as nodes
from services.milestones.schedules import service
from services.milestones.schedules.schemas import CriticalPathPublic, SchedulePublic, ScheduleRequest

router = APIRouter(tags=["schedules"])


@router.post("/projects/{project_id}/schedule", status_code=201, response_model=SchedulePublic)
async def generate_schedule(project_id: str, body: ScheduleRequest, session: SessionDep, principal: Writer,
                            request: Request, idempotency_key: IdempotencyKey = None):
    settings = request.app.state.settings

    async def create():
        project = await nodes.get_writable_project(session=session, project_id=project_id, principal=principal)
        schedule, members = await service.generate(session=session, project=project, request=body,
                                                   actor=principal.subject, settings=settings, today=today(settings))
        return service.view(schedule, members, project, settings=settings, today=today(settings))

    return await create_once(session, key=idempotency_key, scope=f"schedule:{project_id}", request_body=body,
                             create=create, location=lambda _: url_for(request, "get_schedule", project_id=project_id))


@router.get("/projects/{project_id}/schedule", response_model=SchedulePublic)
async def get_schedule(project_id: str, session: SessionDep, _: Reader, request: Request):
    settings = request.app.state.settings
    return await service.get(session=session, project_id=project_id, settings=settings, today=today(settings))


@router.get("/projects/{project_id}/critical-path", response_model=CriticalPathPublic)
async def get_critical_path(project_id: str, session: SessionDep, _: Reader, request: Request,
                            as_of: Day | None = None):
    settings = request.app.state.settings
    return await service.critical_path(session=session, project_id=project_id, settings=settings,
                                       as_of=as_of or today(settings))
