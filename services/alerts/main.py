"""Alerts service entry point: `uvicorn services.alerts.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.alerts.settings import AlertsSettings

SPEC = ServiceSpec(
    name="alerts",
    title="Key-project alerts",
    routers=[],
    migrations=Path(__file__).parent / "migrations",
    produces=topics.ALERTS,
    consumes=[topics.REGISTRY, topics.MILESTONES],
)


def create_app(settings: AlertsSettings | None = None):
    return create_service_app(SPEC, settings or AlertsSettings())


app = create_app()
