"""Plumbing tables every service database holds: outbox, inbox, idempotency keys, dead letters."""
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

# BigInteger ids autoincrement on SQLite only as INTEGER PRIMARY KEY.
_id = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "outbox",
    metadata,
    Column("id", _id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("type", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Index("ix_outbox_unpublished", "id", postgresql_where=Column("published_at").is_(None), sqlite_where=Column("published_at").is_(None)),
)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("type", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# A copy of every message a consumer dead-lettered (the embedded broker keeps nothing over a restart): what
# `kit.cli dlq list --database` reads and `dlq replay db:<id>` sends back.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", _id, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),  # the dead-letter topic it was sent to
    Column("source_topic", String(200), nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("consumer_group", String(200), nullable=False),
    Column("service", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # whole | reference
    Column("reason", Text, nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
