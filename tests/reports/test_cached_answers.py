"""The overview and rankings served from kept answers are never stale: every change to reports' database - a fetch
applied by the live consumer, an event applied one by one, a rebuild, a REST write, on this instance or another -
counts, and the next answer is computed anew; a kept answer is served again only while nothing changed, and for the
same query on the same day.

Each test runs reports in this process on a database of its own (SQLite, or PostgreSQL with TEST_DATABASE_URL), its
consumer on the tests' broker under topics of its own; events reach it through that consumer: as it applies a fetch,
or one by one, or from the broker."""
import contextlib
import uuid
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from contracts import alerts, registry
from contracts.envelope import CloudEvent, new_event
from kit.auth import mint
from services.reports import data_version
from services.reports.answers import KeptAnswers
from services.reports.main import create_app
from services.reports.settings import ReportsSettings
from tests.reports.produced import REGISTRY_SOURCE, TOPICS, Published, task
from tests.support.api import eventually
from tests.support.databases import fresh_database
from tests.support.fetches import apply
from tests.support.kafka import produce_events
from tests.support.metrics import value

TODAY = date(2026, 4, 20)
RANKING = ("/api/v1/rankings", {"year": 2026})


def unit_created(unit_id: str) -> CloudEvent:
    return new_event(registry.UnitCreated(id=unit_id, code=f"C-{unit_id[:4]}", name="缓存镇", kind="town"),
                     subject=unit_id, source=REGISTRY_SOURCE)


def project(unit_id: str) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"C-{uuid.uuid4().hex[:6]}", name="缓存项目", year=2026,
                     level="municipal", category="industry", sector="secondary", total_investment=Decimal(20000),
                     annual_plan_investment=Decimal(1000), bracket="1_10yi", responsible_unit_id=unit_id)


class Reports(NamedTuple):
    app: FastAPI
    http: httpx.AsyncClient  # with an admin's token


@contextlib.asynccontextmanager
async def reports(url: str, bootstrap: str, prefix: str):
    """Reports in this process on `url`, consuming `prefix`'s topics."""
    settings = ReportsSettings(database_url=url, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                               consumer_group=f"{prefix}-{uuid.uuid4().hex[:6]}", auto_snapshots=False,
                               fixed_today=TODAY)
    app = create_app(settings)
    token = mint(secret=settings.jwt_secret.get_secret_value(), subject="office", scopes=["admin"])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reports",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            yield Reports(app, http)


@pytest.fixture
async def instance(bootstrap, tmp_path):
    async with reports(fresh_database("cached", tmp_path), bootstrap, f"cached{uuid.uuid4().hex[:8]}") as found:
        yield found


async def applied(instance: Reports, events: list[CloudEvent], *, batched: bool = True) -> None:
    """The events applied by the instance's own consumer: as it applies a fetch, or each in its own transaction."""
    await apply(instance.app.state.consumer, [events], batched=batched, topic=lambda event: TOPICS[event.source])


async def read(instance: Reports, path: str, params: dict, if_none_match: str | None = None) -> httpx.Response:
    response = await instance.http.get(path, params=params,
                                       headers={"If-None-Match": if_none_match} if if_none_match else {})
    assert response.status_code in (200, 304), response.text
    return response


async def served(instance: Reports, route: str) -> dict[str, float]:
    """How many answers of the route this process has computed and served again (its Prometheus counters)."""
    metrics = (await instance.http.get("/metrics")).text
    return {result: value(metrics, "kp_reports_answers_total", route=route, result=result)
            for result in ("hit", "miss")}


async def test_a_kept_answer_is_served_again_until_the_figures_change(instance):
    unit = str(uuid.uuid4())
    works = project(unit)
    await applied(instance, [unit_created(unit), works.registered(date(2026, 4, 1))])
    before = await served(instance, "rankings")
    first = await read(instance, *RANKING)
    again = await read(instance, *RANKING)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    after = await served(instance, "rankings")
    assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (1, 1)
    # the kept answer's ETag is its body's digest, as any answer's: a conditional read of it is answered 304
    assert (await read(instance, *RANKING, if_none_match=first.headers["etag"])).status_code == 304

    await applied(instance, [works.invested("2026-03", "250")])
    changed = await read(instance, *RANKING, if_none_match=first.headers["etag"])
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert [Decimal(row["ytd_investment"]) for row in changed.json()["items"]] == [250]
    assert (await served(instance, "rankings"))["miss"] - after["miss"] == 1


