"""Webhook API models."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints, field_validator

from contracts.alerts import Colour
from contracts.catalog import CATALOG
from contracts import topics
from kit.inputs import Strict
from services.alerts.schemas import Id, LongText

ALERT_EVENT_TYPES = sorted(t for t, model in CATALOG.items() if model.topic == topics.ALERTS)
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]


def full_type(name: str) -> str:
    """`alert.raised` or `alert.raised.v1` or the full type name: the full type name."""
    for candidate in (name, f"keyproject.alerts.{name}", f"keyproject.alerts.{name}.v1"):
        if candidate in ALERT_EVENT_TYPES:
            return candidate
    raise ValueError(f"unknown event type {name}; known: {', '.join(ALERT_EVENT_TYPES)}")


class Filters(Strict):
    """Each given filter must match (a filter on a field the event lacks excludes it); values within one are ORed."""

    colour: list[Colour] | None = Field(default=None, max_length=3)
    unit_id: list[Id] | None = Field(default=None, max_length=200)
    project_id: list[Id] | None = Field(default=None, max_length=1000)
    rule: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(default=None, max_length=20)


# The names a subscription may give an event type by: `alert.raised`, `alert.raised.v1` or the full type name.
EventTypeName = Literal[tuple(sorted({spelling for full in ALERT_EVENT_TYPES for spelling in (
    full, full.removeprefix("keyproject.alerts."), full.removeprefix("keyproject.alerts.").removesuffix(".v1"))}))]


class SubscriptionCreate(Strict):
    url: AnyHttpUrl
    event_types: list[EventTypeName] = Field(min_length=1, max_length=len(ALERT_EVENT_TYPES))
    filters: Filters = Field(default_factory=Filters)
    secret: Secret | None = None
    description: LongText | None = None

    @field_validator("event_types")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        return sorted({full_type(n) for n in names})


class SubscriptionPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    filters: dict
    description: str | None
    active: bool
    failures: int
    retry_at: datetime | None
    pending: int = 0
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    """The signing secret is shown once, when the subscription is made."""

    secret: str


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: int
    event_id: str
    event_type: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptPublic] = []
