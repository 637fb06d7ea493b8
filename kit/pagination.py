"""Cursor pagination: the one page shape and the keyset query every list endpoint uses."""
import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_

from kit.errors import Invalid, field_error

T = TypeVar("T")


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


def _decode_value(raw: Any, python_type: type) -> Any:
    if raw is None:
        return None
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    return python_type(raw)


def keyset(query: Select, *, key, params: PageParams, sort=None, descending: bool = False) -> Select:
    """Order by (sort, key) and start after the cursor; one extra row tells whether there is a next page."""
    columns = [sort, key] if sort is not None else [key]
    if params.cursor:
        try:
            raw = orjson.loads(base64.urlsafe_b64decode(params.cursor.encode() + b"=="))
            values = [_decode_value(v, c.type.python_type) for v, c in zip(raw, columns, strict=True)]
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise _bad_cursor() from exc
        after = (lambda c, v: c < v) if descending else (lambda c, v: c > v)
        if sort is None:
            query = query.where(after(key, values[0]))
        else:
            query = query.where(or_(after(sort, values[0]), and_(sort == values[0], after(key, values[1]))))
    order = [c.desc() if descending else c.asc() for c in columns]
    return query.order_by(*order).limit(params.limit + 1)


def page_of(rows: list, params: PageParams, *, keys) -> tuple[list, str | None]:
    """Cut the extra row; the cursor carries the last row's (sort, key) values given by `keys(row)`."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    cursor = base64.urlsafe_b64encode(orjson.dumps([_encode(v) for v in keys(rows[-1])])).decode().rstrip("=")
    return rows, cursor
