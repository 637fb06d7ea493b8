"""One registration followed through the services: the caller's trace (W3C traceparent) and request id answered back,
carried by the registry's event, taken up by milestones for the schedule it makes from it; log lines are JSON
naming the service, the trace and the request."""
import io
import json
import logging
import secrets

from contracts import topics
from contracts.catalog import CATALOG
from contracts.envelope import decode
from kit import logs, tracing
from tests.support.api import eventually
from tests.support.factories import create_unit, project_body
from tests.support.kafka import read_topic


async def _traces(bootstrap: str, topic: str, subject: str) -> dict[str, str]:
    """Each event type about `subject` on `topic`, with the traceparent its latest event carries."""
    found = {}
    for record in await read_topic(bootstrap, topic):
        try:
            event, _ = decode(record.value, CATALOG)
        except ValueError:
            continue
        if event.subject == subject:
            found[event.type] = (event.model_extra or {}).get("traceparent")
    return found


async def test_one_registration_is_one_trace_through_the_services(platform, registry):
    unit = await create_unit(registry)
    trace = secrets.token_hex(16)
    sent = f"00-{trace}-{secrets.token_hex(8)}-01"
    created = await registry.post("/api/v1/projects", headers={"traceparent": sent, "X-Request-ID": "登记-42".encode()},
                                  json=project_body(unit["id"], planned_start_date="2026-09-01",
                                                    planned_completion_date="2027-12-31"))
    assert created.status_code == 201, created.text
    answered = created.headers["traceparent"]
    assert tracing.trace_id(answered) == trace and answered != sent  # a span of its own in the caller's trace
    assert len(created.headers["X-Request-ID"]) == 32  # not an id of this API's form: a new one
    pid = created.json()["id"]
    kept = await registry.get(f"/api/v1/projects/{pid}", headers={"X-Request-ID": "read-7"})
    assert kept.headers["X-Request-ID"] == "read-7"
    assert tracing.trace_id(kept.headers["traceparent"]) != trace  # no traceparent sent: a trace of its own

    for topic, caused in ((topics.REGISTRY, "keyproject.registry.project.registered.v1"),
                          (topics.MILESTONES, "keyproject.milestones.schedule.generated.v1")):
        async def published() -> bool:
            return caused in await _traces(platform.broker.bootstrap, topic, pid)

        await eventually(published, timeout=30, what=f"{caused} for the project")
        carried = (await _traces(platform.broker.bootstrap, topic, pid))[caused]
        assert tracing.trace_id(carried) == trace, caused


def test_log_lines_are_json_naming_the_service_the_trace_and_the_request():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("registry", level="INFO")
        written = io.StringIO()
        root.handlers[-1].stream = written
        traceparent = tracing.child_of(None)
        with tracing.within(traceparent, request_id="req-1"):
            logging.getLogger("kit.outbox").warning("relay: 数据库暂时不可用 %s", "x")
        logging.getLogger("kit.outbox").info("outside")
        logging.getLogger("kit.outbox").debug("below the level")
        inside, outside = [json.loads(line) for line in written.getvalue().splitlines()]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert inside["event"] == "relay: 数据库暂时不可用 x" and inside["level"] == "warning"
    assert (inside["service"], inside["logger"], inside["request_id"]) == ("registry", "kit.outbox", "req-1")
    assert inside["trace_id"] == tracing.trace_id(traceparent) and "timestamp" in inside
    assert "trace_id" not in outside and outside["event"] == "outside"
