"""Idempotency-Key for creating writes: the same key and body replay the first response, another body is 422; a key
belongs to its caller (another caller's same key is another key: it never replays someone else's response)."""
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Annotated

import orjson
from fastapi import Header
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import current_caller
from kit.errors import Conflict, Invalid, field_error
from kit.tables import idempotency_keys

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def replay(session: AsyncSession, *, key: str, request_hash: str) -> tuple[int, object] | None:
    """The stored (status, body) for this key, None when the key is new; Conflict when reused with another body."""
    row = (await session.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.status, idempotency_keys.c.body)
        .where(idempotency_keys.c.key == key)
    )).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise Invalid("this Idempotency-Key was already used with a different request body",
                      errors=[field_error("Idempotency-Key", "already used with a different request body")])
    return row.status, orjson.loads(row.body)


async def claim(session: AsyncSession, *, key: str, request_hash: str) -> bool:
    """Take the key before creating, in a savepoint; False when another request holds it.

    On PostgreSQL a concurrent request with the same key waits here until the holder commits or rolls back,
    so only one of them creates and the others replay its response.
    """
    try:
        async with session.begin_nested():
            await session.execute(insert(idempotency_keys).values(
                key=key, request_hash=request_hash, status=0, body="null", created_at=datetime.now(timezone.utc)))
        return True
    except IntegrityError:
        return False


async def remember(session: AsyncSession, *, key: str, status: int, body: object) -> None:
    await session.execute(update(idempotency_keys).where(idempotency_keys.c.key == key).values(
        status=status, body=orjson.dumps(body).decode()))


def _created(body: dict, location: Callable[[dict], object], etag: Callable[[dict], str] | None) -> dict[str, str]:
    headers = {"Location": str(location(body))}
    if etag is not None:
        headers["ETag"] = etag(body)
    return headers


def _replayed(stored: tuple[int, object], headers: dict[str, str]) -> JSONResponse:
    status, body = stored
    return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true", **headers})


async def create_once(session: AsyncSession, *, key: str | None, scope: str, request_body: BaseModel,
                      create: Callable[[], Awaitable[BaseModel]], location: Callable[[dict], object],
                      etag: Callable[[dict], str] | None = None) -> JSONResponse:
    """Run `create` once per Idempotency-Key (scoped to the route and the caller); respond 201 with its JSON, the
    `location` of what it created (from the JSON: a URL, e.g. `request.url_for` of the route that reads it) and, for a
    versioned resource, its `etag` (else kit.conditional tags the body)."""
    if key is None:
        created = await create()
        return Response(created.model_dump_json(), status_code=201, media_type="application/json",
                        headers=_created(created.model_dump(mode="json"), location, etag))
    # Hashed: a 200-character header plus its scope always fits the key column.
    owned = f"{current_caller.get()}\n{key}"
    scoped_key = f"{scope}:{fingerprint(owned.encode())}"
    request_hash = fingerprint(request_body.model_dump_json().encode())
    stored = await replay(session, key=scoped_key, request_hash=request_hash)
    if stored is not None:
        return _replayed(stored, _created(stored[1], location, etag))
    if not await claim(session, key=scoped_key, request_hash=request_hash):
        # A concurrent request with this key committed first: answer as it did.
        stored = await replay(session, key=scoped_key, request_hash=request_hash)
        if stored is None:
            raise Conflict("a request with this Idempotency-Key is still in progress; retry")
        return _replayed(stored, _created(stored[1], location, etag))
    body = (await create()).model_dump(mode="json")
    await remember(session, key=scoped_key, status=201, body=body)
    return JSONResponse(body, status_code=201, headers=_created(body, location, etag))
