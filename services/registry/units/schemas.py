"""Unit API models."""
from pydantic import BaseModel

from contracts.registry import UnitKind
from services.registry.validation import Code, Strict, Text


class UnitCreate(Strict):
    code: Code
    name: Text
    kind: UnitKind
    parent_id: str | None = None


class UnitUpdate(Strict):
    code: Code | None = None
    name: Text | None = None
    kind: UnitKind | None = None
    parent_id: str | None = None


class UnitPublic(BaseModel):
    id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None
