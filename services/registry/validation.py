"""Field types and constraint translation shared by the registry's API models."""
import re
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy.exc import IntegrityError

from contracts.types import Money
from kit.errors import Conflict, Invalid, Problem, field_error

def visible(value: str) -> str:
    """Text someone can read: not made only of invisible characters (zero-width, bidi controls, spaces)."""
    if not any(unicodedata.category(c)[0] not in "CZ" for c in value):
        raise ValueError("the text has no visible character (only spaces, zero-width or direction marks)")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(visible)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                     AfterValidator(visible)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(visible)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9_\-./]+$")]

# kit.db.Money keeps millionths of 万元 in a BIGINT (at most ~9.2e12 万元); a request above this ceiling is 422, not 500.
StoredMoney = Annotated[Money, Field(le=Decimal(10) ** 12)]



def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# A stored UTC timestamp as the API shows it: SQLite reads it back without its offset, PostgreSQL with it; either way
# it leaves with "Z", so one record reads the same from every endpoint and database.
Timestamp = Annotated[datetime, AfterValidator(_utc)]


def has_nul(value: Any) -> bool:
    """Whether a string (or any string inside a list or mapping) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped, and text holding NUL
    (which PostgreSQL cannot store: a 500 there, silently kept on SQLite) on every database alike."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("text cannot contain NUL characters")
        return value


# The column a NOT NULL violation names: SQLite "NOT NULL constraint failed: units.name", PostgreSQL
# 'null value in column "name" of relation "units" violates not-null constraint'.
_NULL_COLUMN = re.compile(r'not null constraint failed: \w+\.(\w+)|null value in column "(\w+)"')


def integrity_problem(exc: IntegrityError, *, unique: str, reference_field: str) -> Problem:
    """Turn a constraint violation into what the client did wrong: always a problem (409 or 422), never the raw error
    (which would be a 500). The API models check first; this is the database's word when a check was missed or a
    concurrent write got in between."""
    message = str(exc.orig).lower()
    if "foreign key" in message:
        return Invalid(f"the referenced {reference_field} does not exist",
                       errors=[field_error(reference_field, "no such record")])
    if "unique" in message or "duplicate key" in message:
        return Conflict(f"the {unique} is already taken")
    null = _NULL_COLUMN.search(message)
    if null is not None or "not null" in message or "not-null" in message:
        column = next((c for c in null.groups() if c), None) if null else None
        return Invalid("a required field cannot be null",
                       errors=[field_error(column or "body", "cannot be null")])
    return Conflict("the change breaks a rule of the stored data")
