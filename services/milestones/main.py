"""Milestones service entry point: `uvicorn services.milestones.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.milestones.settings import MilestonesSettings

SPEC = ServiceSpec(
    name="milestones",
    title="Key-project milestones",
    routers=[],
    migrations=Path(__file__).parent / "migrations",
    produces=topics.MILESTONES,
    consumes=[topics.REGISTRY],
)


def create_app(settings: MilestonesSettings | None = None):
    return create_service_app(SPEC, settings or MilestonesSettings())


app = create_app()
