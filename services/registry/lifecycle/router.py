"""Lifecycle endpoints: stage transitions and real-start confirmation."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from kit.app import SessionDep
from kit.auth import Principal, require
from kit.clock import today
from services.registry.lifecycle import service
from services.registry.lifecycle.schemas import StartConfirmation, TransitionPublic, TransitionRequest
from services.registry.projects.router import public
from services.registry.projects.schemas import ProjectPublic

router = APIRouter(tags=["lifecycle"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]


@router.post("/projects/{project_id}/transitions", response_model=ProjectPublic)
async def transition(project_id: str, body: TransitionRequest, session: SessionDep, principal: Writer,
                     request: Request, response: Response):
    state = await service.transition(session=session, project_id=project_id, request=body, principal=principal,
                                     today=today(request.app.state.settings))
    return public(state, response)


@router.get("/projects/{project_id}/transitions", response_model=list[TransitionPublic])
async def list_transitions(project_id: str, session: SessionDep, _: Reader):
    return await service.list_transitions(session=session, project_id=project_id)


@router.post("/projects/{project_id}/start-confirmation", response_model=ProjectPublic)
async def confirm_start(project_id: str, body: StartConfirmation, session: SessionDep, principal: Writer,
                        request: Request, response: Response):
    state = await service.confirm_start(session=session, project_id=project_id, confirmation=body,
                                        principal=principal, today=today(request.app.state.settings))
    return public(state, response)
