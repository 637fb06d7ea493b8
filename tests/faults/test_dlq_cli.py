"""`python -m kit.cli dlq list|replay`: an operator sees what a dead-letter topic holds (where, which consumer, why,
which event) and sends a dead letter back to its topic once the cause is fixed; the consumers apply it then."""
import os
import subprocess
import sys
import uuid

from contracts import topics
from tests.support.api import eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce
from contracts.envelope import encode


def _cli(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KP_")}, "KP_KAFKA_BOOTSTRAP": bootstrap}
    return subprocess.run([sys.executable, "-m", "kit.cli", "dlq", *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def test_a_dead_letter_is_listed_and_replayed_to_its_consumers(platform, milestones):
    event = project_registered(f"unit-{uuid.uuid4().hex[:8]}")
    reason = "handler failed: the project's unit was unknown (fixed since)"
    await produce(platform.broker.bootstrap, topics.dead_letter(topics.REGISTRY), [(event.subject.encode(),
                                                                                      encode(event))],
                  headers=[("error", reason.encode()), ("source_topic", topics.REGISTRY.encode()),
                           ("source_partition", b"0"), ("source_offset", b"7"),
                           ("consumer_group", b"keyproject.milestones"), ("service", b"milestones"),
                           ("dead_letter_kind", b"whole"), ("content-type", b"application/cloudevents+json")])
    listed = _cli(platform.broker.bootstrap, "list", "--topic", topics.dead_letter(topics.REGISTRY))
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if event.id in line]
    ref, _, service, group, kind, event_type, event_id, why = line.split("\t")
    assert (service, group, kind, event_type, event_id, why) == (
        "milestones", "keyproject.milestones", "whole", "keyproject.registry.project.registered.v1", event.id, reason)
    assert ref.startswith(f"{topics.dead_letter(topics.REGISTRY)}:")

    assert (await milestones.get(f"/api/v1/projects/{event.subject}/milestones")).status_code == 404
    replayed = _cli(platform.broker.bootstrap, "replay", ref)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.strip() == f"{ref} -> {topics.REGISTRY} ({event.id})"

    async def applied():
        return (await milestones.get(f"/api/v1/projects/{event.subject}/milestones")).status_code == 200

    await eventually(applied, timeout=60, what="the replayed event applied by milestones")
    missing = _cli(platform.broker.bootstrap, "replay", f"{topics.dead_letter(topics.REGISTRY)}:0:999999")
    assert missing.returncode != 0 and "no dead letter" in missing.stderr


async def test_each_consumer_keeps_a_copy_it_can_list_and_replay_from_its_database(platform):
    """The embedded broker forgets its topics on a restart: the consumer's own database keeps what it dead-lettered.
    An event claiming another producer is refused by milestones; its copy is listed from the database and replayed
    from there to its topic, where it is refused again (the cause is not fixed): a second copy."""
    event = project_registered(f"unit-{uuid.uuid4().hex[:8]}")
    foreign = event.model_copy(update={"source": "/keyproject/alerts"})
    await produce(platform.broker.bootstrap, topics.REGISTRY, [(event.subject.encode(), encode(foreign))],
                  headers=[("content-type", b"application/cloudevents+json")])
    database = platform.services["milestones"].env["KP_DATABASE_URL"]

    def copies() -> list[list[str]]:
        listed = _cli(platform.broker.bootstrap, "list", "--database", database)
        assert listed.returncode == 0, listed.stderr
        return [line.split("\t") for line in listed.stdout.splitlines() if event.id in line]

    async def kept(count: int):
        return len(copies()) == count

    await eventually(lambda: kept(1), timeout=60, what="the copy in milestones' database")
    [[ref, _, service, group, kind, event_type, _, why]] = copies()
    assert ref.startswith("db:") and (service, group, kind, event_type) == (
        "milestones", "keyproject.milestones", "whole", "keyproject.registry.project.registered.v1")
    assert "is not the producer" in why
    replayed = _cli(platform.broker.bootstrap, "replay", ref, "--database", database)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.strip() == f"{ref} -> {topics.REGISTRY} ({event.id})"
    await eventually(lambda: kept(2), timeout=60, what="the replayed event refused again")
    unknown = _cli(platform.broker.bootstrap, "replay", "db:99999999", "--database", database)
    assert unknown.returncode != 0 and "no dead letter db:99999999" in unknown.stderr
