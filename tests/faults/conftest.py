"""Fault tests stop and kill things, so each builds its own broker and service processes instead of the session's."""
import pytest

from kit.broker import EmbeddedBroker
from tests.support.platform import Platform


@pytest.fixture
def own_platform(tmp_path):
    """A private platform with an empty broker and no service yet; the test starts the services it needs."""
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    platform = Platform(broker=broker, workdir=tmp_path)
    try:
        yield platform
    finally:
        platform.stop()
