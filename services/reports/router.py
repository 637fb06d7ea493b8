"""Reports HTTP API."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kit.app import SessionDep
from kit.auth import Principal, require
from services.reports import service
from services.reports.schemas import Overview

router = APIRouter()
Reader = Annotated[Principal, Depends(require("reports:read"))]


@router.get("/overview", response_model=Overview, tags=["overview"])
async def overview(session: SessionDep, _: Reader, year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                   unit_id: str | None = None):
    return await service.overview(session=session, year=year, unit_id=unit_id)
