"""Each service's OpenAPI document is a valid OpenAPI 3 document (openapi-spec-validator), as the running service
serves it: operation ids unique, every reference resolvable."""
import re

import pytest
from openapi_spec_validator import validate

from tests.support.api import client

SERVICES = ("registry", "milestones", "alerts", "reports")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_openapi_document_is_valid(platform, service):
    async with client(platform.url(service), auth=False) as http:
        document = (await http.get("/openapi.json")).json()
    validate(document)
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values() if "operationId" in op]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("service", SERVICES)
async def test_the_docs_page_loads_nothing_from_outside(platform, service):
    """Government intranets have no internet: every script and stylesheet of /docs comes from the service itself."""
    async with client(platform.url(service), auth=False) as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and not [a for a in assets if re.match(r"^(https?:)?//", a) and platform.url(service) not in a]
        for asset in assets:
            fetched = await http.get(asset)
            assert fetched.status_code == 200 and fetched.content, asset
        bundle = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
        assert len((await http.get(bundle)).content) > 1_000_000  # the whole Swagger UI, not a loader
        assert "/openapi.json" in page.text
