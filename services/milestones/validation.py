"""Field types shared by the milestones API models."""
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# Node and template keys appear in URLs, events and predecessor lists: lower-case words.
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                       pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Evidence = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid")
