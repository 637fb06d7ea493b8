"""Cursor pagination: the one page shape and the keyset query every list endpoint uses."""
import base64
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.types import TypeDecorator

from kit.errors import Invalid, field_error

T = TypeVar("T")

INT64 = range(-2 ** 63, 2 ** 63)  # what an integer bound to the database may be (BIGINT)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def _bad_cursor() -> Invalid:
    return Invalid("the cursor is not valid", errors=[field_error("cursor", "not a cursor from this request")])


def _encode(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _python_type(kind) -> type:
    """The column type's Python type; a TypeDecorator that does not tell (it says `object`) has its impl's."""
    try:
        python_type = kind.python_type
    except NotImplementedError:
        python_type = object
    if python_type is object and isinstance(kind, TypeDecorator):
        return _python_type(kind.impl_instance)
    return python_type


def _as_column_time(value: datetime, kind) -> datetime:
    """A timestamp as the column holds it: aware UTC for a time-zone column, naive UTC otherwise (asyncpg refuses a
    mismatch, and SQLite compares the text)."""
    aware = getattr(kind.impl_instance if isinstance(kind, TypeDecorator) else kind, "timezone", False)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc) if aware else value
    value = value.astimezone(timezone.utc)
    return value if aware else value.replace(tzinfo=None)


def _decode_value(raw: Any, column) -> Any:
    """One cursor value as the column's Python type; ValueError, TypeError or ArithmeticError when it cannot be one
    (a tampered cursor, or one from another sort) or when the database could not take it as a parameter."""
    if raw is None:
        return None
    python_type = _python_type(column.type)
    if python_type is datetime or python_type is date:
        if not isinstance(raw, str):
            raise TypeError("a date must be ISO text")
        value = python_type.fromisoformat(raw)
        if python_type is datetime:
            value = _as_column_time(value, column.type)
    elif python_type is Decimal:
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise TypeError("a decimal must be text or an integer")
        value = Decimal(raw)
        if not value.is_finite():
            raise ValueError("not a finite number")
    elif python_type is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError("not an integer")
        value = raw
    elif python_type is str:
        if not isinstance(raw, str) or "\x00" in raw:
            raise TypeError("not text (PostgreSQL text cannot hold NUL)")
        value = raw
    else:
        value = python_type(raw)
    # What reaches the database must fit it: a Money amount of 1e30 becomes an integer beyond BIGINT.
    kind = column.type
    binds = isinstance(kind, TypeDecorator) and type(kind).process_bind_param is not TypeDecorator.process_bind_param
    bound = kind.process_bind_param(value, None) if binds else value
    if isinstance(bound, int) and not isinstance(bound, bool) and bound not in INT64:
        raise OverflowError("out of the column's range")
    return value


def _nullable(column) -> bool:
    """Whether a sort column may hold NULL (an expression we cannot tell about counts as nullable)."""
    return getattr(getattr(column, "expression", column), "nullable", True)


def _decode_cursor(cursor: str, columns: list) -> list:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
        if not isinstance(raw, list):
            raise TypeError("a cursor is a list")
        values = [_decode_value(v, c) for v, c in zip(raw, columns, strict=True)]
        if values[-1] is None:
            raise ValueError("the key of a row is never null")
        return values
    # binascii.Error and orjson.JSONDecodeError are ValueErrors; decimal.InvalidOperation and OverflowError are
    # ArithmeticErrors
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _bad_cursor() from exc


def keyset(query: Select, *, key, params: PageParams, sort=None, descending: bool = False) -> Select:
    """Order by (sort, key) and start after the cursor; one extra row tells whether there is a next page.

    A nullable sort column puts its NULLs last in both directions (on SQLite as on PostgreSQL), and the cursor of a
    row without a sort value goes on among the other such rows, by key."""
    columns = [sort, key] if sort is not None else [key]
    nullable = sort is not None and _nullable(sort)
    if params.cursor:
        values = _decode_cursor(params.cursor, columns)
        after = (lambda c, v: c < v) if descending else (lambda c, v: c > v)
        if sort is None:
            query = query.where(after(key, values[0]))
        elif values[0] is None:
            if not nullable:
                raise _bad_cursor()
            query = query.where(sort.is_(None), after(key, values[1]))
        else:
            ahead = [after(sort, values[0]), and_(sort == values[0], after(key, values[1]))]
            query = query.where(or_(*ahead, *([sort.is_(None)] if nullable else [])))
    order = [c.desc() if descending else c.asc() for c in columns]
    if nullable:
        order[0] = order[0].nulls_last()
    return query.order_by(*order).limit(params.limit + 1)


def page_of(rows: list, params: PageParams, *, keys) -> tuple[list, str | None]:
    """Cut the extra row; the cursor carries the last row's (sort, key) values given by `keys(row)`."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    cursor = base64.urlsafe_b64encode(orjson.dumps([_encode(v) for v in keys(rows[-1])])).decode().rstrip("=")
    return rows, cursor
