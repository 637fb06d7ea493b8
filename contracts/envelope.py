"""CloudEvents 1.0 structured-JSON envelope and the one codec every producer and consumer uses."""
import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The CloudEvents Kafka protocol binding, structured mode: the whole event is the message value, and this header
# tells any standard client (the CloudEvents SDKs) so.
CONTENT_TYPE = "application/cloudevents+json"
# Where each event type's JSON Schema lives: its `$id`, carried as the event's `dataschema` (each service also serves
# the schemas at /schemas/<type>.json).
SCHEMA_BASE = "https://keyproject.gov.cn/schemas/"
KAFKA_HEADERS = (("content-type", CONTENT_TYPE.encode()),)


class EventData(BaseModel):
    """Base of every event payload; `type` carries the version, `topic` the producing service."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: ClassVar[str]
    topic: ClassVar[str]


class CloudEvent(BaseModel):
    """As strict as the official CloudEvents 1.0 JSON Schema: specversion required, id, source and type non-empty."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    specversion: str
    time: datetime
    subject: str
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]


class UndecodableEvent(ValueError):
    """A message that is not a CloudEvent of a known type and version; it belongs in the dead-letter topic."""


def new_event(data: EventData, *, subject: str, source: str, traceparent: str | None = None) -> CloudEvent:
    """`traceparent`: the W3C trace context of what caused the event (the CloudEvents distributed-tracing
    extension), so a consumer continues that trace."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=data.type,
        specversion="1.0",
        dataschema=f"{SCHEMA_BASE}{data.type}.json",
        time=datetime.now(timezone.utc),
        subject=subject,
        data=data.model_dump(mode="json"),
        **({"traceparent": traceparent} if traceparent else {}),
    )


def encode(event: CloudEvent) -> bytes:
    return event.model_dump_json().encode()


def decode(raw: bytes | None, catalog: dict[str, type[EventData]]) -> tuple[CloudEvent, EventData]:
    """Parse and validate a message against the catalog; raise UndecodableEvent with the reason."""
    try:
        event = CloudEvent.model_validate_json(raw or b"")
    except ValidationError as exc:
        raise UndecodableEvent(f"not a CloudEvent: {exc.errors(include_url=False)}") from exc
    if event.specversion != "1.0":
        raise UndecodableEvent(f"unsupported specversion {event.specversion}")
    model = catalog.get(event.type)
    if model is None:
        raise UndecodableEvent(f"unknown event type or version: {event.type}")
    try:
        return event, model.model_validate(event.data)
    except ValidationError as exc:
        raise UndecodableEvent(f"{event.type} payload invalid: {exc.errors(include_url=False)}") from exc

