"""Events as any standard client reads them: real messages off the broker carry the CloudEvents Kafka binding's
structured-mode header, parse with the official CloudEvents Python SDK, and validate against the CloudEvents 1.0 JSON
format's schema as well as the platform's own envelope schema."""
import json
from pathlib import Path

import jsonschema
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka, from_structured
from cloudevents.core.formats.json import JSONFormat

from contracts import topics
from contracts.envelope import CONTENT_TYPE, SCHEMA_BASE
from tests.support.api import client, eventually
from tests.support.factories import create_project, create_unit
from tests.support.kafka import read_topic

HERE = Path(__file__).parent
OFFICIAL = json.loads((HERE / "cloudevents-1.0.schema.json").read_text())
ENVELOPE = json.loads((HERE.parents[1] / "contracts" / "schemas" / "cloudevent.json").read_text())


async def test_real_messages_parse_with_the_cloudevents_sdk_and_validate_against_the_official_schema(
        platform, registry):
    unit = await create_unit(registry)
    project = await create_project(registry, unit["id"])
    found = []

    async def published():
        found[:] = [r for r in await read_topic(platform.broker.bootstrap, topics.REGISTRY)
                    if r.key in (project["id"].encode(), unit["id"].encode())]
        return len(found) >= 2

    await eventually(published, timeout=60, what="the unit's and the project's events on the broker")
    official = jsonschema.Draft7Validator(OFFICIAL, format_checker=jsonschema.FormatChecker())
    ours = jsonschema.Draft202012Validator(ENVELOPE, format_checker=jsonschema.FormatChecker())
    for record in found:
        headers = {key: value for key, value in record.headers}
        assert headers["content-type"] == CONTENT_TYPE.encode()
        message = KafkaMessage(headers=headers, key=record.key, value=record.value)
        event = from_structured(message, JSONFormat())
        raw = json.loads(record.value)
        assert event.get_attributes()["id"] == raw["id"] and event.get_attributes()["type"] == raw["type"]
        assert event.get_attributes()["source"] == "/keyproject/registry"
        assert event.get_attributes()["subject"] == record.key.decode()
        assert event.get_data() == raw["data"]
        # the SDK's own mode detection picks structured mode from the header (no ce_ headers)
        assert from_kafka(message, JSONFormat()).get_attributes()["id"] == raw["id"]
        assert list(official.iter_errors(raw)) == []
        assert list(ours.iter_errors(raw)) == []
        # dataschema names the type's JSON Schema (its $id), which the producer serves at a stable path
        assert raw["dataschema"] == f"{SCHEMA_BASE}{raw['type']}.json"
        served = await registry.get(f"/schemas/{raw['type']}.json")
        assert served.status_code == 200 and served.json()["$id"] == raw["dataschema"]
    assert {json.loads(r.value)["type"] for r in found} >= {"keyproject.registry.unit.created.v1",
                                                             "keyproject.registry.project.registered.v1"}


def test_the_envelope_is_as_strict_as_the_official_schema():
    ours = jsonschema.Draft202012Validator(ENVELOPE)
    official = jsonschema.Draft7Validator(OFFICIAL)
    valid = {"id": "1", "source": "/keyproject/registry", "specversion": "1.0", "type": "t",
             "time": "2026-01-01T00:00:00Z", "subject": "p", "data": {}}
    assert ours.is_valid(valid) and official.is_valid(valid)
    for broken in ({**valid, "id": ""}, {**valid, "source": ""}, {**valid, "type": ""},
                   {k: v for k, v in valid.items() if k != "specversion"}):
        assert not official.is_valid(broken)
        assert not ours.is_valid(broken), broken


@pytest.fixture(scope="module")
def city_registry(platform):
    """A registry of a deployment that names itself (a city's code) in its events' source."""
    with platform.configured("registry", "registry-330100", {"KP_EVENT_SOURCE_PREFIX": "/keyproject/330100"}) as url:
        yield url


async def test_a_deployment_names_itself_in_every_events_source(platform, city_registry):
    async with client(city_registry) as registry:
        unit = await create_unit(registry)
        assert (await registry.get("/schemas/../../kit/settings.py")).status_code == 404
        assert (await registry.get("/schemas/nope.json")).status_code == 404
    found = []

    async def published():
        found[:] = [r for r in await read_topic(platform.broker.bootstrap, topics.REGISTRY)
                    if r.key == unit["id"].encode()]
        return bool(found)

    await eventually(published, timeout=60, what="the city's unit event on the broker")
    event = json.loads(found[0].value)
    assert event["source"] == "/keyproject/330100/registry"
    assert topics.from_its_producer(topics.REGISTRY, event["source"])