@pytest.mark.parametrize("batched", [True, False], ids=["a fetch", "one by one"])
async def test_an_event_the_consumer_applies_changes_the_next_answer(instance, batched):
    unit = str(uuid.uuid4())
    works = project(unit)
    await applied(instance, [unit_created(unit), works.registered(date(2026, 4, 1))], batched=batched)
    overview = ("/api/v1/overview", {"year": 2026})
    assert (await read(instance, *overview)).json()["started_count"] == 0
    assert Decimal((await read(instance, *RANKING)).json()["items"][0]["completion_rate"]) == 0

    await applied(instance, [works.moved("completed", date(2026, 4, 10))], batched=batched)
    assert (await read(instance, *overview)).json()["completed_count"] == 1
    assert Decimal((await read(instance, *RANKING)).json()["items"][0]["completion_rate"]) == 1


async def test_a_rest_write_changes_the_next_answer(instance):
    unit = str(uuid.uuid4())
    await applied(instance, [unit_created(unit), project(unit).registered(date(2026, 4, 1))])
    ranking = (await read(instance, *RANKING)).json()
    assert ranking["previous_period"] is None and ranking["weights"]["completion_rate"] == "10"

    weights = {**ranking["weights"], "completion_rate": "50"}
    assert (await instance.http.put("/api/v1/scoring", json={"weights": weights})).status_code == 200
    assert (await read(instance, *RANKING)).json()["weights"]["completion_rate"] == "50"

    assert (await instance.http.post("/api/v1/snapshots", json={"period": "2026-03"})).status_code == 201
    ranking = (await read(instance, *RANKING)).json()
    assert ranking["previous_period"] == "2026-03" and ranking["items"][0]["previous_rank"] is None


async def test_a_change_made_through_another_instance_changes_this_ones_answers(bootstrap, tmp_path):
    url, prefix = fresh_database("cached_shared", tmp_path), f"cached{uuid.uuid4().hex[:8]}"
    async with reports(url, bootstrap, prefix) as one, reports(url, bootstrap, prefix) as other:
        unit = str(uuid.uuid4())
        await applied(other, [unit_created(unit), project(unit).registered(date(2026, 4, 1))])
        kept = await read(one, *RANKING)
        assert len(kept.json()["items"]) == 1
        assert (await read(one, *RANKING)).content == kept.content

        second = str(uuid.uuid4())
        await applied(other, [unit_created(second), project(second).registered(date(2026, 4, 2))])
        assert len((await read(one, *RANKING)).json()["items"]) == 2
        assert (await other.http.put("/api/v1/scoring", json={"weights": {"late_tasks": "-5"}})).status_code == 200
        assert (await read(one, *RANKING)).json()["weights"]["late_tasks"] == "-5"


async def test_a_rebuild_changes_the_next_answer(instance, bootstrap):
    unit = str(uuid.uuid4())
    on_the_broker = [unit_created(unit), project(unit).registered(date(2026, 4, 1))]
    await produce_events(bootstrap, instance.app.state.settings.topic(TOPICS[REGISTRY_SOURCE]), on_the_broker)

    async def consumed():
        return len((await read(instance, *RANKING)).json()["items"]) == 1

    await eventually(consumed, timeout=60, interval=0.2, what="the live consumer's project in the ranking")
    # a project the topics do not hold: the rebuild replays them into empty read models, and it is gone
    await applied(instance, [project(unit).registered(date(2026, 4, 2))])
    assert (await read(instance, *RANKING)).json()["items"][0]["project_count"] == 2

    started = await instance.http.post("/api/v1/admin/rebuild")
    assert started.status_code == 202, started.text

    async def rebuilt():
        run = (await instance.http.get(f"/api/v1/admin/rebuild/{started.json()['id']}")).json()
        assert run["status"] != "failed", run
        return run["status"] == "succeeded"

    await eventually(rebuilt, timeout=120, interval=0.2, what="the rebuild")
    assert (await read(instance, *RANKING)).json()["items"][0]["project_count"] == 1


