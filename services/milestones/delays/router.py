"""Delay endpoints (超时倒查): delays charged per unit, node kind or project, and the late nodes with their evidence."""
from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.app import SessionDep
from kit.clock import today
from kit.inputs import Day
from services.milestones.access import Reader
from services.milestones.delays import service
from services.milestones.delays.schemas import Basis, DelayGroup, DelaysPublic, LateNodesPublic

router = APIRouter(tags=["delays"])
Year = Annotated[int | None, Query(ge=1990, le=2100)]
Id = Annotated[str | None, Query(min_length=1, max_length=36)]


@router.get("/delays", response_model=DelaysPublic)
async def delays(session: SessionDep, _: Reader, request: Request, year: Year = None,
                 by: DelayGroup = DelayGroup.unit, basis: Basis = Basis.plan, unit_id: Id = None,
                 project_id: Id = None, as_of: Day | None = None):
    """Days late charged to whoever caused them, most first: each late node to its responsible unit, each project's
    slip to the nodes on its critical path that added it."""
    settings = request.app.state.settings
    day = as_of or today(settings)
    found = await service.charged(session=session, settings=settings, as_of=day, year=year, project_id=project_id,
                                  unit_id=unit_id)
    names = await service.unit_names(session, {c.node.responsible_unit_id for c in found})
    return DelaysPublic(as_of=day, year=year, by=by, basis=basis, total=service.total(found, basis),
                        items=service.grouped(found, by=by, basis=basis, names=names))


@router.get("/delays/nodes", response_model=LateNodesPublic)
async def delayed_nodes(session: SessionDep, _: Reader, request: Request, year: Year = None,
                        basis: Basis = Basis.plan, unit_id: Id = None, project_id: Id = None,
                        as_of: Day | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The late nodes, most delay first, each with the history of its changes and their reasons."""
    settings = request.app.state.settings
    day = as_of or today(settings)
    found = await service.charged(session=session, settings=settings, as_of=day, year=year, project_id=project_id,
                                  unit_id=unit_id)
    return LateNodesPublic(as_of=day, year=year, basis=basis,
                           items=await service.late_nodes(session, found, basis=basis, limit=limit))
