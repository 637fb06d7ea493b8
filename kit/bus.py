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


async def cluster_id(settings: ServiceSettings) -> str:
    """The broker cluster's id: a log lives with its cluster, so another id means what was published is not there."""
    admin = AIOKafkaAdminClient(**connection(settings), request_timeout_ms=5000)
    try:
        await admin.start()
        return (await admin.describe_cluster())["cluster_id"]
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


async def total_end_offset(settings: ServiceSettings, topic: str) -> int:
    """Sum of the topic's high watermarks: how many messages the broker has ever taken on it."""
    consumer = AIOKafkaConsumer(**connection(settings), request_timeout_ms=5000)
    try:
        await consumer.start()
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            return 0
        offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(offsets.values())
    finally:
        await consumer.stop()
