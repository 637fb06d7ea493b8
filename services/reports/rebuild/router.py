"""Rebuild endpoints (admin): start a rebuild of the read models from the retained events, follow it."""
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from kit.app import SessionDep
from services.reports.dependencies import Admin, ReadSession
from services.reports.rebuild import service
from services.reports.rebuild.schemas import RebuildPublic

router = APIRouter(tags=["admin"])


@router.post("/admin/rebuild", status_code=202, response_model=RebuildPublic)
async def start_rebuild(request: Request, session: SessionDep, principal: Admin, background: BackgroundTasks):
    """Clears the read models and replays every retained event in one transaction (the old figures are served
    until it commits); answers at once with the run to follow at its Location."""
    run = await service.start(app=request.app, session=session, requested_by=principal.subject)
    background.add_task(service.launch, request.app, run.id)  # after the run row is committed
    return JSONResponse(RebuildPublic.model_validate(run).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/admin/rebuild/{run.id}"})


@router.get("/admin/rebuild", response_model=list[RebuildPublic])
async def list_rebuilds(session: ReadSession, _: Admin):
    return await service.list_(session=session)


@router.get("/admin/rebuild/{run_id}", response_model=RebuildPublic)
async def get_rebuild(run_id: str, session: ReadSession, _: Admin):
    return await service.get(session=session, run_id=run_id)
