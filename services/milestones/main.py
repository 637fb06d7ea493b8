"""Milestones service entry point: `uvicorn services.milestones.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.milestones.delays.router import router as delays
from services.milestones.handlers import handlers, per_fetch
from services.milestones.nodes.router import router as milestones
from services.milestones.scan.daily import run_daily
from services.milestones.scan.router import router as scan
from services.milestones.schedules.router import router as schedules
from services.milestones.settings import MilestonesSettings
from services.milestones.templates.router import router as templates


def spec(settings: MilestonesSettings) -> ServiceSpec:
    return ServiceSpec(
        name="milestones",
        title="Key-project milestones",
        routers=[templates, schedules, milestones, delays, scan],
        migrations=Path(__file__).parent / "migrations",
        produces=topics.MILESTONES,
        consumes=topics.CONSUMERS["milestones"],
        handlers=handlers(settings),
        batch_scope=per_fetch,  # a fetch's unknown projects found at once: a burst of registrations looks none up
        background=[run_daily],
    )


def create_app(settings: MilestonesSettings | None = None):
    settings = settings or MilestonesSettings()
    return create_service_app(spec(settings), settings)


app = create_app()
