"""Admin endpoint: run the scan for a date (backfills, tests); the same scan runs daily on its own."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from kit.clock import today
from kit.inputs import Day
from services.milestones.access import Admin
from services.milestones.scan import service

router = APIRouter(tags=["admin"])


class ScanPublic(BaseModel):
    as_of: date
    # Nodes whose alert date had come; of them, those announced due soon or overdue now.
    examined: int
    due_soon: int
    overdue: int
    batches: int
    seconds: float


@router.post("/admin/scan", response_model=ScanPublic)
async def scan(request: Request, _: Admin, as_of: Annotated[Day | None, Query(alias="date")] = None):
    settings = request.app.state.settings
    result = await service.run(sessionmaker=request.app.state.sessionmaker, settings=settings,
                               as_of=as_of or today(settings), trigger="admin")
    return ScanPublic.model_validate(result, from_attributes=True)