async def test_a_kept_answer_is_the_days_and_the_querys(instance):
    unit = str(uuid.uuid4())
    works = project(unit)
    await applied(instance, [unit_created(unit), works.registered(date(2026, 4, 1)),
                             task(alerts.TaskOpened, f"cached-{unit}", unit, project_id=works.id,
                                  deadline=date(2026, 4, 25), status_="open", opened_on=date(2026, 4, 2),
                                  on=date(2026, 4, 2))])
    assert (await read(instance, *RANKING)).json()["items"][0]["late_tasks"] == 0
    # the clock moves past the task's deadline: nothing was written, yet today's answer is another
    instance.app.state.settings.fixed_today = date(2026, 4, 26)
    assert (await read(instance, *RANKING)).json()["items"][0]["late_tasks"] == 1
    by_late = (await read(instance, "/api/v1/rankings", {"year": 2026, "metric": "late_tasks"})).json()
    assert by_late["metric"] == "late_tasks" and by_late["items"][0]["value"] == 1


async def test_every_transaction_that_changes_the_database_counts_once(instance):
    sessionmaker = instance.app.state.sessionmaker

    async def count() -> int:
        async with sessionmaker() as session:
            return await data_version.current(session)

    start = await count()
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SELECT count(*) FROM project_view"))
    assert await count() == start  # reading changes nothing
    async with sessionmaker() as session, session.begin():
        for n in range(3):
            await session.execute(text("INSERT INTO round_view (id, period, year, deadline) "
                                       "VALUES (:id, '2026-03', 2026, :day)"), {"id": f"r{n}", "day": TODAY})
    assert await count() == start + 1  # one transaction, however many statements
    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            await session.execute(text("DELETE FROM round_view"))
            raise RuntimeError("rolled back")
    assert await count() == start + 1  # nothing committed, nothing counted


async def test_a_kept_answer_is_served_before_routing_only_to_a_reader(instance):
    """The kept answer is served ahead of the route (reaching it fails here), as the route serves it, with the route's
    metrics label; a caller without `reports:read`, a query not answered before and a change since go on to the
    route, which refuses or computes as always."""
    unit = str(uuid.uuid4())
    await applied(instance, [unit_created(unit), project(unit).registered(date(2026, 4, 1))])
    routed = await read(instance, *RANKING)

    async def route(_scope, _receive, _send):
        raise LookupError("the route was reached")

    fast = KeptAnswers(route)

    async def entry(scope, receive, send):
        await fast({**scope, "app": instance.app}, receive, send)

    secret = instance.app.state.settings.jwt_secret.get_secret_value()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=entry), base_url="http://reports") as http:
        async def get(scopes: list[str] | None, params: dict = RANKING[1]) -> httpx.Response:
            token = {"Authorization": f"Bearer {mint(secret=secret, subject='u', scopes=scopes)}"} if scopes else {}
            return await http.get(RANKING[0], params=params, headers=token)

        for scopes in (["reports:read"], ["admin"]):
            kept = await get(scopes)
            assert (kept.status_code, kept.content, kept.headers["etag"]) == (200, routed.content,
                                                                              routed.headers["etag"])
            assert kept.headers["content-type"] == routed.headers["content-type"]
        for scopes, params in ((None, RANKING[1]), (["registry:read"], RANKING[1]),
                               (["reports:read"], {"year": 2026, "group": "town"}),
                               (["reports:read"], {"year": "not a year"})):
            with pytest.raises(LookupError):
                await get(scopes, params)
        async with instance.app.state.sessionmaker() as session:  # any change: the kept answer is not served
            await session.execute(text("UPDATE unit_view SET name = name"))
            await session.commit()
        with pytest.raises(LookupError):
            await get(["reports:read"])

    # through the whole app, whose innermost middleware it is: refused as the route refuses, counted under the route
    assert instance.app.user_middleware[-1].cls is KeptAnswers
    refused = await instance.http.get(RANKING[0], params=RANKING[1], headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    await read(instance, *RANKING)
    before = await served(instance, "rankings")
    metrics = (await instance.http.get("/metrics")).text
    requests = value(metrics, "kp_http_requests_total", route="/api/v1/rankings", status="200")
    assert (await read(instance, *RANKING)).content == (await read(instance, *RANKING)).content
    metrics = (await instance.http.get("/metrics")).text
    assert value(metrics, "kp_http_requests_total", route="/api/v1/rankings", status="200") - requests == 2
    assert (await served(instance, "rankings"))["hit"] - before["hit"] == 2
