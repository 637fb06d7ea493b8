"""Field types shared by the milestones API models."""
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# Node and template keys appear in URLs, events and predecessor lists: lower-case words.
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                       pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
# A date the API takes (bodies and query parameters): a sane range, so date arithmetic never leaves what Python's
# date holds (which would be a 500) and a typo such as 0202-05-01 is a 422.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
Evidence = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid")
