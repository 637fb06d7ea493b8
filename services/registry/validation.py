"""Field types and constraint translation shared by the registry's API models."""
import re
from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from sqlalchemy.exc import IntegrityError

from kit.errors import Conflict, Invalid, Problem, field_error
from kit.inputs import text

Text, LongText, Name = text(200), text(2000), text(300)
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9_\-./]+$")]




def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# A stored UTC timestamp as the API shows it: SQLite reads it back without its offset, PostgreSQL with it; either way
# it leaves with "Z", so one record reads the same from every endpoint and database.
Timestamp = Annotated[datetime, AfterValidator(_utc)]


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
