"""Scoring endpoints: read the weights (reports:read), put new ones in force (admin)."""
from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from kit.app import SessionDep
from kit.errors import Conflict
from services.reports.dependencies import Admin, ReadSession, Reader
from services.reports.scoring import service
from services.reports.scoring.schemas import ScoringPublic, ScoringUpdate

router = APIRouter(tags=["scoring"])


@router.get("/scoring", response_model=ScoringPublic)
async def current_scoring(session: ReadSession, _: Reader):
    return await service.current(session=session)


@router.put("/scoring", response_model=ScoringPublic)
async def change_scoring(update: ScoringUpdate, session: SessionDep, principal: Admin):
    try:
        return await service.change(session=session, update=update, principal=principal)
    except IntegrityError as exc:
        raise Conflict("the weights were changed at the same time; read them again and retry") from exc


@router.get("/scoring/versions", response_model=list[ScoringPublic])
async def scoring_versions(session: ReadSession, _: Reader):
    return await service.list_versions(session=session)


@router.get("/scoring/versions/{version}", response_model=ScoringPublic)
async def scoring_version(version: int, session: ReadSession, _: Reader):
    return await service.get(session=session, version=version)
