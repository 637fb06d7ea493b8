"""Land parcel API models."""
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

from kit.inputs import Day, Strict, decimal, text
from services.registry.validation import Code, Timestamp


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


Area = decimal(integer_digits=10, places=4, positive=True, description="面积，单位亩", example="12.5")
Location = text(300)


class ParcelCreate(Strict):
    code: Code
    location: Location | None = None
    area_mu: Area
    sale_date: Day | None = None
    delivery_date: Day | None = None
    start_deadline: Day
    project_id: str | None = None
    unit_id: str


class ParcelUpdate(Strict):
    """Only the fields sent are changed; location, dates other than the deadline, and the project may be nulled."""

    code: Code | None = None
    location: Location | None = None
    area_mu: Area | None = None
    sale_date: Day | None = None
    delivery_date: Day | None = None
    start_deadline: Day | None = None
    project_id: str | None = None
    unit_id: str | None = None


REQUIRED_FIELDS = frozenset({"code", "area_mu", "start_deadline", "unit_id"})


class ParcelPublic(BaseModel):
    id: str
    code: str
    location: str | None
    area_mu: Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]
    sale_date: date | None
    delivery_date: date | None
    start_deadline: date
    project_id: str | None
    unit_id: str
    started_date: date | None  # the linked project's start (stage started)
    created_at: Timestamp
    updated_at: Timestamp
