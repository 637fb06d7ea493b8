"""A request that finds the database away answers 503 problem+json with Retry-After, and changes nothing."""
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.envelope import EventData
from kit import errors
from kit.outbox import stage
from kit.tables import outbox
from tests.kit.outages import database_outage


class Probe(EventData):
    type = "keyproject.tests.unavailable.v1"
    topic = "keyproject.tests.unavailable"
    marker: str


def app_writing_the_outbox(sessionmaker) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.post("/write")
    async def write():
        async with sessionmaker() as session:
            await stage(session, Probe(marker="x"), subject="key", source="/tests")
            await session.commit()
        return {"ok": True}

    return app


async def test_a_request_while_the_database_is_away_is_503_and_changes_nothing(plumbing):
    url, sessionmaker = plumbing
    transport = httpx.ASGITransport(app=app_writing_the_outbox(sessionmaker), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        async with database_outage(url):
            response = await http.post("/write")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"].endswith("/database-unavailable")
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(outbox)) == 0

        assert (await http.post("/write")).status_code == 200  # the database is back: the next request goes through
