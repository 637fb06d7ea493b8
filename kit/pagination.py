"""Cursor pagination: the one page shape and the keyset query helper every list endpoint uses."""
import base64
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select

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
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("the cursor is not valid", errors=[field_error("cursor", "not a cursor from this API")]) from exc


def keyset(query: Select, key_column, params: PageParams) -> Select:
    """Order by a unique key and start after the cursor; fetch one extra row to know if there is more."""
    if params.cursor:
        query = query.where(key_column > _decode(params.cursor))
    return query.order_by(key_column).limit(params.limit + 1)


def page_of(rows: list, params: PageParams, key=lambda row: row.id) -> tuple[list, str | None]:
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, base64.urlsafe_b64encode(str(key(rows[-1])).encode()).decode().rstrip("=")
