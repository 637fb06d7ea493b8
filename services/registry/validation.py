"""Field types and constraint translation shared by the registry's API models."""
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import IntegrityError

from contracts.types import Money
from kit.errors import Conflict, Invalid, field_error

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9_\-./]+$")]

# kit.db.Money keeps millionths of 万元 in a BIGINT (at most ~9.2e12 万元); a request above this ceiling is 422, not 500.
StoredMoney = Annotated[Money, Field(le=Decimal(10) ** 12)]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def integrity_problem(exc: IntegrityError, *, unique: str, reference_field: str) -> Exception:
    """Turn a constraint violation into what the client did wrong (the database is the one place that checks)."""
    message = str(exc.orig).lower()
    if "foreign key" in message:
        return Invalid(f"the referenced {reference_field} does not exist",
                       errors=[field_error(reference_field, "no such record")])
    if "unique" in message or "duplicate key" in message:
        return Conflict(f"the {unique} is already taken")
    return exc
