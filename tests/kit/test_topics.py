"""Topics the services create keep their events for ever: the reports rebuild replays them from the beginning."""
import uuid

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from kit.bus import ensure_topics
from kit.settings import ServiceSettings


async def test_created_topics_have_unlimited_retention(platform):
    settings = ServiceSettings(service_name="topics-test", database_url="sqlite://", port=0,
                               kafka_bootstrap=platform.broker.bootstrap, kafka_partitions=2)
    topic = f"keyproject.tests.retention.{uuid.uuid4().hex[:10]}"
    await ensure_topics(settings, [topic])
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [resource] = response.resources
    configs = {entry[0]: entry[1] for entry in resource[4]}
    assert configs.get("retention.ms") == "-1"
