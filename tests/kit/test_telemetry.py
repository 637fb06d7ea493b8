"""OpenTelemetry export, asked for by the standard OTEL_* variables: one registration is one exported trace, from the
registry's POST through its SQL and its Kafka send to reports applying the event and writing its figures. The spans
go over OTLP/HTTP to a collector this test runs (the protocol's own protobuf messages, decoded as a collector would)."""
import gzip
import http.server
import secrets
import threading

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                     ExportTraceServiceResponse)

from kit import telemetry
from tests.support.api import client, eventually
from tests.support.factories import create_unit, project_body

REGISTERED = "keyproject.registry.project.registered.v1"
CONSUMER, PRODUCER, SERVER, CLIENT = 5, 4, 2, 3  # the protocol's SpanKind values


class Collector(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on loopback, keeping every span it was sent."""

    def __init__(self):
        self.spans: list[dict] = []
        super().__init__(("127.0.0.1", 0), _Receive)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def trace(self, trace_id: str) -> list[dict]:
        return [s for s in self.spans if s["trace_id"] == trace_id]


class _Receive(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = next(a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name")
            for scope_spans in resource_spans.scope_spans:
                self.server.spans.extend({
                    "service": service, "name": span.name, "kind": span.kind, "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(), "parent": span.parent_span_id.hex(),
                    "attributes": {a.key: a.value.string_value or a.value.int_value for a in span.attributes},
                } for span in scope_spans.spans)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def traced(platform):
    """A registry and a reports exporting spans to the collector, on topics of their own."""
    collector = Collector()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100",
           "KP_TOPIC_PREFIX": "keyproject.traced"}
    instances = [f"{name}-traced" for name in ("registry", "reports")]
    try:
        for instance in instances:
            platform.start_service(instance.removesuffix("-traced"), instance=instance, extra_env=env)
        yield collector, platform.url("registry-traced")
    finally:
        for instance in instances:
            if instance in platform.services:
                platform.services.pop(instance).stop()
        collector.shutdown()


async def test_one_registration_is_one_exported_trace_from_the_request_to_reports(traced):
    collector, registry_url = traced
    trace = secrets.token_hex(16)
    async with client(registry_url) as registry:
        unit = await create_unit(registry)
        created = await registry.post("/api/v1/projects", json=project_body(unit["id"]),
                                      headers={"traceparent": f"00-{trace}-{secrets.token_hex(8)}-01"})
        assert created.status_code == 201, created.text

    def applied() -> list[dict]:
        return [s for s in collector.trace(trace) if s["service"] == "keyproject-reports" and s["kind"] == CONSUMER
                and s["name"] == f"apply {REGISTERED}"]

    async def through_reports() -> bool:
        return bool(applied()) and any(s["parent"] == applied()[0]["span_id"] for s in collector.trace(trace))

    await eventually(through_reports, timeout=45, what="reports' span applying the registration, with its SQL")
    spans = collector.trace(trace)
    by_id = {s["span_id"]: s for s in spans}
    request = next(s for s in spans if s["kind"] == SERVER and s["service"] == "keyproject-registry")
    assert request["name"] == "POST /api/v1/projects" and request["attributes"].get("http.status_code") == 201
    # the registry's statements in the request's trace: the project and its event's outbox row (on PostgreSQL one
    # statement, the project's insert a CTE of the outbox's)
    statements = [s["attributes"].get("db.statement") or s["attributes"].get("db.query.text") or "" for s in spans
                  if s["service"] == "keyproject-registry" and s["kind"] == CLIENT]
    assert any("INSERT INTO projects" in text for text in statements), statements
    assert any("INSERT INTO outbox" in text for text in statements), statements
    # the relay's send, in the trace the event carries, under the request's span
    sent = [s for s in spans if s["kind"] == PRODUCER and s["service"] == "keyproject-registry"]
    assert sent and sent[0]["attributes"]["messaging.destination.name"] == "keyproject.traced.registry"
    assert by_id[sent[0]["parent"]] is request
    # reports fetches it in that trace too: the Kafka message carries a traceparent header
    assert any(s["service"] == "keyproject-reports" and s["name"] == "keyproject.traced.registry receive"
               for s in spans)
    # reports applies the event as a child of the request, and its statements are children of that
    apply = applied()[0]
    assert by_id[apply["parent"]] is request
    assert [s for s in spans if s["parent"] == apply["span_id"] and s["kind"] == CLIENT]


def test_export_is_off_unless_the_standard_variables_ask_for_it():
    assert not telemetry.wanted({})
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert telemetry.wanted({"OTEL_TRACES_EXPORTER": "console"})
    assert not telemetry.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    assert not telemetry.wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
