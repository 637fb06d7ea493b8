"""Fixtures of the alerts tests."""
import pytest


@pytest.fixture
async def restore(alerts):
    """Put changed rules back to their defaults (the platform is shared by every test)."""
    changed: list[str] = []
    yield changed
    for name in changed:
        rule = (await alerts.get(f"/api/v1/rules/{name}")).json()
        await alerts.put(f"/api/v1/rules/{name}", json={"enabled": True, "thresholds": rule["defaults"],
                                                         "note": "tests: back to defaults"})
