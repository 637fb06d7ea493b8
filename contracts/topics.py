"""One topic per producing service; keys are project ids (unit ids for unit events)."""
REGISTRY = "keyproject.registry"
MILESTONES = "keyproject.milestones"
ALERTS = "keyproject.alerts"


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"
