"""A service's background tasks (relay, consumer, jobs) that die are logged and started again, not left dead."""
import asyncio
import logging

import pytest

from kit.app import ServiceSpec, create_service_app
from kit.settings import ServiceSettings
from tests.support.api import eventually

pytestmark = pytest.mark.timeout(120)


async def test_a_background_job_that_dies_is_logged_and_restarted(plumbing_url, migrations, broker, caplog):
    runs = 0
    running = asyncio.Event()

    async def flaky(app) -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError(f"crash {runs}")
        running.set()
        await asyncio.Event().wait()

    spec = ServiceSpec(name="supervision-test", title="supervision test", routers=[], migrations=migrations,
                       background=[flaky])
    settings = ServiceSettings(service_name="supervision-test", database_url=plumbing_url, port=0,
                               kafka_bootstrap=broker.bootstrap)
    app = create_service_app(spec, settings)
    with caplog.at_level(logging.ERROR, logger="kit.app"):
        async with app.router.lifespan_context(app):
            async def restarted() -> bool:
                return running.is_set()

            await eventually(restarted, timeout=30, what="the job running after two crashes")
    assert runs == 3
    died = [r for r in caplog.records if r.name == "kit.app" and "flaky died" in r.getMessage()]
    assert [str(r.exc_info[1]) for r in died] == ["crash 1", "crash 2"]
