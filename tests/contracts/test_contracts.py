"""The event contracts: generated files are current, changes stay compatible, the codec round-trips and rejects."""
import json
import uuid
from datetime import date
from decimal import Decimal

import orjson
import pytest
import yaml

from contracts import generate, topics
from contracts.catalog import CATALOG, EVENTS
from contracts.compat import breaking_changes
from contracts.envelope import EventData, UndecodableEvent, decode, encode, new_event
from contracts.registry import Bracket, Category, Level, ProjectRegistered, Sector, Stage, UnitCreated, UnitKind


def _project(**overrides) -> ProjectRegistered:
    fields = dict(
        id=str(uuid.uuid4()), code="P-001", name="新能源电池生产基地", year=2026, level=Level.municipal,
        category=Category.manufacturing, sector=Sector.secondary, total_investment=Decimal("120000.500001"),
        annual_plan_investment=Decimal("30000"), bracket=Bracket.from_10_to_50yi, responsible_unit_id=str(uuid.uuid4()), stage=Stage.planning,
        planned_start_date=date(2026, 3, 1), tags=["新能源"], version=1,
    )
    return ProjectRegistered(**{**fields, **overrides})


# --- generated files -------------------------------------------------------------------------------------------

def test_checked_in_schemas_and_asyncapi_are_current():
    stale = generate.outdated()
    assert not stale, f"contracts/{', contracts/'.join(stale)} differ from the models: run `make schemas`"


def test_generation_is_deterministic():
    assert generate.render() == generate.render()


def test_every_event_type_has_a_schema_and_an_asyncapi_message():
    files = generate.render()
    document = yaml.safe_load(files[generate.ASYNCAPI])
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"]: channel for channel in document["channels"].values()}
    assert set(generate.topic_names().values()) <= set(addresses)
    for model in EVENTS:
        schema = json.loads(files[f"schemas/{model.type}.json"])
        assert schema["x-event-type"] == model.type
        message = document["components"]["messages"][model.type]
        assert message["payload"]["allOf"][1]["properties"]["data"] == {"$ref": f"./schemas/{model.type}.json"}
        assert message["bindings"]["kafka"]["key"]["description"]
        assert model.type in addresses[model.topic]["messages"]
    unit_key = document["components"]["messages"][UnitCreated.type]["bindings"]["kafka"]["key"]["description"]
    project_key = document["components"]["messages"][ProjectRegistered.type]["bindings"]["kafka"]["key"]["description"]
    assert "unit id" in unit_key and "project id" in project_key


def test_money_travels_as_an_exact_decimal_string():
    schema = generate.event_schema(ProjectRegistered)
    assert schema["properties"]["total_investment"]["type"] == "string"
    data = orjson.loads(encode(new_event(_project(), subject="p", source="tests")))["data"]
    assert data["total_investment"] == "120000.500001" and data["annual_plan_investment"] == "30000"


# --- compatibility ----------------------------------------------------------------------------------------------

def test_current_models_do_not_break_consumers_of_the_checked_in_schemas():
    problems = generate.breaking_changes_since()
    assert not problems, (
        "these changes break consumers (bump the event type's version instead):\n  " + "\n  ".join(problems))


def test_a_checked_in_schema_the_models_no_longer_satisfy_is_reported(tmp_path):
    generate.write(tmp_path)
    assert generate.outdated(tmp_path) == [] and generate.breaking_changes_since(tmp_path) == []
    path = tmp_path / "schemas" / f"{ProjectRegistered.type}.json"
    old = json.loads(path.read_text())
    old["properties"]["retired_field"] = {"type": "string"}
    path.write_text(json.dumps(old))
    (tmp_path / "schemas" / "keyproject.registry.project.retired.v1.json").write_text(json.dumps(old))
    assert sorted(generate.breaking_changes_since(tmp_path)) == [
        f"{ProjectRegistered.type}: retired_field: removed",
        "keyproject.registry.project.retired.v1: the event type is no longer in the catalog (consumers cannot decode it)",
    ]
    assert generate.outdated(tmp_path) == [f"schemas/{ProjectRegistered.type}.json"]
    generate.write(tmp_path, accept_breaking=True)
    assert generate.outdated(tmp_path) == [] and generate.breaking_changes_since(tmp_path) == []


