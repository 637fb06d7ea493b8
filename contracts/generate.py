"""Writes the JSON Schema of every event type and the AsyncAPI document from the contract models (`make schemas`).

`python -m contracts.generate` refuses to overwrite a checked-in schema with one that breaks its consumers
(see contracts.compat) unless given `--accept-breaking`; `--check` only reports whether the files are current.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from contracts import topics
from contracts.catalog import EVENTS
from contracts.compat import breaking_changes
from contracts.envelope import CONTENT_TYPE, SCHEMA_BASE, CloudEvent, EventData

ROOT = Path(__file__).parent
SCHEMAS = "schemas"
ENVELOPE = "cloudevent"
ASYNCAPI = "asyncapi.yaml"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"


def _with_header(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{SCHEMA_BASE}{name}.json", **schema}


def event_schema(model: type[EventData]) -> dict[str, Any]:
    """The payload (`data`) of one event type as it travels: the JSON a producer writes."""
    schema = _with_header(model.model_json_schema(mode="serialization"), model.type)
    schema["x-event-type"] = model.type
    schema["x-topic"] = model.topic
    return schema


def envelope_schema() -> dict[str, Any]:
    return _with_header(CloudEvent.model_json_schema(mode="serialization"), ENVELOPE)


def schemas() -> dict[str, dict[str, Any]]:
    """Schema name (file stem) to schema: the envelope and one per event type in the catalog."""
    found = {ENVELOPE: envelope_schema()}
    for model in EVENTS:
        found[model.type] = event_schema(model)
    return found


def topic_names() -> dict[str, str]:
    """Constant name (lowercased) to topic, as declared in contracts.topics."""
    return {name.lower(): value for name, value in sorted(vars(topics).items())
            if name.isupper() and isinstance(value, str) and value in topics.PRODUCERS}


def key_description(model: type[EventData]) -> str:
    """What the Kafka key (and the CloudEvent subject) of this event is.

    A model may say so itself with a `key_description` class variable; otherwise unit events are keyed by the
    unit id, parcel events by the parcel id and everything else by the project id.
    """
    declared = getattr(model, "key_description", None)
    if isinstance(declared, str):
        return declared
    entity = model.type.split(".")[2] if model.type.count(".") >= 4 else ""
    if entity == "unit":
        return "the unit id"
    if entity == "parcel":
        return "the parcel id"
    return "the project id: one project's events stay in order on one partition"


def _summary(model: type) -> str | None:
    doc = (model.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else None


def asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document: one channel per topic (and its dead-letter topic), one message per event type."""
    by_topic: dict[str, list[type[EventData]]] = {}
    for model in EVENTS:
        by_topic.setdefault(model.topic, []).append(model)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for channel_id, topic in topic_names().items():
        produced = sorted(by_topic.get(topic, []), key=lambda m: m.type)
        channel_messages = {}
        for model in produced:
            message = {
                "name": model.__name__,
                "title": model.type,
                "contentType": CONTENT_TYPE,
                "headers": {"$ref": "#/components/schemas/kafka_headers"},
                "payload": {
                    "allOf": [
                        {"$ref": f"./{SCHEMAS}/{ENVELOPE}.json"},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": model.type},
                                "subject": {"type": "string", "description": key_description(model)},
                                "data": {"$ref": f"./{SCHEMAS}/{model.type}.json"},
                            },
                        },
                    ]
                },
                "bindings": {"kafka": {
                    "key": {"type": "string", "description": key_description(model)},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }},
            }
            if _summary(model):
                message["summary"] = _summary(model)
            messages[model.type] = message
            channel_messages[model.type] = {"$ref": f"#/components/messages/{model.type}"}
        channels[channel_id] = {
            "address": topic,
            "description": f"Events published by the {topic.rsplit('.', 1)[-1]} service; key = CloudEvent subject.",
            "messages": channel_messages,
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        if channel_messages:
            operations[f"publish_{channel_id}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"The {channel_id} outbox relay publishes committed events, keyed as each message says.",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in channel_messages],
            }
            for consumer, consumed in sorted(topics.CONSUMERS.items()):
                if topic in consumed:
                    operations[f"{consumer}_receives_{channel_id}"] = {
                        "action": "receive",
                        "channel": {"$ref": f"#/channels/{channel_id}"},
                        "summary": f"The {consumer} service applies each event once, in consumer group "
                                   f"keyproject.{consumer}; what it cannot process goes to the dead-letter topic.",
                        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}
                                     for name in channel_messages],
                    }
        dead_letter_id = f"{channel_id}_dead_letter"
        channels[dead_letter_id] = {
            "address": topics.dead_letter(topic),
            "description": f"Messages from {topic} that a consumer could not process, unchanged, with the reason.",
            "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
            "bindings": {"kafka": {"topic": topics.dead_letter(topic), "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    messages["dead_letter"] = {
        "name": "DeadLetter",
        "summary": "The original message bytes and key; the headers say why and where it came from.",
        "headers": {
            "type": "object",
            "properties": {
                "error": {"type": "string", "description": "why the consumer could not process it"},
                "source_topic": {"type": "string"},
                "source_partition": {"type": "string"},
                "source_offset": {"type": "string"},
                "consumer_group": {"type": "string", "description": "the consumer group that dead-lettered it"},
                "service": {"type": "string", "description": "the service that dead-lettered it"},
                "dead_letter_kind": {"enum": ["whole", "reference"], "description": (
                    "whole: the original message (and its headers); reference: JSON naming it (topic, partition, "
                    "offset, size, first bytes, reason), for a message too large to copy")},
                "content-type": {"type": "string"},
            },
        },
        "payload": {"description": "the message value exactly as it was received, or the reference"},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Key-project supervision platform events",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 in structured JSON mode (header content-type: application/cloudevents+json). "
                "The event type carries its version "
                "(e.g. keyproject.registry.project.registered.v1); each payload schema is in schemas/<type>.json. "
                "Topic names are a deployment's with the default prefix: a deployment sharing a broker (a district "
                "whose city reads its events) names them with its own (KP_TOPIC_PREFIX, e.g. "
                "keyproject.330102.registry) and its events' source with KP_EVENT_SOURCE_PREFIX. An event caused "
                "by a request carries the request's W3C trace context in the `traceparent` attribute (the "
                "CloudEvents distributed-tracing extension); its consumers continue that trace."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                      "description": "The embedded broker of `make run` (a free loopback port; KP_KAFKA_BOOTSTRAP)."},
            "compose": {"host": "kafka:9092", "protocol": "kafka",
                        "description": "Apache Kafka under docker compose: SASL/SCRAM-SHA-512, one principal per "
                                       "service, ACLs (deploy/kafka/security.sh); host tools at localhost:9094."},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {"kafka_headers": {
            "type": "object",
            "required": ["content-type"],
            "properties": {"content-type": {"const": CONTENT_TYPE, "description": (
                "the CloudEvents Kafka binding's structured mode: the message value is the whole event")}},
        }}},
    }


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """Every generated file's content by its path relative to the contracts package; nothing is written."""
    files = {f"{SCHEMAS}/{name}.json": _json(schema) for name, schema in sorted(schemas().items())}
    files[ASYNCAPI] = yaml.safe_dump(asyncapi(), sort_keys=True, allow_unicode=True, width=100)
    return files


