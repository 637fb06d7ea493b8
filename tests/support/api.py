"""The one HTTP client helper for tests, and polling until the event-driven side catches up."""
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx

from kit.auth import mint
from tests.support.platform import JWT_SECRET


def token(*scopes: str, unit_id: str | None = None) -> str:
    return mint(secret=JWT_SECRET, subject="tests", scopes=list(scopes or ["admin"]), unit_id=unit_id,
                ttl=timedelta(hours=2))


def client(base_url: str, *scopes: str, unit_id: str | None = None, auth: bool = True) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token(*scopes, unit_id=unit_id)}"} if auth else {}
    return httpx.AsyncClient(base_url=f"{base_url}", headers=headers, timeout=30)


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 15.0, interval: float = 0.05,
                     what: str = "condition") -> None:
    """Poll `check` until it is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:  # a check that hangs (a dead connection) fails here too, not at the test's timeout
            if await asyncio.wait_for(check(), max(deadline - time.monotonic(), 1.0)):
                return
        except TimeoutError:
            raise AssertionError(f"{what}: the check itself did not answer within {timeout}s") from None
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(interval)
