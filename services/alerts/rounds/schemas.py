"""Supervision round API models."""
import datetime as dt

from pydantic import BaseModel

from kit.inputs import Day, Strict


class RoundCreate(Strict):
    """The supervision day; the first Tuesday of the current month when not given."""

    date: Day | None = None


class RoundSummary(BaseModel):
    id: str
    date: dt.date
    totals: dict
    created_by: str
    created_at: dt.datetime


class RoundPublic(RoundSummary):
    units: list[dict]
