"""Many new rows into a table in one go: on PostgreSQL by COPY (asyncpg encodes the rows itself, without SQLAlchemy's
processing of each row's parameters), elsewhere by one executemany INSERT."""
from collections.abc import Sequence

import orjson
from sqlalchemy import JSON, Table, insert
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
