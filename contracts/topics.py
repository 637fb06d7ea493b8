"""One topic per producing service; keys are project ids (unit ids for unit events)."""
REGISTRY = "keyproject.registry"
MILESTONES = "keyproject.milestones"
ALERTS = "keyproject.alerts"


# The service that alone publishes on each topic: an event's `source` names it as its last path segment
# (`/keyproject/registry`, or `/keyproject/<deployment>/registry` for another deployment's).
PRODUCERS = {REGISTRY: "registry", MILESTONES: "milestones", ALERTS: "alerts"}
# What each service consumes (its consumer group is keyproject.<service>).
CONSUMERS = {"milestones": [REGISTRY], "alerts": [REGISTRY, MILESTONES], "reports": [REGISTRY, MILESTONES, ALERTS]}


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"


def from_its_producer(topic: str, source: str) -> bool:
    """Whether an event on `topic` says it comes from the topic's producer (topics without one: any source)."""
    producer = PRODUCERS.get(topic)
    return producer is None or source.rstrip("/").rpartition("/")[2] == producer
