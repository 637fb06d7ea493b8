"""The four services as the signed-in user reaches them: their REST APIs with the user's token. A refusal is shown
to the user in the service's own words (its RFC 9457 problem)."""
import contextlib
from collections.abc import AsyncIterator

import httpx

from web.session import User

SERVICES = ("registry", "milestones", "alerts", "reports")


class ServiceRefused(Exception):
    def __init__(self, status: int, title: str, detail: str, errors: list | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or []


class Services:
    def __init__(self, clients: dict[str, httpx.AsyncClient]):
        self.c = clients

    async def call(self, service: str, method: str, path: str, **kwargs):
        response = await self.c[service].request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ServiceRefused(response.status_code, problem.get("title", "请求未成功"),
                                 problem.get("detail", response.text[:300]), problem.get("errors"))
        return response.json() if response.headers.get("content-type", "").startswith("application/json") \
            else response

    async def get(self, service: str, path: str, **params):
        return await self.call(service, "GET", path, params=params)

    async def items(self, service: str, path: str, **params) -> list[dict]:
        """Every item of a paged list."""
        found, cursor = [], None
        while True:
            page = await self.get(service, path, limit=500, **params, **({"cursor": cursor} if cursor else {}))
            found += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return found


@contextlib.asynccontextmanager
async def services(settings, user: User | None = None, token: str | None = None) -> AsyncIterator[Services]:
    headers = {"Authorization": f"Bearer {token or user.token}", "Accept-Language": "zh-CN"}
    clients = {name: httpx.AsyncClient(base_url=settings.url(name), headers=headers, timeout=30)
               for name in SERVICES}
    try:
        yield Services(clients)
    finally:
        for client in clients.values():
            await client.aclose()
