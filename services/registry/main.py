"""Registry service entry point: `uvicorn services.registry.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.registry.lifecycle.router import router as lifecycle
from services.registry.projects.router import router as projects
from services.registry.settings import RegistrySettings
from services.registry.units.router import router as units

SPEC = ServiceSpec(
    name="registry",
    title="Key-project registry",
    routers=[units, projects, lifecycle],
    migrations=Path(__file__).parent / "migrations",
    produces=topics.REGISTRY,
)


def create_app(settings: RegistrySettings | None = None):
    return create_service_app(SPEC, settings or RegistrySettings())


app = create_app()
