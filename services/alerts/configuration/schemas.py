"""Rule settings API models."""
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from kit.inputs import Strict
from services.alerts.schemas import LongText


class RuleUpdate(Strict):
    """Fields sent are changed; thresholds are merged into the current ones and checked as a whole."""

    enabled: bool | None = None
    opens_task: bool | None = None
    thresholds: dict[str, Any] | None = Field(default=None, max_length=20)
    note: LongText | None = None


class RulePublic(BaseModel):
    name: str
    title: str
    kind: str  # "rule", or "settings" for the supervision tasks' deadline and escalation ladder
    subject: str | None
    enabled: bool
    opens_task: bool
    thresholds: dict[str, Any]
    defaults: dict[str, Any]
    version: int
    updated_by: str
    updated_at: datetime | None


class RuleChangePublic(BaseModel):
    version: int
    enabled: bool
    opens_task: bool
    thresholds: dict[str, Any]
    changes: dict[str, Any]
    note: str | None
    actor: str
    at: datetime
