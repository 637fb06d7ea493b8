"""Plumbing tests need a broker and a database with the plumbing tables, not the service processes."""
import pytest
from sqlalchemy import event

from kit.broker import EmbeddedBroker
from kit.db import is_sqlite, make_engine, make_sessionmaker
from kit.tables import metadata
from tests.support.databases import fresh_database


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    running = EmbeddedBroker(log_path=tmp_path_factory.mktemp("kit-broker") / "broker.log").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def plumbing_url(tmp_path):
    return fresh_database("kit", tmp_path)


@pytest.fixture
async def plumbing(plumbing_url):
    """(url, sessionmaker) of a fresh database holding the plumbing tables. On SQLite a locked database fails
    after 0.2 s instead of 30, so `tests.kit.outages.database_outage` shows up as errors within a test's time."""
    engine = make_engine(plumbing_url)
    if is_sqlite(plumbing_url):
        @event.listens_for(engine.sync_engine, "connect")
        def _impatient(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=200")
            cursor.close()
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield plumbing_url, make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def migrations(tmp_path):
    """The smallest service migrations: the plumbing tables only."""
    root = tmp_path / "migrations"
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text("from sqlalchemy import MetaData\n\nfrom kit.migrations import run_env\n\n"
                                 "run_env(MetaData())\n")
    (root / "versions" / "0001_plumbing.py").write_text(
        'from kit.migrations import create_plumbing_tables\n\nrevision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade() -> None:\n    create_plumbing_tables()\n")
    return root
