"""OpenTelemetry export, off unless the standard variables ask for it: OTEL_TRACES_EXPORTER (`otlp`, `console`) or an
OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTLP over HTTP); OTEL_SDK_DISABLED
turns it off again. Then each service exports spans of its HTTP requests (FastAPI), its SQL statements (SQLAlchemy),
its Kafka sends and fetches (aiokafka) and of each event it applies, all in the trace of the request that caused them:
kit.tracing carries that trace through the events. The SDK reads the rest of OTEL_* itself (service name, resource,
batching, headers); off, nothing of it is imported."""
import os

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

_EXPORTERS = ("otlp", "console")
_UNTRACED_PATHS = "healthz,readyz,metrics"  # probes and scrapes: a span each would drown the requests
_state: dict = {"provider": None}


def wanted(environ=os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def enabled() -> bool:
    return _state["provider"] is not None


def configure(service: str) -> None:
    """Set up export for this process (once) when the environment asks for it."""
    if enabled() or not wanted():
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME, when set, names the service; Resource.create would let an explicit name win over it.
    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": f"keyproject-{service}"}
    provider = TracerProvider(resource=Resource.create(named))
    provider.add_span_processor(BatchSpanProcessor(_exporter()))
    trace.set_tracer_provider(provider)
    AIOKafkaInstrumentor().instrument(tracer_provider=provider)
    _state["provider"] = provider


def _exporter():
    name = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    if name not in _EXPORTERS:
        raise ValueError(f"OTEL_TRACES_EXPORTER={name} is not one of {', '.join(_EXPORTERS)}")
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def instrument_app(app: Starlette) -> None:
    if enabled():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        FastAPIInstrumentor.instrument_app(app, tracer_provider=_state["provider"], excluded_urls=_UNTRACED_PATHS,
                                           exclude_spans=["receive", "send"])


def instrument_engine(engine: AsyncEngine) -> None:
    if enabled():
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        # Its declared range stops below SQLAlchemy 2.1, whose engine events it hooks are unchanged (the test proves
        # the statements' spans); one engine a process (the service's own).
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=_state["provider"],
                                            skip_dep_check=True)
