"""Prometheus metrics shared by every service, and the ASGI middleware that records HTTP traffic."""
import time

from prometheus_client import Counter, Gauge, Histogram

from contracts.topics import dead_letter

HTTP_REQUESTS = Counter("kp_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "kp_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter("kp_events_published_total", "Events published from the outbox", ["service", "topic"])
EVENTS_CONSUMED = Counter("kp_events_consumed_total", "Events applied by a consumer", ["service", "type"])
EVENTS_SKIPPED = Counter("kp_events_skipped_total", "Events received but already processed or not handled", ["service", "reason"])
EVENTS_FAILED = Counter("kp_events_failed_total", "Event handling attempts that failed and were retried", ["service"])
EVENTS_DEAD_LETTERED = Counter("kp_events_dead_lettered_total", "Events sent to a dead-letter topic", ["service", "topic"])
OUTBOX_BACKLOG = Gauge("kp_outbox_backlog", "Outbox events not yet published", ["service"])
SERVICE_RESTARTS = Gauge("kp_service_restarts", "Times make run's supervisor started this service again after it "
                         "exited (KP_RESTARTS)", ["service"])
OUTBOX_REFEEDS = Counter("kp_outbox_refeeds_total", "Times the broker was found to have lost its log and was re-fed", ["service"])
CONSUMER_LAG = Gauge("kp_consumer_lag", "Messages behind the partition's high watermark", ["service", "topic", "partition"])
CONSUMER_PARTITIONS = Gauge("kp_consumer_assigned_partitions", "Partitions assigned to this instance", ["service"])


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task overhead) labelling by route template, not raw path."""

    def __init__(self, app, service: str):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = _route_template(scope)
            HTTP_REQUESTS.labels(self.service, scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], path, str(status)).observe(time.perf_counter() - start)


def _route_template(scope) -> str:
    """The matched route's full path template ('/api/v1/projects/{project_id}'): FastAPI keeps an included route's
    own path relative to its router's prefix and puts the full one in its effective route context."""
    effective = scope.get("fastapi", {}).get("effective_route_context")
    return getattr(effective, "path", None) or getattr(scope.get("route"), "path", "unmatched")


def series_at_zero(service: str, *, produces: str | None, consumes: list[str]) -> None:
    """Create the service's labelled counters at zero, so a rate (or an alert on an increase) is defined before the
    first event: published on its topic, dead-lettered from each topic it consumes, retried, re-fed."""
    if produces:
        EVENTS_PUBLISHED.labels(service, produces)
        OUTBOX_REFEEDS.labels(service)
    for topic in consumes:
        EVENTS_DEAD_LETTERED.labels(service, dead_letter(topic))
    if consumes:
        EVENTS_FAILED.labels(service)
