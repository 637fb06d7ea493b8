"""API field types shared by the alerts endpoints."""
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid")
