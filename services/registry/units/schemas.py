"""Unit API models."""
from pydantic import BaseModel, field_validator

from contracts.registry import UnitKind
from kit.inputs import Strict
from services.registry.validation import Code, Text


class UnitCreate(Strict):
    code: Code
    name: Text
    kind: UnitKind
    parent_id: str | None = None


class UnitUpdate(Strict):
    """Only the fields sent are changed; code, name and kind cannot be null, a null parent_id detaches the unit."""

    code: Code = None
    name: Text = None
    kind: UnitKind = None
    parent_id: str | None = None

    @field_validator("code", "name", "kind", mode="before")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value


class UnitPublic(BaseModel):
    id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None
