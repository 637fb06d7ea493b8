"""Registry service entry point: `uvicorn services.registry.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.registry import categories
from services.registry.imports.router import router as imports
from services.registry.investments.router import router as investments
from services.registry.lifecycle.router import router as lifecycle
from services.registry.parcels.router import router as parcels
from services.registry.projects.router import router as projects
from services.registry.rounds.router import router as rounds
from services.registry.rounds.scheduler import round_opener
from services.registry.settings import RegistrySettings
from services.registry.statistics.router import router as statistics
from services.registry.suspensions.router import router as suspensions
from services.registry.units.router import router as units

SPEC = ServiceSpec(
    name="registry",
    title="Key-project registry",
    # imports before projects: /projects/import must not be taken for /projects/{project_id}
    routers=[units, imports, projects, lifecycle, suspensions, rounds, investments, statistics, parcels],
    migrations=Path(__file__).parent / "migrations",
    produces=topics.REGISTRY,
    background=[round_opener],
)


def create_app(settings: RegistrySettings | None = None):
    settings = settings or RegistrySettings()
    categories.configure(settings.extra_categories)
    app = create_service_app(SPEC, settings)
    return app


app = create_app()
