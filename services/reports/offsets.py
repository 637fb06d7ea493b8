"""Where the consumed topics end, exactly: what the broker says, checked by reading past it.

The embedded broker (tansu) answers ListOffsets(latest) with the first offset of a partition's last batch rather
than its high watermark, so a reader that stops at the reported end misses the rest of that batch. Reading on from
the reported end until nothing more comes gives the true end on every broker."""
from aiokafka import AIOKafkaConsumer, TopicPartition

_ROUNDS = 20  # a partition that keeps growing while we look is cut off here; its newer records are simply later


def partitions_of(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for topic in topics
            for p in sorted(consumer._client.cluster.partitions_for_topic(topic) or ())]


async def exact_ends(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition now. The consumer must be manually assigned `partitions`;
    its positions are left past the ends."""
    ends = await consumer.end_offsets(partitions)
    for partition in partitions:
        consumer.seek(partition, ends[partition])
    for _ in range(_ROUNDS):
        batch = await consumer.getmany(*partitions, timeout_ms=300)
        if not batch:
            break
        for partition, records in batch.items():
            if records:
                ends[partition] = max(ends[partition], records[-1].offset + 1)
    return ends
