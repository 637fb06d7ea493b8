"""Write-to-read latency: paced project creates on the registry, until each project is applied in reports.

Reports' project_view.applied_at is written (by the reports process, same machine and clock) when the event is
applied; after the run it is read straight from the reports database and the POST's response time subtracted."""
import asyncio
import json
import math
import time

from bench.bodies import project_body
from bench.databases import connect
from bench.client import HttpError, Pool, dumps
from bench.load import PATH, Target
from bench.pace import paced
from bench.stats import summary


async def applied_at(reports_url: str, ids: list[str]) -> dict[str, float]:
    conn = await connect(reports_url)
    try:
        rows = await conn.fetch("SELECT id, applied_at FROM project_view WHERE id = ANY($1::varchar[]) "
                                "AND applied_at IS NOT NULL", ids)
    finally:
        await conn.close()
    return {r["id"]: r["applied_at"].timestamp() for r in rows}


async def wait_applied(reports_url: str, ids: list[str], timeout: float) -> dict[str, float]:
    """Poll (the whole set, not per project) until every id is applied or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        found = await applied_at(reports_url, ids)
        if len(found) == len(ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def measure(target: Target, reports_url: str, *, rate: float, seconds: float, drain: float,
                  connections: int) -> dict:
    """Open loop: a create every 1/rate s whatever the earlier ones are doing, over at most `connections` keep-alive
    connections (a create waits for a free one, and its POST latency counts that wait). A create that fails or takes
    longer than `drain` counts as failed; one not in reports `drain` s after the last response counts as missing."""
    failures: list[str] = []
    pool = Pool(target.url, target.headers, size=connections)

    async def create(tag: str) -> tuple[str, float, float] | None:
        start = time.perf_counter()
        try:
            body = dumps(project_body(target.unit_id, code=f"L{tag}"))
            status, body = await asyncio.wait_for(pool.send("POST", PATH, body), drain)
        except (HttpError, asyncio.TimeoutError) as exc:
            failures.append(repr(exc))
            return None
        received = time.time()
        if status != 201:
            failures.append(f"{status}: {body[:200]!r}")
            return None
        return json.loads(body)["id"], received, (time.perf_counter() - start) * 1000

    try:
        # One project through before the clock starts: the reports consumer has joined its group, topics exist.
        warm = await create(f"warm-{time.time_ns()}")
        if warm is None or not await wait_applied(reports_url, [warm[0]], 90):
            raise RuntimeError(f"the first project never reached reports ({failures[-1:] or 'not applied'})")

        created: list[tuple[str, float, float]] = []
        run = time.time_ns()

        async def one(i: int) -> None:
            result = await create(f"{run}-{i}")
            if result is not None:
                created.append(result)

        started = time.time()
        sent = await paced(rate, seconds, one)
        achieved = len(created) / max(max((c[1] for c in created), default=started) - started, 1e-9)
    finally:
        await pool.close()

    ids = [c[0] for c in created]
    applied = await wait_applied(reports_url, ids, drain) if ids else {}
    # A create that failed, or a project not applied within `drain`, has no latency to report but must not flatter
    # the percentiles: each counts as infinitely late.
    e2e = [(applied[i] - received) * 1000 if i in applied else math.inf for i, received, _ in created]
    e2e += [math.inf] * len(failures)
    if failures:
        print(f"  {len(failures)} of {sent} creates failed, e.g. {failures[0]}", flush=True)
    return {"e2e_ms": summary(e2e), "post_ms": summary([c[2] for c in created]), "sent": sent,
            "failed": len(failures), "missing": len(ids) - len(applied), "achieved_per_s": achieved}


async def count_rows(url: str, table: str, where: str = "true") -> int:
    conn = await connect(url)
    try:
        return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {where}")
    finally:
        await conn.close()


async def applied_count(reports_url: str) -> int:
    """Projects reports has applied an event of (a row can exist as a stub before that)."""
    return await count_rows(reports_url, "project_view", "applied_at IS NOT NULL")


async def catch_up(registry_url: str, reports_url: str, *, since: float, timeout: float) -> tuple[int, float, int]:
    """After a load: wait (bounded) for reports to hold every registry project; (applied, seconds since `since`, behind)."""
    deadline = time.monotonic() + timeout
    while True:
        total, applied = await count_rows(registry_url, "projects"), await applied_count(reports_url)
        if applied >= total or time.monotonic() > deadline:
            return applied, time.monotonic() - since, total - applied
        await asyncio.sleep(0.25)
