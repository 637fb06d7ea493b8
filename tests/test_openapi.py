"""Each service's OpenAPI document is a valid OpenAPI 3 document (openapi-spec-validator), as the running service
serves it: operation ids unique, every reference resolvable."""
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
