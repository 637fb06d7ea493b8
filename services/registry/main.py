"""Registry service entry point: `uvicorn services.registry.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from kit.errors import Invalid, field_error, problem_response
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


class RefuseNul:
    """A NUL character in the path or the query is 422: PostgreSQL cannot compare text holding it (a 500 there).
    Bodies are checked by their models (services.registry.validation.Strict)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]
                                        or b"\x00" in scope["query_string"]):
            where = "path" if "\x00" in scope["path"] else "query"
            response = problem_response(status=422, slug=Invalid.slug, title=Invalid.title,
                                        detail=f"the {where} holds a NUL character",
                                        instance=scope["path"].replace("\x00", "%00"),
                                        errors=[field_error(where, "text cannot contain NUL characters")])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: RegistrySettings | None = None):
    settings = settings or RegistrySettings()
    categories.configure(settings.extra_categories)
    app = create_service_app(SPEC, settings)
    app.add_middleware(RefuseNul)
    return app


app = create_app()
