"""Reports service entry point: `uvicorn services.reports.main:app`."""
import gc
from pathlib import Path

from kit.app import ServiceSpec, create_service_app
from services.reports.answers import KeptAnswers
from services.reports.board.router import router as board
from services.reports.bulletin.router import router as bulletin
from services.reports.data_version import track_changes
from services.reports.dependencies import open_reader
from services.reports.exports.router import router as exports
from services.reports.handlers import CONSUMED_TOPICS, LIVE_HANDLERS, batch_scope
from services.reports.metrics import gauges_refresher
from services.reports.overview.router import router as overview
from services.reports.projects.router import router as projects
from services.reports.rankings.router import router as rankings
from services.reports.rebuild.router import router as rebuild
from services.reports.reporting.router import router as reporting
from services.reports.rollup.router import router as rollup
from services.reports.scoring.router import router as scoring
from services.reports.settings import ReportsSettings
from services.reports.snapshots.router import router as snapshots
from services.reports.snapshots.scheduler import snapshot_scheduler
from services.reports.targets.router import router as targets


async def freeze_startup_objects(_app) -> None:
    """Set everything alive after start-up aside from the garbage collector: a full collection then walks only what
    requests create, instead of pausing a ranking for a hundred milliseconds now and then."""
    gc.freeze()


SPEC = ServiceSpec(
    name="reports",
    title="Key-project reports",
    routers=[overview, projects, rankings, scoring, targets, snapshots, exports, bulletin, reporting, rollup, rebuild],
    migrations=Path(__file__).parent / "migrations",
    consumes=CONSUMED_TOPICS,
    remote_topics=ReportsSettings.district_topics,  # a city's: its districts' topics
    handlers=LIVE_HANDLERS,
    batch_scope=batch_scope,  # a fetch applied in one transaction writes each row and aggregate cell once
    on_engine=track_changes,  # every changing transaction counted: what the cached answers are keyed by
    background=[freeze_startup_objects, open_reader, snapshot_scheduler, gauges_refresher],
    middleware=[KeptAnswers],  # a kept overview or ranking served before FastAPI solves the route's parameters
)


def create_app(settings: ReportsSettings | None = None):
    app = create_service_app(SPEC, settings or ReportsSettings())
    app.include_router(board)  # the public board lives beside the API, not under /api/v1
    return app


app = create_app()
