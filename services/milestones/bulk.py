"""Many new rows into a table in one go: on PostgreSQL by COPY (asyncpg encodes the rows itself, without SQLAlchemy's
processing of each row's parameters), elsewhere by one executemany INSERT; or, on PostgreSQL, by an INSERT of the rows
as one JSON parameter, to be written with other statements as one (kit.outbox.WritesWithEvent)."""
from collections.abc import Sequence

import orjson
from sqlalchemy import JSON, Insert, Table, bindparam, cast, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_rows(conn: AsyncConnection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """`rows`: the values of `columns`, in that order."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    driver = (await conn.get_raw_connection()).driver_connection
    # COPY goes to the driver itself: it must run in the transaction the caller's earlier statements began.
    assert driver.is_in_transaction(), f"COPY into {table.name} outside the caller's transaction"
    json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    if json:
        rows = [list(row) for row in rows]
        for row in rows:
            for i in json:
                row[i] = orjson.dumps(row[i]).decode()
    await driver.copy_records_to_table(table.name, columns=list(columns), records=rows)


def insert_json(table: Table, columns: Sequence[str]) -> Insert:
    """PostgreSQL: INSERT the rows given as one JSON array of objects (`as_json`), any number of them (none too), with
    one statement text: serialized by orjson at once, where an array parameter per column costs asyncpg a Python
    step per element. A JSON column keeps its value's text as serialized, as COPY writes it."""
    rows = func.json_populate_recordset(literal_column(f"NULL::{table.name}"), cast(bindparam(table.name), JSON))
    rows = rows.table_valued(*columns)
    return insert(table).from_select(list(columns), select(*(rows.c[c] for c in columns)), include_defaults=False)


def as_json(columns: Sequence[str], rows: list[tuple]) -> str:
    """The parameter of `insert_json` for `rows` (the values of `columns`, in that order)."""
    return orjson.dumps([dict(zip(columns, row)) for row in rows]).decode()
