"""Admin endpoints: run the daily scan for a date (backfill, tests), list past scans."""
from fastapi import APIRouter, Request
from sqlalchemy import select

from kit.app import SessionDep
from kit.clock import today
from kit.inputs import Day
from services.alerts.access import Admin
from services.alerts.evaluation import scan
from services.alerts.models import ScanRun

router = APIRouter(tags=["admin"])


@router.post("/admin/scan")
async def run_scan(_: Admin, request: Request, date: Day | None = None):
    """Evaluate every parcel, late task and project as of `date` (default today); idempotent for a date."""
    settings = request.app.state.settings
    return await scan.run(sessionmaker=request.app.state.sessionmaker, as_of=date or today(settings),
                          batch_size=settings.scan_batch_size, trigger="admin")


@router.get("/admin/scans")
async def list_scans(session: SessionDep, _: Admin, limit: int = 20):
    rows = (await session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(min(max(limit, 1), 200)))).all()
    return [{"as_of": r.as_of, "trigger": r.trigger, "started_at": r.started_at, "finished_at": r.finished_at,
             "counts": r.counts} for r in rows]
