"""Land parcel API models."""
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer, StringConstraints

from services.registry.validation import Code, Strict, Timestamp


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


Area = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]  # 亩
Location = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ParcelCreate(Strict):
    code: Code
    location: Location | None = None
    area_mu: Area
    sale_date: date | None = None
    delivery_date: date | None = None
    start_deadline: date
    project_id: str | None = None
    unit_id: str


class ParcelUpdate(Strict):
    """Only the fields sent are changed; location, dates other than the deadline, and the project may be nulled."""

    code: Code | None = None
    location: Location | None = None
    area_mu: Area | None = None
    sale_date: date | None = None
    delivery_date: date | None = None
    start_deadline: date | None = None
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
