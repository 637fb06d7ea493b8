"""Every event type the platform knows, by its versioned type name."""
from contracts.envelope import EventData
from contracts.registry import ProjectRegistered, UnitCreated

EVENTS: tuple[type[EventData], ...] = (
    UnitCreated,
    ProjectRegistered,
)

CATALOG: dict[str, type[EventData]] = {model.type: model for model in EVENTS}
