"""Scoring use-cases: the current weights, a version of them, a new version. Never commit."""
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import NotFound
from services.reports.models import ScoringVersion
from services.reports.scoring.schemas import ScoringPublic, ScoringUpdate, Weights


def public(row: ScoringVersion) -> ScoringPublic:
    return ScoringPublic(version=row.version, weights=Weights(**row.weights), note=row.note,
                         created_by=row.created_by, created_at=row.created_at)


_CURRENT = select(ScoringVersion).order_by(ScoringVersion.version.desc()).limit(1)  # built once: rankings read it


async def current(*, session: AsyncSession) -> ScoringPublic:
    """Gets the weights in force (the latest version)."""
    return public(await session.scalar(_CURRENT))


async def get(*, session: AsyncSession, version: int) -> ScoringPublic:
    """Gets one version of the weights."""
    row = await session.get(ScoringVersion, version)
    if row is None:
        raise NotFound(f"there is no scoring version {version}")
    return public(row)


async def list_versions(*, session: AsyncSession) -> list[ScoringPublic]:
    """Lists every version, newest first."""
    rows = (await session.scalars(select(ScoringVersion).order_by(ScoringVersion.version.desc()))).all()
    return [public(r) for r in rows]


async def change(*, session: AsyncSession, update: ScoringUpdate, principal: Principal) -> ScoringPublic:
    """Puts new weights in force as the next version; earlier versions stay for the snapshots that used them."""
    latest = await session.scalar(select(func.max(ScoringVersion.version))) or 0
    row = ScoringVersion(version=latest + 1, weights=update.weights.model_dump(mode="json"), note=update.note,
                         created_by=principal.subject, created_at=utcnow())
    session.add(row)
    await session.flush()
    return public(row)
