"""Rebuild API models."""
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RebuildPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str  # running | succeeded | failed
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    events_applied: int
    events_skipped: int
    error: str | None
