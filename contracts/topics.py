"""One topic per producing service; keys are project ids (unit ids for unit events).

The names below are a deployment's with the default prefix; a deployment that shares its broker with others (a city
reading its districts' events) names its topics with its own prefix (KP_TOPIC_PREFIX): `<prefix>.registry`."""
DEFAULT_PREFIX = "keyproject"
REGISTRY = "keyproject.registry"
MILESTONES = "keyproject.milestones"
ALERTS = "keyproject.alerts"


# The service that alone publishes on each topic: an event's `source` names it as its last path segment
# (`/keyproject/registry`, or `/keyproject/<deployment>/registry` for another deployment's).
PRODUCERS = {REGISTRY: "registry", MILESTONES: "milestones", ALERTS: "alerts"}
# What each service consumes (its consumer group is keyproject.<service>).
CONSUMERS = {"milestones": [REGISTRY], "alerts": [REGISTRY, MILESTONES], "reports": [REGISTRY, MILESTONES, ALERTS]}


def named(topic: str, prefix: str) -> str:
    """A topic's name in a deployment whose topics carry `prefix` (e.g. keyproject.330102.registry)."""
    return prefix + topic.removeprefix(DEFAULT_PREFIX)


def producer_of(topic: str) -> str | None:
    """The service that alone publishes on a topic, whatever its prefix (None for dead-letter topics)."""
    return PRODUCERS.get(DEFAULT_PREFIX + "." + topic.rpartition(".")[2])


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"


def from_its_producer(topic: str, source: str, deployment: str | None = None) -> bool:
    """Whether an event on `topic` says it comes from the topic's producer (topics without one: any source) and, when
    the topic is known to be one deployment's, from that deployment (`source` is `<deployment>/<producer>`)."""
    producer = producer_of(topic)
    if producer is None:
        return True
    if deployment is not None:
        return source == f"{deployment}/{producer}"
    return source.rstrip("/").rpartition("/")[2] == producer
