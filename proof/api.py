"""The platform as the proof tools see it from outside: the four services' URLs, an admin token, paged reads."""
import os
from dataclasses import dataclass
from datetime import timedelta

import httpx

from kit.auth import mint
from kit.settings import DEV_JWT_SECRET

SERVICES = {"registry": 8001, "milestones": 8002, "alerts": 8003, "reports": 8004}
ADMIN_SCOPES = ["admin"]


@dataclass(frozen=True)
class Platform:
    """Where each service answers (make run's ports unless KP_<SERVICE>_URL says otherwise) and the token to use
    (KP_TOKEN, else one minted with KP_JWT_SECRET - the development secret under make run)."""

    urls: dict[str, str]
    token: str

    @classmethod
    def from_environment(cls) -> "Platform":
        urls = {name: os.environ.get(f"KP_{name.upper()}_URL", f"http://127.0.0.1:{port}")
                for name, port in SERVICES.items()}
        token = os.environ.get("KP_TOKEN") or mint(secret=os.environ.get("KP_JWT_SECRET", DEV_JWT_SECRET),
                                                   subject="proof", scopes=ADMIN_SCOPES, ttl=timedelta(hours=4))
        return cls(urls, token)

    def client(self, service: str, *, token: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.urls[service], timeout=60,
                                 headers={"Authorization": f"Bearer {token or self.token}"})


async def ok(response: httpx.Response, *expected: int) -> dict | list:
    """The response's JSON; a clear error naming the request when its status is not one expected (200 by default)."""
    if response.status_code not in (expected or (200,)):
        raise RuntimeError(f"{response.request.method} {response.request.url} -> {response.status_code}: "
                           f"{response.text[:500]}")
    return response.json() if response.content else {}


async def every(client: httpx.AsyncClient, path: str, **params) -> list[dict]:
    """Every item of a paged list (next_cursor), 500 at a time."""
    items, cursor = [], None
    while True:
        page = await ok(await client.get(path, params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
