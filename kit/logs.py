"""One JSON object per log line (KP_LOG_FORMAT=json, the default; `text` for people): structlog renders what every
module logs through the standard `logging`, with the service, the level, the time and, while a request or an event
is handled, its request id, event id and trace id (kit.tracing)."""
import logging
import sys

import structlog

from kit import tracing


def configure(service: str, *, level: str = "INFO", fmt: str = "json") -> None:
    def add_service(_logger, _method, event: dict) -> dict:
        event.setdefault("service", service)
        return event

    shared = [tracing.log_fields, structlog.stdlib.add_log_level,
              structlog.stdlib.add_logger_name, add_service, structlog.processors.TimeStamper(fmt="iso", utc=True),
              structlog.processors.format_exc_info]
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" else \
        structlog.dev.ConsoleRenderer(colors=False)
    handler = _Handler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared, processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    # Ours replaces an earlier one of ours (an app created again in one process); others' handlers stay.
    root.handlers = [h for h in root.handlers if not isinstance(h, _Handler)] + [handler]
    root.setLevel(level.upper())


class _Handler(logging.StreamHandler):
    """The handler `configure` installs."""
