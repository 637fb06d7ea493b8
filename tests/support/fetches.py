"""Events applied the two ways a consumer applies them: a fetch in one transaction, or one by one."""
from collections.abc import Callable
from types import SimpleNamespace

from contracts.envelope import CloudEvent, encode
from kit.consumer import Consumer


async def apply(consumer: Consumer, fetched: list[list[CloudEvent]], *, batched: bool,
                topic: Callable[[CloudEvent], str]) -> None:
    """Each fetch as the consumer's batch path applies it (asserting it did not fall back to one by one, which would
    hide a fault of the batch), or each of its events in its own transaction."""
    for events in fetched:
        records = [SimpleNamespace(value=encode(event), topic=topic(event)) for event in events]
        if batched:
            assert await consumer._apply_batch(records), "the fetch fell back to one by one"
        else:
            for record in records:
                event, data = consumer._decode(record)
                assert await consumer._apply(consumer.handlers[event.type], event, data)