OLD = {
    "type": "object",
    "$defs": {"Stage": {"enum": ["planning", "started"], "type": "string"}},
    "properties": {
        "id": {"type": "string"},
        "year": {"type": "integer"},
        "owner": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "stage": {"$ref": "#/$defs/Stage"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "stage_dates": {"type": "object", "additionalProperties": {"type": "string", "format": "date"}},
    },
    "required": ["id", "year", "stage"],
}


def _changed(**properties) -> dict:
    """OLD with properties replaced (None removes one)."""
    new = json.loads(json.dumps(OLD))
    for name, schema in properties.items():
        if schema is None:
            new["properties"].pop(name)
            new["required"] = [r for r in new["required"] if r != name]
        else:
            new["properties"][name] = schema
    return new


def test_an_identical_schema_is_compatible():
    assert breaking_changes(OLD, json.loads(json.dumps(OLD))) == []


def test_an_added_optional_field_is_compatible():
    new = _changed(location={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None})
    assert breaking_changes(OLD, new) == []


def test_an_added_enum_value_and_reordered_union_are_compatible():
    new = _changed(owner={"anyOf": [{"type": "null"}, {"type": "string"}]})
    new["$defs"]["Stage"]["enum"].append("completed")
    assert breaking_changes(OLD, new) == []


def test_a_removed_field_breaks():
    assert breaking_changes(OLD, _changed(year=None)) == ["year: removed"]


def test_a_retyped_field_breaks():
    assert breaking_changes(OLD, _changed(year={"type": "string"})) == ["year: retyped from integer to string"]


def test_a_field_that_may_now_be_null_breaks():
    (problem,) = breaking_changes(OLD, _changed(id={"anyOf": [{"type": "string"}, {"type": "null"}]}))
    assert problem.startswith("id: retyped")


def test_retyped_array_items_and_map_values_break():
    problems = breaking_changes(OLD, _changed(tags={"type": "array", "items": {"type": "integer"}},
                                              stage_dates={"type": "object", "additionalProperties": {"type": "integer"}}))
    assert problems == ["stage_dates: retyped from object{string} to object{integer}",
                        "tags: retyped from array[string] to array[integer]"]


def test_a_retyped_ref_breaks_and_a_removed_enum_value_breaks():
    retyped = json.loads(json.dumps(OLD))
    retyped["$defs"]["Stage"] = {"type": "integer"}
    assert breaking_changes(OLD, retyped) == ["stage: retyped from string to integer"]
    narrowed = json.loads(json.dumps(OLD))
    narrowed["$defs"]["Stage"]["enum"] = ["planning"]
    assert breaking_changes(OLD, narrowed) == ["stage: enum values removed ['started']"]


def test_an_enum_opened_to_a_pattern_string_is_compatible_and_narrowing_it_back_breaks():
    opened = json.loads(json.dumps(OLD))
    opened["$defs"]["Stage"] = {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 40}
    assert breaking_changes(OLD, opened) == []
    assert breaking_changes(opened, OLD) == ["stage: narrowed to the enum values ['planning', 'started']"]


def test_a_category_travels_as_a_slug_configured_or_built_in():
    """The registry may be configured with categories beyond the built-in ones (KP_EXTRA_CATEGORIES)."""
    schema = generate.event_schema(ProjectRegistered)["properties"]["category"]
    assert schema["type"] == "string" and "enum" not in schema and "industry" in schema["description"]
    for category in ("tourism", "new_energy", Category.social):
        project = _project(category=category)
        _, decoded = decode(encode(new_event(project, subject=project.id, source="tests")), CATALOG)
        assert decoded.category == category


def test_a_new_required_field_breaks_and_so_does_making_an_optional_one_required():
    added = _changed(kind={"type": "string"})
    added["required"].append("kind")
    assert breaking_changes(OLD, added) == ["kind: added as required (events written before lack it)"]
    tightened = json.loads(json.dumps(OLD))
    tightened["required"].append("owner")
    assert breaking_changes(OLD, tightened) == ["owner: became required (events written before lack it)"]


def test_nested_objects_are_compared_field_by_field():
    old = {"type": "object", "properties": {"budget": {"$ref": "#/$defs/Budget"}},
           "$defs": {"Budget": {"type": "object", "properties": {"amount": {"type": "string"}}, "required": []}}}
    new = json.loads(json.dumps(old))
    new["$defs"]["Budget"]["properties"] = {"total": {"type": "string"}}
    assert breaking_changes(old, new) == ["budget.amount: removed"]


def test_a_real_model_change_is_caught():
    """Retyping `year` on the current ProjectRegistered model breaks its checked-in contract."""

    class Retyped(ProjectRegistered):
        year: str  # type: ignore[assignment]

    old = generate.event_schema(ProjectRegistered)
    assert breaking_changes(old, generate.event_schema(Retyped)) == ["year: retyped from integer to string"]


# --- codec ------------------------------------------------------------------------------------------------------

def test_encode_decode_round_trip():
    project = _project()
    event = new_event(project, subject=project.id, source="/keyproject/registry")
    decoded_event, decoded_data = decode(encode(event), CATALOG)
    assert decoded_event == event
    assert isinstance(decoded_data, ProjectRegistered) and decoded_data == project
    assert decoded_event.type == ProjectRegistered.type and decoded_event.specversion == "1.0"
    assert decoded_event.subject == project.id and decoded_event.time.tzinfo is not None


def test_every_catalog_entry_has_a_topic_and_a_versioned_type():
    declared = set(generate.topic_names().values())
    for model in EVENTS:
        assert model.topic in declared, f"{model.__name__} publishes to an undeclared topic {model.topic}"
        assert model.type.startswith("keyproject.") and model.type.rsplit(".", 1)[-1][:1] == "v", model.type
    assert len(CATALOG) == len(EVENTS), "two models share one event type"


def test_decode_ignores_extra_envelope_attributes_and_payload_fields():
    unit = UnitCreated(id="u1", code="U1", name="城关镇", kind=UnitKind.town)
    body = orjson.loads(encode(new_event(unit, subject="u1", source="tests")))
    body["traceparent"] = "00-abc-def-01"
    body["data"]["added_later"] = 1
    _, data = decode(orjson.dumps(body), CATALOG)
    assert data == unit


def _valid_body() -> dict:
    return orjson.loads(encode(new_event(_project(), subject="p1", source="tests")))


@pytest.mark.parametrize("raw, reason", [
    (None, "not a CloudEvent"),
    (b"", "not a CloudEvent"),
    (b"\x00\xff garbage", "not a CloudEvent"),
    (b"[1, 2, 3]", "not a CloudEvent"),
    (b'{"id": "x"}', "not a CloudEvent"),
])
def test_decode_rejects_garbage(raw, reason):
    with pytest.raises(UndecodableEvent, match=reason):
        decode(raw, CATALOG)


def test_decode_rejects_an_unknown_type_or_version():
    for unknown in ("keyproject.registry.project.registered.v9", "keyproject.nowhere.thing.happened.v1"):
        body = {**_valid_body(), "type": unknown}
        with pytest.raises(UndecodableEvent, match="unknown event type or version"):
            decode(orjson.dumps(body), CATALOG)


def test_decode_rejects_an_unsupported_specversion():
    with pytest.raises(UndecodableEvent, match="specversion"):
        decode(orjson.dumps({**_valid_body(), "specversion": "0.3"}), CATALOG)


@pytest.mark.parametrize("change", [
    {"total_investment": "-5"},
    {"total_investment": "lots"},
    {"category": "Mining"},
    {"category": "采矿"},
    {"category": "m" * 41},
    {"year": "twenty"},
    {"version": None},
])
def test_decode_rejects_an_invalid_payload(change):
    body = _valid_body()
    body["data"].update(change)
    with pytest.raises(UndecodableEvent, match="payload invalid"):
        decode(orjson.dumps(body), CATALOG)


def test_decode_rejects_a_payload_missing_a_required_field():
    body = _valid_body()
    del body["data"]["responsible_unit_id"]
    with pytest.raises(UndecodableEvent, match="responsible_unit_id"):
        decode(orjson.dumps(body), CATALOG)


def test_topics_name_their_dead_letter_topics():
    assert topics.dead_letter(topics.REGISTRY) == "keyproject.registry.dlq"


def test_event_data_is_immutable():
    with pytest.raises(Exception):
        _project().year = 2027  # type: ignore[misc]
    assert issubclass(ProjectRegistered, EventData)
