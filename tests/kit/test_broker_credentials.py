"""Every Kafka client a service makes connects as the service's own principal when the cluster requires one
(compose: SASL/SCRAM, with ACLs per principal); a SASL setting without credentials is refused at start."""
import pytest
from pydantic import ValidationError

from kit.bus import connection, make_producer
from kit.settings import ServiceSettings

BASE = {"service_name": "alerts", "database_url": "sqlite+aiosqlite://", "port": 8003, "env": "dev"}


def test_plaintext_by_default_for_the_embedded_broker():
    assert connection(ServiceSettings(**BASE)) == {"bootstrap_servers": "127.0.0.1:9092",
                                                   "security_protocol": "PLAINTEXT"}


async def test_sasl_settings_reach_the_clients():
    settings = ServiceSettings(**BASE, kafka_bootstrap="kafka:9092", kafka_security_protocol="SASL_PLAINTEXT",
                               kafka_username="alerts", kafka_password="s3cret-of-the-alerts-principal")
    options = connection(settings)
    assert {k: options[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username",
                                    "sasl_plain_password")} == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "alerts",
        "sasl_plain_password": "s3cret-of-the-alerts-principal"}
    producer = make_producer(settings)  # built, not started: aiokafka keeps the options on its client
    client = producer.client
    assert (client._security_protocol, client._sasl_mechanism, client._sasl_plain_username) == (
        "SASL_PLAINTEXT", "SCRAM-SHA-512", "alerts")


def test_tls_gets_a_context_from_the_configured_authority():
    settings = ServiceSettings(**BASE, kafka_security_protocol="SASL_SSL", kafka_username="alerts",
                               kafka_password="pw-0123456789")
    assert connection(settings)["ssl_context"].verify_mode.name == "CERT_REQUIRED"


@pytest.mark.parametrize("credentials", [{}, {"kafka_username": "alerts"}, {"kafka_password": "pw"}])
def test_sasl_without_the_principals_credentials_is_refused(credentials):
    with pytest.raises(ValidationError, match="KP_KAFKA_USERNAME and KP_KAFKA_PASSWORD"):
        ServiceSettings(**BASE, kafka_security_protocol="SASL_PLAINTEXT", **credentials)


@pytest.mark.parametrize("password", ["p@ss:w/rd#1%", "简单密码 with spaces", "a?b=c&d"])
def test_any_database_password_works_given_apart(password):
    """compose gives the password apart from the URL: whatever it holds, the URL stays whole and carries it."""
    from sqlalchemy.engine import make_url

    settings = ServiceSettings(**{**BASE, "database_url": "postgresql+asyncpg://keyproject@postgres:5432/alerts"},
                               database_password=password)
    url = make_url(settings.database_url)
    assert (url.password, url.username, url.host, url.port, url.database) == (
        password, "keyproject", "postgres", 5432, "alerts")
