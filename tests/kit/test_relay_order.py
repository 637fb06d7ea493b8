"""Per-key order: events of one key staged in separate transactions reach that key's partition in staging order."""
import uuid
from collections import defaultdict

import orjson
import pytest

from tests.kit.test_relay_faults import relay_settings, running_relay, stage_probes, unpublished
from tests.support.api import eventually
from tests.support.kafka import read_topic

pytestmark = pytest.mark.timeout(180)

KEYS = [f"project-{i}" for i in range(6)]
PER_KEY = 40


async def test_events_of_one_key_reach_its_partition_in_staging_order(plumbing, broker):
    url, sessionmaker = plumbing
    topic = f"keyproject.tests.order.{uuid.uuid4().hex[:10]}"
    # Small batches, so the stream is published over many passes while it is being staged.
    settings = relay_settings(url, broker.bootstrap, kafka_partitions=3, relay_batch_size=7, relay_poll_seconds=0.2)
    async with running_relay(settings, sessionmaker, topic) as task:
        for n in range(PER_KEY):
            for key in KEYS:  # the keys interleaved, one transaction per event
                await stage_probes(sessionmaker, topic, f"{key}#{n}", key=key)

        async def all_published() -> bool:
            return await unpublished(sessionmaker) == 0

        await eventually(all_published, timeout=60, what="every staged event published")
        assert not task.done(), f"the relay died: {task.exception()!r}"

    by_key: dict[str, list[str]] = defaultdict(list)
    partitions_of_key: dict[str, set[int]] = defaultdict(set)
    for record in await read_topic(broker.bootstrap, topic):  # sorted by partition, then offset
        key = record.key.decode()
        by_key[key].append(orjson.loads(record.value)["data"]["marker"])
        partitions_of_key[key].add(record.partition)
    assert sorted(by_key) == sorted(KEYS)
    for key in KEYS:
        assert len(partitions_of_key[key]) == 1, f"{key} is spread over partitions {partitions_of_key[key]}"
        assert by_key[key] == [f"{key}#{n}" for n in range(PER_KEY)], f"{key} arrived out of staging order"
