"""The overview and rankings answered from a cache: each answer kept serialized, with its ETag, for the database's
change count it was computed at (services.reports.data_version), and served again while the count stays.

A request reads the latest count and serves the answer kept for it; only when none is kept does it compute one, in a
snapshot that reads the count again with the figures, and keeps it for that count. Any change to reports' database
(an event applied, a rebuild, a REST write, a snapshot taken) moves the count in the transaction that makes it, so no
answer outlives the data it came from. Each instance keeps its own answers; the count lives in the database, so
every instance sees every change, whichever instance made it."""
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import NamedTuple

from fastapi import Request, Response
from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from kit.asgi import HttpMiddleware
from kit.auth import authenticate
from kit.clock import today as today_of
from kit.conditional import digest_etag
from kit.errors import Problem
from services.reports import data_version
from services.reports.dependencies import READ_SCOPE, reading_sessionmaker

ANSWERS = Counter("kp_reports_answers_total", "Overview and ranking answers: kept ones served again (hit) or computed "
                  "(miss)", ["route", "result"])

Key = tuple[str, bytes, date]


def _key(scope: Scope, today: date) -> Key:
    """What an answer is kept under: its path and query string as sent, and today (a live answer's day)."""
    return scope["path"], scope["query_string"], today


class Answers:
    """The serialized answers (body, ETag) of the newest change count this instance has read, the least recently
    asked dropped beyond `size`."""

    def __init__(self, size: int):
        self.size = size
        self.version = -1
        self.kept: OrderedDict[Key, tuple[bytes, str]] = OrderedDict()

    def get(self, version: int, key: Key) -> tuple[bytes, str] | None:
        found = self.kept.get(key) if version == self.version else None
        if found is not None:
            self.kept.move_to_end(key)
        return found

    def put(self, version: int, key: Key, answer: tuple[bytes, str]) -> None:
        if version < self.version:
            return  # read in a snapshot older than the answers kept: served, not kept
        if version > self.version:
            self.kept.clear()
            self.version = version
        self.kept[key] = answer
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)


def _answers(request: Request) -> Answers:
    state = request.app.state
    if getattr(state, "answers", None) is None:
        state.answers = Answers(state.settings.answers_kept)
    return state.answers


class _Route(NamedTuple):
    """What kit.metrics labels a request by: the route's path template (these routes have no path parameters)."""
    path: str
    name: str


_ROUTES = {f"/api/v1/{name}": _Route(f"/api/v1/{name}", name) for name in ("overview", "rankings")}


class KeptAnswers(HttpMiddleware):
    """A GET of the overview or rankings whose answer is kept for the latest change count, from a caller who may read
    reports, served before routing: solving the routes' dependencies and a dozen query parameters costs FastAPI more
    than the kept answer. Inside the kit's middleware, so metrics, tracing and conditional requests (304) see it as
    any response; anything else (no answer kept, a token refused, another path) goes on to the route, which answers
    or errs as always. Only answers the route computed are kept, so only a query it accepted is answered here."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _ROUTES.get(scope["path"][len(scope.get("root_path", "")):]) if scope["method"] == "GET" else None
        state = scope["app"].state
        answers: Answers | None = getattr(state, "answers", None)
        if route is None or answers is None or not answers.kept:
            await self.app(scope, receive, send)
            return
        try:
            allowed = (await authenticate(Request(scope))).has(READ_SCOPE)
        except Problem:
            allowed = False
        if not allowed:
            await self.app(scope, receive, send)  # the route refuses it, with its problem details
            return
        async with reading_sessionmaker(scope["app"])() as session:
            version = await data_version.latest(session)
        found = answers.get(version, _key(scope, today_of(state.settings)))
        if found is None:
            await self.app(scope, receive, send)
            return
        ANSWERS.labels(route.name, "hit").inc()
        scope["route"] = route
        body, tag = found
        await Response(body, media_type="application/json", headers={"ETag": tag})(scope, receive, send)


async def _count_with_figures(session: AsyncSession, latest: int) -> int:
    """The count in the snapshot the figures will be read in: on PostgreSQL the session's reads become one
    repeatable-read transaction; SQLite's reading transaction is one snapshot already (WAL), begun when the `latest`
    count was read."""
    if session.bind.dialect.name != "postgresql":
        return latest
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    return await data_version.current(session)


async def answer(request: Request, session: AsyncSession, today: date,
                 compute: Callable[[], Awaitable[BaseModel]]) -> Response:
    """The answer to this request as of the session's snapshot: kept, or computed (by `compute`, on the session) and
    kept. Keyed by the path and query string as sent - every parameter, none to keep in step with the route - and
    today (a live answer's day; `as_of` is checked against it); the answer is the same for every caller."""
    answers, key = _answers(request), _key(request.scope, today)
    route = request.scope["route"].name
    version = await data_version.latest(session)
    found = answers.get(version, key)
    if found is None:
        version = await _count_with_figures(session, version)
        figures = await compute()
        body = figures.__pydantic_serializer__.to_json(figures, by_alias=True)  # as FastAPI serializes a model
        found = body, digest_etag(body)
        answers.put(version, key, found)
        ANSWERS.labels(route, "miss").inc()
    else:
        ANSWERS.labels(route, "hit").inc()
    body, tag = found
    response = Response(body, media_type="application/json")
    response.headers["ETag"] = tag  # the digest kit.conditional would make of the body, made once
    return response
