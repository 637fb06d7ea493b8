"""The service application factory: lifespan with engine, migrations, relay and consumer; health, readiness, metrics."""
import asyncio
import contextlib
import functools
import gc
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as FastAPIPath
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi_swagger import patch_fastapi
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import contracts
from contracts.topics import dead_letter
from kit import conditional, errors, logs, openapi, telemetry
from kit.bus import broker_reachable, ensure_topics
from kit.consumer import BatchScope, Consumer, Handlers
from kit.db import make_engine, make_sessionmaker
from kit.forwarded import ForwardedPrefix
from kit.metrics import SERVICE_RESTARTS, MetricsMiddleware, series_at_zero
from kit.migrations import upgrade
from kit.outbox import Relay, identify_deployment
from kit.settings import ServiceSettings
from kit.tracing import TraceContext

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    """What makes one service: its routers, what it publishes and consumes, where its migrations live."""

    name: str
    title: str
    routers: list[APIRouter]
    migrations: Path
    produces: str | None = None  # topics by their canonical names (contracts.topics); the app names them with
    consumes: list[str] = field(default_factory=list)  # the deployment's prefix (KP_TOPIC_PREFIX)
    # Other deployments' topics the service also reads (a city's reports reading its districts'): each with the
    # `source` prefix its events must carry.
    remote_topics: Callable[[ServiceSettings], dict[str, str]] | None = None
    handlers: Handlers = field(default_factory=dict)
    batch_scope: BatchScope | None = None  # see kit.consumer.Consumer
    # Called with the service's engine once the database is migrated, before the relay, the consumer, the background
    # jobs or any request uses it (e.g. listeners that must see every statement).
    on_engine: Callable[[AsyncEngine], None] | None = None
    # Long-running jobs of the service (schedulers, deliverers): each is called with the app once the database is
    # migrated and `app.state.sessionmaker` is set, runs as a task (started again if it dies of an error), and is
    # cancelled at shutdown.
    background: list[Callable[[FastAPI], Awaitable[None]]] = field(default_factory=list)
    # ASGI middleware of the service's own, innermost: the kit's (metrics, tracing, conditional requests) see what
    # it answers as any response.
    middleware: list[type] = field(default_factory=list)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent, rolled back on error."""
    async with request.app.state.sessionmaker() as session:
        yield session
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def url_for(request: Request, name: str, **params: str) -> str:
    """`request.url_for`, without its cost on a hot path (a 201's Location): the named route is found once per
    application (FastAPI's walks every route on each call), and the address is written straight from the request's
    origin (scheme, Host, the root path, as Starlette's) and the route's template."""
    by_name: dict = request.app.state.routes_by_name
    route = by_name.get(name)
    if route is None:
        route = by_name[name] = next(r for r in iter_route_contexts(request.app.routes) if r.name == name)
    path = route.path_format
    for key, value in params.items():
        path = path.replace(f"{{{key}}}", route.param_convertors[key].to_string(value))
    return _origin(request.scope) + path


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scope) -> str:
    scheme, root = scope.get("scheme", "http"), scope.get("root_path", "")
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    if not host:
        if scope.get("server") is None:
            return root
        name, port = scope["server"]
        host = name if _DEFAULT_PORTS.get(scheme) == port else f"{name}:{port}"
    return f"{scheme}://{host}{root}"


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    logs.configure(spec.name, level=settings.log_level, fmt=settings.log_format)
    telemetry.configure(spec.name)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        telemetry.instrument_engine(engine)
        await upgrade(engine, spec.migrations)
        if spec.on_engine is not None:
            spec.on_engine(engine)
        app.state.sessionmaker = sessionmaker = make_sessionmaker(engine)
        tasks: list[asyncio.Task] = []

        def start(name: str, job: Callable[[], Awaitable[None]]) -> None:
            tasks.append(asyncio.create_task(supervised(name, job), name=name))

        produces, consumes, remote = app.state.topics
        topics = [t for t in [produces, *consumes, *map(dead_letter, consumes)] if t]
        tasks.append(asyncio.create_task(_ensure_topics_when_broker_is_up(settings, topics)))
        if produces:
            app.state.relay = Relay(settings=settings, sessionmaker=sessionmaker, topic=produces)
            start("relay", app.state.relay.run)
        if consumes:
            app.state.consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=consumes,
                                          handlers=spec.handlers, batch_scope=spec.batch_scope, deployments=remote)
            start("consumer", app.state.consumer.run)
        for job in spec.background:
            start(getattr(job, "__name__", "background"), functools.partial(job, app))
        # What start-up made (modules, models, compiled statements) lives as long as the process: kept out of the
        # cyclic collector's passes, which would otherwise walk all of it again and again under load.
        gc.freeze()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    # Government intranets have no internet: Swagger UI is served from the package (fastapi-swagger), not a CDN, and
    # ReDoc from fastapi-offline's copy (kit.openapi).
    app = FastAPI(title=spec.title, lifespan=lifespan, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None, openapi_url=None)
    app.openapi_url = "/openapi.json"
    openapi.install(app)
    patch_fastapi(app, docs_url="/docs", redirect_from_root_to_docs=False,
                  swagger_js_url="/docs/assets/swagger-ui-bundle.js", swagger_css_url="/docs/assets/swagger-ui.css",
                  swagger_favicon_url="/docs/assets/favicon-32x32.png")
    app.state.settings = settings
    app.state.routes_by_name = {}
    app.state.topics = topics = topics_of(spec, settings)
    identify_deployment(settings.event_source_prefix)
    series_at_zero(spec.name, produces=topics.produces, consumes=topics.consumes)
    SERVICE_RESTARTS.labels(spec.name).set(settings.restarts)
    errors.install(app)
    for middleware in spec.middleware:
        app.add_middleware(middleware)
    app.add_middleware(errors.RefuseNul)
    app.add_middleware(conditional.ConditionalResponses)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["ETag", "Location", "Idempotent-Replayed"])
    app.add_middleware(ForwardedPrefix)
    app.add_middleware(TraceContext)
    app.add_middleware(MetricsMiddleware, service=spec.name)
    telemetry.instrument_app(app)  # outermost: the request's span is begun before TraceContext reads it
    app.include_router(_operations_router())
    for router in spec.routers:
        app.include_router(router, prefix="/api/v1")
    return app


class Topics(NamedTuple):
    """A service's topics as its deployment names them: what it publishes on, what it consumes (its own deployment's
    and others'), and the other deployments' topics with the `source` prefix their events carry."""

    produces: str | None
    consumes: list[str]
    remote: dict[str, str]


def topics_of(spec: ServiceSpec, settings: ServiceSettings) -> Topics:
    remote = spec.remote_topics(settings) if spec.remote_topics else {}
    return Topics(produces=settings.topic(spec.produces) if spec.produces else None,
                  consumes=[*map(settings.topic, spec.consumes), *remote], remote=remote)


async def supervised(name: str, job: Callable[[], Awaitable[None]]) -> None:
    """Run `job` until it returns; when it dies of an error it is logged and started again, backing off while it
    keeps dying (a silently dead relay or consumer would leave the service ready but doing nothing)."""
    delay = 0.5
    while True:
        started = time.monotonic()
        try:
            await job()
            return
        except Exception:  # noqa: BLE001 - whatever killed it, the service needs the job running
            if time.monotonic() - started > 60:
                delay = 0.5  # it ran fine for a while: not a crash loop
            log.exception("background task %s died; restarting it in %.1fs", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


async def _ensure_topics_when_broker_is_up(settings: ServiceSettings, topics: list[str]) -> None:
    delay = 0.2
    while True:
        try:
            await ensure_topics(settings, topics)
            return
        except Exception as exc:  # noqa: BLE001 - the broker may come up after us; keep trying
            log.info("topics not ensured yet (%s)", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


SCHEMAS = Path(contracts.__file__).parent / "schemas"


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/schemas/{name}", include_in_schema=False)
    async def event_schema(name: Annotated[str, FastAPIPath(pattern=r"^[a-z0-9_.]+\.json$", max_length=200)]):
        """The JSON Schema an event's `dataschema` names (and the envelope's), as the contracts package holds it."""
        path = SCHEMAS / name
        if not path.is_file():
            raise errors.NotFound(f"no event schema {name}")
        return Response(path.read_bytes(), media_type="application/schema+json")

    @router.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "Not ready: which check failed", "content": {
        "application/json": {"schema": {"type": "object"}}}}})
    async def readyz(request: Request):
        checks = {"database": await _database_ok(request), "broker": await broker_reachable(
            request.app.state.settings.kafka_bootstrap)}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"ready": status == 200, "checks": checks}, status_code=status)

    @router.get("/metrics", response_class=PlainTextResponse, openapi_extra={"security": [{}, {openapi.BEARER: []}]},
                description="Prometheus metrics; a bearer scrape token when KP_METRICS_TOKEN is set.")
    async def metrics(request: Request):
        expected = request.app.state.settings.metrics_token
        if expected is not None:  # unit names and completion ratios are not for the public entry point
            given = request.headers.get("authorization", "").partition(" ")[2].strip()
            if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
                raise errors.Unauthorized("a scrape token is required (KP_METRICS_TOKEN)",
                                          headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _database_ok(request: Request) -> bool:
    try:
        async with request.app.state.sessionmaker() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), 2)
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
