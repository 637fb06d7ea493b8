"""Messages a consumer cannot process go to the dead-letter topic with the reason; the consumer goes on."""
import asyncio
import uuid
from decimal import Decimal

import orjson
import pytest

from contracts import topics
from contracts.envelope import encode
from contracts.registry import ProjectRegistered
from tests.support.api import client, eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce, read_topic, wait_for_topic
from tests.support.metrics import metric

pytestmark = pytest.mark.timeout(300)  # a bound for a loaded machine; ~20 s when not

DLQ = topics.dead_letter(topics.REGISTRY)
UNKNOWN_TYPE = "keyproject.registry.project.registered.v99"


async def test_bad_messages_are_dead_lettered_with_the_reason_and_the_stream_goes_on(own_platform):
    platform = own_platform
    bootstrap = platform.broker.bootstrap
    await asyncio.to_thread(platform.start_service, "reports")
    await wait_for_topic(bootstrap, topics.REGISTRY, partition_count=6)

    unit_id = str(uuid.uuid4())
    valid = project_registered(unit_id, total_investment=Decimal("7.5"), bracket="lt_1yi")
    garbage = b"\x00\xff not json at all {"
    unknown = {**project_registered(unit_id).model_dump(mode="json"), "type": UNKNOWN_TYPE}
    invalid = project_registered(unit_id).model_dump(mode="json")
    invalid["data"]["total_investment"] = "-5"
    del invalid["data"]["code"]
    bad = [garbage, orjson.dumps(unknown), orjson.dumps(invalid)]
    # One key, so one partition: the valid event is queued behind the three bad ones.
    key = valid.subject.encode()
    await produce(bootstrap, topics.REGISTRY, [(key, value) for value in bad] + [(key, encode(valid))])

    async with client(platform.url("reports"), "reports:read") as reports:
        async def applied():
            overview = (await reports.get("/api/v1/overview", params={"unit_id": unit_id})).json()
            return overview["project_count"] == 1

        await eventually(applied, timeout=120, interval=0.2, what="the valid event after the bad ones applied")
        overview = (await reports.get("/api/v1/overview", params={"unit_id": unit_id})).json()
        assert Decimal(overview["total_investment"]) == Decimal("7.5")

    dead = await read_topic(bootstrap, DLQ)
    assert [r.value for r in dead] == bad, "each bad message, and only those, dead-lettered once, in order"
    reasons = []
    for record in dead:
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["source_topic"] == topics.REGISTRY
        assert record.key == key
        reasons.append(headers["error"])
    assert reasons[0].startswith("not a CloudEvent"), reasons[0]
    assert reasons[1] == f"unknown event type or version: {UNKNOWN_TYPE}", reasons[1]
    assert reasons[2].startswith(f"{ProjectRegistered.type} payload invalid"), reasons[2]
    assert "total_investment" in reasons[2] and "code" in reasons[2], reasons[2]
    assert await metric(platform.url("reports"), "kp_events_dead_lettered_total", service="reports", topic=DLQ) == 3


async def test_a_message_too_large_to_dead_letter_whole_is_referenced_and_the_stream_goes_on(own_platform):
    """Seen: an undecodable 1 MB+ message could not be dead-lettered (the producer's 1 MB limit); the consumer
    restarted for ever as if the broker were down, and every later event of its partition was lost."""
    platform = own_platform
    bootstrap = platform.broker.bootstrap
    await asyncio.to_thread(platform.start_service, "reports")
    await wait_for_topic(bootstrap, topics.REGISTRY, partition_count=6)
    unit_id = str(uuid.uuid4())
    valid = project_registered(unit_id)
    key = valid.subject.encode()
    pill = b"{" + b"x" * (3 << 19)  # 1.5 MiB, not JSON
    await produce(bootstrap, topics.REGISTRY, [(key, pill), (key, encode(valid))], max_request_size=4 << 20)

    async with client(platform.url("reports"), "reports:read") as reports:
        async def applied():
            overview = (await reports.get("/api/v1/overview", params={"unit_id": unit_id})).json()
            return overview["project_count"] == 1

        await eventually(applied, timeout=120, interval=0.2, what="the event behind the poison pill applied")

    [reference] = [r for r in await read_topic(bootstrap, DLQ) if r.key == key]
    headers = {name: value.decode() for name, value in reference.headers}
    assert headers["dead_letter_kind"] == "reference"
    assert (headers["consumer_group"], headers["service"]) == ("keyproject.reports", "reports")
    body = orjson.loads(reference.value)
    assert body["size"] == len(pill) and body["topic"] == topics.REGISTRY
    assert "KP_MAX_EVENT_BYTES" in body["reason"]


async def test_an_event_claiming_another_producer_is_dead_lettered(own_platform):
    """Seen: anyone who could reach the broker published events the services applied. An event on the registry's
    topic must say it comes from the registry."""
    platform = own_platform
    bootstrap = platform.broker.bootstrap
    await asyncio.to_thread(platform.start_service, "reports")
    await wait_for_topic(bootstrap, topics.REGISTRY, partition_count=6)
    unit_id = str(uuid.uuid4())
    forged = project_registered(unit_id).model_copy(update={"source": "/keyproject/alerts"})
    valid = project_registered(unit_id)
    await produce(bootstrap, topics.REGISTRY, [(valid.subject.encode(), encode(forged)),
                                               (valid.subject.encode(), encode(valid))])
    async with client(platform.url("reports"), "reports:read") as reports:
        async def listed() -> set[str]:
            items = (await reports.get("/api/v1/projects", params={"unit_id": unit_id})).json()["items"]
            return {p["id"] for p in items}

        async def applied():
            return valid.subject in await listed()

        await eventually(applied, timeout=120, interval=0.2, what="the genuine event applied")
        assert await listed() == {valid.subject}  # the forged one, before it on the partition, was not applied
    [dead] = [r for r in await read_topic(bootstrap, DLQ) if r.key == valid.subject.encode()]
    assert "is not the producer of keyproject.registry" in dict(dead.headers)["error"].decode()


def test_a_source_names_its_producer_as_its_last_segment():
    from contracts.topics import from_its_producer

    assert from_its_producer(topics.REGISTRY, "/keyproject/registry")
    assert from_its_producer(topics.REGISTRY, "/keyproject/city-3301/registry")
    assert not from_its_producer(topics.REGISTRY, "/keyproject/alerts")
    assert not from_its_producer(topics.ALERTS, "tests")
    assert from_its_producer("some.other.topic", "anything")
