"""W3C trace context and request ids: taken from (or started for) each HTTP request, carried by every event staged
while handling it (the CloudEvents `traceparent` extension), taken up again by each consumer applying that event, so
one registration can be followed through all four services; their log lines name both (kit.logs). When spans are
exported (kit.telemetry), the context carried is that of the exported spans."""
import contextlib
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from typing import NamedTuple

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import Message, Receive, Scope, Send

from kit import telemetry
from kit.asgi import HttpMiddleware

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # it is echoed in a header and written into logs
_NO_TRACE, _NO_SPAN = "0" * 32, "0" * 16

_W3C = TraceContextTextMapPropagator()



class Handling(NamedTuple):
    """What is being handled: its trace context, and the ids log lines name (request id, event id)."""

    traceparent: str
    ids: dict[str, str]


handling: ContextVar[Handling | None] = ContextVar("handling", default=None)


def current() -> str | None:
    """The traceparent events staged now carry."""
    now = handling.get()
    return now.traceparent if now is not None else None


def log_fields(_logger, _method, event: dict) -> dict:
    """A structlog processor (kit.logs): a log line names the trace and the ids of what is being handled."""
    now = handling.get()
    if now is not None:
        event.setdefault("trace_id", trace_id(now.traceparent))
        for name, value in now.ids.items():
            event.setdefault(name, value)
    return event


def child_of(traceparent: str | None) -> str:
    """A new span in the trace `traceparent` names, or in a new trace when it names none (or an invalid one)."""
    found = _TRACEPARENT.fullmatch(traceparent or "")
    if found is None or found.group(1) == _NO_TRACE or found.group(2) == _NO_SPAN:
        return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    return f"00-{found.group(1)}-{secrets.token_hex(8)}-{found.group(3)}"


def _of_current_span() -> str | None:
    """The traceparent of the exported span in progress (the request's, started by the FastAPI instrumentation)."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def _context_of(traceparent: str | None):
    return _W3C.extract({"traceparent": traceparent} if traceparent else {})


def trace_id(traceparent: str) -> str:
    return traceparent[3:35]


@contextlib.contextmanager
def within(traceparent: str, **ids: str) -> Iterator[None]:
    """While the block runs, events staged carry `traceparent` and log lines its trace id and `ids`."""
    token = handling.set(Handling(traceparent, ids))
    try:
        yield
    finally:
        handling.reset(token)


@contextlib.contextmanager
def continuing(traceparent: str | None, name: str, **ids: str) -> Iterator[None]:
    """Work caused by what `traceparent` names (an event's request): a span of its own in that trace, exported as a
    consumer span named `name` when spans are exported."""
    if not telemetry.enabled():
        with within(child_of(traceparent), **ids):
            yield
        return
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(name, context=_context_of(traceparent), kind=trace.SpanKind.CONSUMER):
        with within(_of_current_span() or child_of(traceparent), **ids):
            yield


@contextlib.contextmanager
def sending(event_body: bytes) -> Iterator[None]:
    """While an event is handed to the broker: in the trace it carries, so the exported send span (and the Kafka
    `traceparent` header the aiokafka instrumentation adds) belong to the request that caused the event."""
    if not telemetry.enabled():
        yield
        return
    token = otel_context.attach(_context_of(orjson.loads(event_body).get("traceparent")))
    try:
        yield
    finally:
        otel_context.detach(token)


class TraceContext(HttpMiddleware):
    """Each request in its trace (the caller's `traceparent`, or a new one) with its request id (the caller's
    `X-Request-ID`, or a new one); both are answered back."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent_traceparent = request_id = None
        for name, value in scope["headers"]:  # two headers: cheaper than parsing them all into Headers
            if name == b"traceparent":
                sent_traceparent = value.decode("latin-1")
            elif name == b"x-request-id":
                request_id = value.decode("latin-1")
        traceparent = (telemetry.enabled() and _of_current_span()) or child_of(sent_traceparent)
        if request_id is None or not _REQUEST_ID.fullmatch(request_id):
            request_id = secrets.token_hex(16)

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"x-request-id", request_id.encode()),
                                                  (b"traceparent", traceparent.encode())]}
            await send(message)

        with within(traceparent, request_id=request_id):
            await self.app(scope, receive, answer)
