"""Reports service entry point: `uvicorn services.reports.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.reports.handlers import HANDLERS
from services.reports.router import router
from services.reports.settings import ReportsSettings

SPEC = ServiceSpec(
    name="reports",
    title="Key-project reports",
    routers=[router],
    migrations=Path(__file__).parent / "migrations",
    consumes=[topics.REGISTRY, topics.MILESTONES, topics.ALERTS],
    handlers=HANDLERS,
)


def create_app(settings: ReportsSettings | None = None):
    return create_service_app(SPEC, settings or ReportsSettings())


app = create_app()
