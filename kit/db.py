"""Async engine, column types and the unit-of-work session used by requests and consumers."""
from datetime import timezone
from decimal import Decimal

from asyncpg.exceptions import (AdminShutdownError, CannotConnectNowError, CrashShutdownError,
                                PostgresConnectionError)
from sqlalchemy import BigInteger, ColumnElement, DateTime, any_, bindparam, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

MONEY_SCALE = 6  # 万元 to the fen: 0.000001 万元 = 0.01 CNY


class Money(TypeDecorator):
    """Exact 万元 amounts stored as integer millionths, so SUM is exact on every database."""

    impl = BigInteger
    cache_ok = True

    @property
    def python_type(self) -> type:
        return Decimal

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(Decimal(value).scaleb(MONEY_SCALE).to_integral_value())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-MONEY_SCALE)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class _UTCDateTime(SQLITE_DATETIME):
    """SQLite keeps no offset: a timezone-aware column reads back in UTC (what every service writes), as it does on
    PostgreSQL, so a timestamp leaves the API with its offset from either database."""

    def result_processor(self, dialect, coltype):
        parse = super().result_processor(dialect, coltype)
        if not self.timezone:
            return parse

        def process(value):
            value = parse(value) if parse is not None else value
            return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value

        return process


def make_engine(url: str, *, read_only: bool = False) -> AsyncEngine:
    """Build the engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE so writers queue instead of failing.

    `read_only` (SQLite): a reading engine whose transactions begin deferred and may not write, so under WAL its
    readers neither wait for the writers' lock nor hold it up."""
    if not is_sqlite(url):
        # A fixed pool: overflow connections would be opened and closed again under load, each costing a handshake.
        # No pre-ping (a round trip on every checkout): after a database restart the first statement on a stale
        # connection fails, the pool then replaces every older connection, and the failure is a 503 (kit.errors).
        return create_async_engine(url, pool_size=20, max_overflow=0, pool_timeout=30)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    engine.dialect.colspecs = {**engine.dialect.colspecs, DateTime: _UTCDateTime}

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL",
                       *(["query_only=ON"] if read_only else [])):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


# Raised while the database is away (down, restarting, locked, connection lost) rather than by a failed statement.
# asyncpg errors come wrapped in a generic DBAPIError (their class is on the `__cause__` chain): SQLAlchemy maps none
# of them to OperationalError, and marks only some connection_invalidated.
_UNAVAILABLE = (InterfaceError, OperationalError, OSError, PostgresConnectionError, AdminShutdownError,
                CrashShutdownError, CannotConnectNowError)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` means the database cannot be reached now: to be waited out, never counted as a failed handler."""
    while exc is not None:
        if getattr(exc, "connection_invalidated", False) or isinstance(exc, _UNAVAILABLE):
            return True
        exc = exc.__cause__
    return False


async def single_statement(session: AsyncSession) -> None:
    """Declare, before its first statement, that the session writes with one statement: on PostgreSQL it then runs
    in autocommit, as atomic on its own but without the BEGIN and COMMIT round trips (a hot path's third of them).
    SQLite keeps its transaction (kit.outbox.WriteWithEvent writes two statements there)."""
    if session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def one_of(session: AsyncSession, column, values) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:values)`, one array parameter: the statement's text is the
    same whatever the count, so it is prepared once rather than once per count, and no parameter is rendered one by
    one (a fetch's few hundred ids cost a tenth of its CPU that way)."""
    if session.bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker with its own Session class, so commit listeners (the outbox relay's) stay per app."""

    class AppSession(Session):
        pass

    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AppSession)
