"""Registry writes besides creates, as wrk targets: investment upserts and stage transitions on projects created
through the API first. Each target's requests cycle (bench/load.py), so a load may run as long as it likes:

- upserts: PUT /projects/{id}/investments/{YYYY-MM} for every month of the projects' year up to this one, a month
  of every project in turn; each amount is the request's number, so every upsert records (a new month, or a
  correction) and none is the "same figure again" no-op;
- transitions: POST /projects/{id}/transitions planning -> signed -> land_supplied -> started -> completed ->
  in_operation dated 150 to 30 days before `today`, then back to planning (admin, with a reason) for the next round;
  one step of every project in turn, so a project's next step is sent only after all the others' (hundreds of
  requests later, with tens in flight).
"""
import asyncio
import dataclasses
import json
import time
from datetime import date, timedelta

from bench.bodies import SEQ, project_body
from bench.client import Pool, dumps
from bench.latency import count_rows
from bench.load import PATH, Request, Target

FORWARD = ("signed", "land_supplied", "started", "completed", "in_operation")


async def seed_projects(target: Target, count: int, *, connections: int = 8) -> list[str]:
    """`count` projects of the target's unit, created through the API; their ids."""
    pool = Pool(target.url, target.headers, size=connections)

    async def create(i: int) -> str:
        status, body = await pool.send("POST", PATH, dumps(project_body(target.unit_id, code=f"S{i:06d}")))
        if status != 201:
            raise RuntimeError(f"seeding a project answered {status}: {body[:500]!r}")
        return json.loads(body)["id"]

    try:
        return list(await asyncio.gather(*(create(i) for i in range(count))))
    finally:
        await pool.close()


def upserts(target: Target, ids: list[str], today: date) -> Target:
    year = project_body(target.unit_id)["year"]
    periods = [f"{year}-{m:02d}" for m in range(1, 13) if (year, m) <= (today.year, today.month)]
    body = dumps({"amount": SEQ}).decode()
    return dataclasses.replace(target, name="registry investment upserts", requests=[
        Request("PUT", f"{PATH}/{i}/investments/{period}", body) for period in periods for i in ids])


def transitions(target: Target, ids: list[str], today: date) -> Target:
    steps = [{"to_stage": stage, "date": (today - timedelta(days=30 * (len(FORWARD) - n))).isoformat()}
             for n, stage in enumerate(FORWARD)]
    steps.append({"to_stage": "planning", "date": today.isoformat(), "reason": "bench: the next round"})
    return dataclasses.replace(target, name="registry stage transitions", requests=[
        Request("POST", f"{PATH}/{i}/transitions", dumps(step).decode()) for step in steps for i in ids])


async def settle(registry_url: str, reports_url: str, *, timeout: float) -> float:
    """Wait (bounded) until reports has applied as many events as the registry staged (reports handles every kind
    the registry sends here), so the next measurement does not share the machine with a backlog; seconds waited."""
    started = time.monotonic()
    while (await count_rows(reports_url, "inbox") < await count_rows(registry_url, "outbox")
           and time.monotonic() - started < timeout):
        await asyncio.sleep(0.25)
    return time.monotonic() - started
