"""Read what a service published: decode a topic's CloudEvents and wait for one of a given type and subject."""
import asyncio
import time

from contracts.catalog import CATALOG
from contracts.envelope import EventData, decode
from tests.support.kafka import read_topic


class EventLog:
    """One topic's events as contract models, read from the broker (not from the producer's database)."""

    def __init__(self, bootstrap: str, topic: str, *, distinct: bool = False):
        """`distinct`: count each event id once, as an inbox-deduplicating consumer sees them (a relay re-feed or
        a producer retry may put the same event on the topic twice)."""
        self.bootstrap = bootstrap
        self.topic = topic
        self.distinct = distinct

    async def all(self, model: type[EventData], *, subject: str | None = None) -> list:
        found, seen = [], set()
        for record in await read_topic(self.bootstrap, self.topic):
            try:
                event, data = decode(record.value, CATALOG)
            except ValueError:
                continue
            if self.distinct and event.id in seen:
                continue
            seen.add(event.id)
            if event.type == model.type and (subject is None or event.subject == subject):
                found.append(data)
        return found

    async def wait_for(self, model: type[EventData], *, subject: str, count: int = 1, timeout: float = 15.0):
        """The latest of `count` events of this type about `subject`, once that many were published."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self.all(model, subject=subject)
            if len(found) >= count:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} {model.type} for {subject} after {timeout}s")
            await asyncio.sleep(0.1)