def checked_in(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """The schemas on disk by name."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted((root / SCHEMAS).glob("*.json"))}


def breaking_changes_since(root: Path = ROOT) -> list[str]:
    """How the current models break the checked-in schemas; a checked-in event type missing from the catalog breaks too."""
    current = schemas()
    problems = []
    for name, old in checked_in(root).items():
        if name not in current:
            problems.append(f"{name}: the event type is no longer in the catalog (consumers cannot decode it)")
            continue
        problems.extend(f"{name}: {problem}" for problem in breaking_changes(old, current[name]))
    return problems


def outdated(root: Path = ROOT) -> list[str]:
    """Generated files whose checked-in copy is missing or different."""
    return [path for path, content in render().items()
            if not (root / path).exists() or (root / path).read_text(encoding="utf-8") != content]


def write(root: Path = ROOT, *, accept_breaking: bool = False) -> list[str]:
    """Write the files that changed; with `accept_breaking`, also drop schemas of types no longer in the catalog."""
    if accept_breaking:
        stale = set(checked_in(root)) - set(schemas())
        for name in stale:
            (root / SCHEMAS / f"{name}.json").unlink()
    changed = outdated(root)
    (root / SCHEMAS).mkdir(exist_ok=True)
    for path, content in render().items():
        if path in changed:
            (root / path).write_text(content, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    parser.add_argument("--accept-breaking", action="store_true",
                        help="overwrite even when consumers of the old schemas break (bump the type's version instead)")
    args = parser.parse_args(argv)
    problems = breaking_changes_since()
    if problems and not args.accept_breaking:
        print("these changes break consumers of the checked-in schemas:", *problems, sep="\n  ", file=sys.stderr)
        print("publish a new versioned event type instead, or pass --accept-breaking", file=sys.stderr)
        return 1
    if args.check:
        stale = outdated()
        for path in stale:
            print(f"out of date: contracts/{path}", file=sys.stderr)
        return 1 if stale else 0
    for path in write(accept_breaking=args.accept_breaking):
        print(f"wrote contracts/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
