"""One entry point: the four services' APIs, docs and OpenAPI documents through the web process's address, with the
links the services write (Location, OpenAPI servers, the docs' assets) naming that address."""
import re

import pytest

from kit.broker import free_port
from kit.processes import ServiceProcess
from tests.support.api import client
from tests.support.factories import project_body, unit_body
from tests.support.platform import JWT_SECRET

SERVICES = ("registry", "milestones", "alerts", "reports")


@pytest.fixture(scope="module")
def entry(platform, tmp_path_factory):
    web = ServiceProcess("web", port=free_port(), app="web.main:app",
                         log_path=tmp_path_factory.mktemp("gateway") / "web.log",
                         env={"KP_ENV": "dev", "KP_JWT_SECRET": JWT_SECRET,
                              **{f"KP_{name.upper()}_URL": platform.url(name) for name in SERVICES}})
    web.start()
    try:
        yield web.url
    finally:
        web.stop()


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_answers_under_its_name_with_its_servers_and_docs_there(entry, service):
    async with client(entry, auth=False) as http:
        document = await http.get(f"/{service}/openapi.json")
        assert document.status_code == 200 and document.json()["servers"] == [{"url": f"/{service}"}]
        for page in ("docs", "redoc"):
            html = (await http.get(f"/{service}/{page}")).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets and all(f"/{service}/docs/assets/" in a for a in assets), assets
            for asset in assets:
                assert (await http.get(asset)).status_code == 200, asset
            assert f"/{service}/openapi.json" in html
        assert (await http.get(f"/{service}/healthz")).json()["status"] == "ok"


async def test_a_write_through_the_entry_point_answers_with_its_address(entry):
    async with client(entry) as http:
        unit = await http.post("/registry/api/v1/units", json=unit_body())
        assert unit.status_code == 201, unit.text
        created = await http.post("/registry/api/v1/projects", json=project_body(unit.json()["id"]))
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        assert location == f"{entry}/registry/api/v1/projects/{created.json()['id']}"
        read = await http.get(location)
        assert read.status_code == 200 and read.headers["ETag"] == created.headers["ETag"] == '"1"'
        assert (await http.get(location, headers={"If-None-Match": '"1"'})).status_code == 304
        refused = await http.patch(location, json={"name": "改名"})
        assert refused.status_code == 428 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["instance"] == f"/registry/api/v1/projects/{created.json()['id']}"
        # the two services that both answer GET /api/v1/projects, each under its own name
        assert "items" in (await http.get("/registry/api/v1/projects", params={"limit": 1})).json()
        assert (await http.get("/reports/api/v1/projects", params={"limit": 1})).status_code == 200
    async with client(entry, auth=False) as anonymous:
        assert (await anonymous.get("/alerts/api/v1/tasks")).status_code == 401
        assert (await anonymous.get("/nowhere/api/v1/tasks")).status_code == 404
