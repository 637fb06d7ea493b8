"""Alert and project status API models."""
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from contracts.alerts import AlertStatus, Colour, Grade
from kit.inputs import Strict
from services.alerts.schemas import LongText


class AlertPublic(BaseModel):
    id: str
    project_id: str | None
    parcel_id: str | None
    unit_id: str | None
    rule: str
    colour: Colour
    message: str  # as of `as_of`
    # The message with the days passing as placeholders, as alert events carry it (null: worded before it was kept).
    wording: str | None
    status: AlertStatus
    escalated_to: str | None
    raised_on: date
    escalated_on: date | None
    resolved_on: date | None
    # An active alert's: the day its subject was last evaluated; a resolved one's: the day it was resolved.
    as_of: date
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledgement_note: str | None
    created_at: datetime


class AlertChangePublic(BaseModel):
    action: str
    colour: Colour
    message: str
    as_of: date
    actor: str
    note: str | None
    at: datetime


class AlertDetail(AlertPublic):
    history: list[AlertChangePublic]


class Acknowledgement(Strict):
    note: LongText


class ProjectStatusPublic(BaseModel):
    project_id: str
    code: str
    name: str
    unit_id: str
    # The version of the project's state (registry) this status was evaluated on.
    version: int
    colour: Colour
    grade: Grade
    # (YTD / annual plan) / share of the year elapsed, as of `as_of`; null outside the project's year or without plan.
    investment_ratio: Decimal | None
    late_node: bool
    as_of: date | None
    changed_on: date | None
    alerts: list[AlertPublic]
