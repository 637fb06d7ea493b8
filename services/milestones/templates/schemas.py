"""Template API models: nodes with durations, predecessors and what completes them."""
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts.registry import CategoryKey, Stage
from kit.inputs import Strict
from services.milestones.validation import Key, LongText, Text


class Trigger(StrEnum):
    """Registry facts other than a stage that complete a node."""

    real_start = "real_start"                    # 实质性开工 confirmed
    statistics_included = "statistics_included"  # 入库纳统 accepted


class TemplateNode(Strict):
    key: Key
    name: Text
    name_en: Text | None = None
    # Days from the latest predecessor (or the schedule's start) to this node.
    duration_days: int = Field(ge=0, le=3650)
    predecessors: list[Key] = Field(default_factory=list, max_length=50)
    # The registry stage whose date completes this node, or another registry fact that does.
    stage: Stage | None = None
    trigger: Trigger | None = None
    weight: int = Field(default=1, ge=1, le=100)


class TemplateUpdate(Strict):
    name: Text
    name_en: Text | None = None
    category: CategoryKey | None = None
    description: LongText | None = None
    nodes: list[TemplateNode] = Field(min_length=1, max_length=200)


class TemplateCreate(TemplateUpdate):
    key: Key


class TemplatePublic(BaseModel):
    key: str
    name: str
    name_en: str | None = None
    category: str | None = None
    # Categories whose projects get this template by default: KP_CATEGORY_TEMPLATES over the built-in mapping.
    default_for: list[str] = []
    description: str | None = None
    builtin: bool
    version: int
    nodes: list[TemplateNode]
    # From the first node to the last when every node follows its predecessors at once.
    total_duration_days: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
