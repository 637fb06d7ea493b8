"""The database's change count (table data_version): every transaction that changes reports' database adds one to it
in that same transaction, just before its COMMIT; so a reader that finds the count unchanged knows that nothing it
reads has changed since (services.reports.answers).

Counted at the engine, not by each writer: any statement but a read marks its transaction, and the engine's commit
of a marked transaction adds one first. The live consumer's fetches and its one-by-one path, a rebuild, the REST
writes and the scheduler's snapshots are all counted, and so is any writer added later, without knowing of it."""
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

_CHANGED = "reports.changed"  # in the connection's info: its transaction has run a statement that may change data
# What changes nothing; every other statement counts (INSERT, UPDATE, DELETE, WITH, DDL...), even one that changed
# no row: a count too many only costs a cached answer.
_READS = ("SELECT", "SET", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN", "PRAGMA")
_COUNT = "UPDATE data_version SET version = version + 1"
_READ = "SELECT version FROM data_version"


def track_changes(engine: AsyncEngine) -> None:
    """Count every changing transaction on `engine` (the service's, once migrated: kit.app.ServiceSpec.on_engine)."""
    sync = engine.sync_engine

    @event.listens_for(sync, "begin")
    def _begin(conn) -> None:
        conn.info.pop(_CHANGED, None)  # the info outlives the transaction: it is the pooled connection's

    @event.listens_for(sync, "before_cursor_execute")
    def _statement(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
        if not statement.lstrip()[:9].upper().startswith(_READS):
            conn.info[_CHANGED] = True

    @event.listens_for(sync, "commit")
    def _commit(conn) -> None:
        # before the database's COMMIT, on the transaction's connection: the count commits with the changes; its row
        # lock is held only for the commit, so concurrent writers queue only there
        if conn.info.pop(_CHANGED, False):
            conn.exec_driver_sql(_COUNT)


async def current(session: AsyncSession) -> int:
    """The count as the session's transaction sees it."""
    return await session.scalar(text(_READ))


async def latest(session: AsyncSession) -> int:
    """The count last committed. On PostgreSQL one autocommit statement on a connection of its own (a transaction
    would take three round trips: all an answer kept needs is this one); elsewhere as `current`, the session's
    transaction beginning there."""
    if session.bind.dialect.name != "postgresql":
        return await current(session)
    async with session.bind.connect() as connection:
        # the driver's own statement, outside any transaction (SQLAlchemy begins none on a connection not yet used):
        # an answer kept costs this one round trip and little else
        driver = (await connection.get_raw_connection()).driver_connection
        return await driver.fetchval(_READ)
