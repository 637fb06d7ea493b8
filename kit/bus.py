"""Kafka clients built from settings: connection options, producer, topic creation, reachability and end offsets."""
import asyncio
import ssl

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kit.settings import ServiceSettings


def connection(settings: ServiceSettings) -> dict:
    """What every Kafka client of the service connects with: the bootstrap servers and, on a cluster that requires
    it, TLS and the service's own SASL principal (the broker's ACLs let it write its topic and read its inputs)."""
    options: dict = {"bootstrap_servers": settings.kafka_bootstrap,
                     "security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism, sasl_plain_username=settings.kafka_username,
                       sasl_plain_password=settings.kafka_password.get_secret_value())
    return options


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **connection(settings),
        enable_idempotence=settings.kafka_idempotence,
        acks="all",
        linger_ms=0,
        request_timeout_ms=5000,
        client_id=f"keyproject-{settings.service_name}",
    )


async def ensure_topics(settings: ServiceSettings, names: list[str]) -> None:
    """Create the topics if missing (existing ones are left as they are)."""
    admin = AIOKafkaAdminClient(**connection(settings), request_timeout_ms=5000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        # Kept for ever by default: a read model is rebuilt by replaying its topics from the beginning.
        configs = {"retention.ms": str(settings.kafka_retention_ms)}
        missing = [NewTopic(n, settings.kafka_partitions, 1, topic_configs=configs) for n in names if n not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


async def broker_reachable(bootstrap: str, timeout: float = 1.0) -> bool:
    """True when a bootstrap server accepts a connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        except (OSError, asyncio.TimeoutError):
            continue
        writer.close()
        return True
    return False


class BrokerWatch:
    """What the relay and the consumers check every few seconds (is the broker still the cluster that holds our log,
    how far has the log come), asked over clients kept open: a new connection, bootstrap and metadata for each look
    cost an idle platform more than everything else it does. A failed look closes them; the next opens them anew."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None

    async def cluster_id(self) -> str:
        """The broker cluster's id: a log lives with its cluster, so another id means what was published is not
        there."""
        try:
            if self._admin is None:
                self._admin = AIOKafkaAdminClient(**connection(self.settings), request_timeout_ms=5000)
                await self._admin.start()
            return (await self._admin.describe_cluster())["cluster_id"]
        except Exception:
            await self.close()
            raise

    async def total_end_offset(self, topic: str) -> int:
        """Sum of the topic's high watermarks: how many messages the broker has ever taken on it."""
        try:
            if self._reader is None:
                self._reader = AIOKafkaConsumer(**connection(self.settings), request_timeout_ms=5000)
                await self._reader.start()
            await self._reader._client.force_metadata_update()  # the partitions the broker has now, not at start
            partitions = self._reader.partitions_for_topic(topic) or set()
            if not partitions:
                return 0
            offsets = await self._reader.end_offsets([TopicPartition(topic, p) for p in partitions])
            return sum(offsets.values())
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        admin, reader, self._admin, self._reader = self._admin, self._reader, None, None
        for client, close in ((admin, lambda c: c.close()), (reader, lambda c: c.stop())):
            if client is not None:
                try:
                    await asyncio.wait_for(close(client), 5)
                except Exception:  # noqa: BLE001 - a dead broker may fail the close; the client is dropped anyway
                    pass
