"""Webhooks are never delivered to this machine, the internal network or a cloud metadata service (SSRF)."""
import pytest

from services.alerts.webhooks.destinations import networks, refused, refused_address


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[::1]:8201/",
                                 "http://10.1.2.3/hook", "http://192.168.1.20/", "http://[fe80::1]/",
                                 "http://0.0.0.0:8003/"])
async def test_a_subscription_to_an_internal_address_is_refused(alerts, url):
    """Seen: subscriptions to the metadata service, 127.0.0.1:5432 and [::1]:8201 were accepted. (The test platform
    allows 127.0.0.1/32 for its receivers; loopback without an allow-list is refused below.)"""
    response = await alerts.post("/api/v1/webhooks", json={"url": url, "event_types": ["alert.raised"]})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["url"]
    listed = (await alerts.get("/api/v1/webhooks", params={"limit": 500})).json()["items"]
    assert url not in [s["url"] for s in listed]


def test_loopback_private_and_metadata_addresses_are_refused_unless_allowed():
    for address in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "172.16.5.4", "100.64.0.1", "::1",
                    "::ffff:127.0.0.1", "fc00::1", "224.0.0.1"):
        assert refused_address(address, []) is not None, address
    assert refused_address("8.8.8.8", []) is None
    assert refused_address("10.20.1.5", networks(["10.20.0.0/16"])) is None
    assert refused_address("10.21.1.5", networks(["10.20.0.0/16"])) is not None


async def test_a_name_is_checked_against_what_it_resolves_to():
    assert "loopback" in await refused("http://localhost:9/", [])
    assert await refused("http://no-such-host.invalid/", [], unresolved_ok=True) is None
    assert "does not resolve" in await refused("http://no-such-host.invalid/", [])
