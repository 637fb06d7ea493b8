"""Alerts service entry point: `uvicorn services.alerts.main:app`."""
from pathlib import Path

from contracts import topics
from kit.app import ServiceSpec, create_service_app
from services.alerts.alerting.router import router as alerting
from services.alerts.configuration.router import router as rules
from services.alerts.evaluation.router import router as admin
from services.alerts.evaluation.scan import daily_scan
from services.alerts.handlers import FactHandlers
from services.alerts.metrics import refresh_gauges
from services.alerts.rounds.router import router as rounds
from services.alerts.settings import AlertsSettings
from services.alerts.tasks.router import router as tasks
from services.alerts.webhooks.deliverer import deliver_webhooks
from services.alerts.webhooks.router import router as webhooks


def spec(settings: AlertsSettings) -> ServiceSpec:
    return ServiceSpec(
        name="alerts",
        title="Key-project alerts",
        routers=[rules, alerting, tasks, rounds, webhooks, admin],
        migrations=Path(__file__).parent / "migrations",
        produces=topics.ALERTS,
        consumes=topics.CONSUMERS["alerts"],
        handlers=(facts := FactHandlers(settings)).handlers(),
        batch_scope=facts.per_fetch,  # a fetch's facts read at once, its projects evaluated together in waves
        background=[daily_scan, deliver_webhooks, refresh_gauges],
    )


def create_app(settings: AlertsSettings | None = None):
    settings = settings or AlertsSettings()
    return create_service_app(spec(settings), settings)


app = create_app()
