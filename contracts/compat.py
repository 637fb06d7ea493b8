"""Whether a new JSON Schema of an event still serves consumers and retained events written against the old one."""
from typing import Any

Schema = dict[str, Any]

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What in `new` breaks readers of `old`: removed or retyped properties, removed enum values, a free value narrowed
    to an enum, new required fields.

    Adding optional properties is fine, and so is widening a value: a new enum value, or an enum opened to a string
    (the registry's category became a pattern-constrained slug so deployments can configure more): every event written
    before still validates. Consumers must be deployed before a producer writes a value they do not know yet. Both
    schemas are pydantic-style: `$ref`s point into their own `$defs`.
    """
    problems: list[str] = []
    _compare(old, old, new, new, "", problems)
    return problems


def _resolve(node: Schema, root: Schema) -> Schema:
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            break
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if isinstance(node, dict) and len(node.get("allOf", ())) == 1:
        node = {**_resolve(node["allOf"][0], root), **{k: v for k, v in node.items() if k != "allOf"}}
    return node if isinstance(node, dict) else {}


def _branches(node: Schema, root: Schema) -> list[Schema]:
    """The alternatives a value may take (anyOf/oneOf flattened), each resolved."""
    node = _resolve(node, root)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if not alternatives:
        return [node]
    return [branch for alternative in alternatives for branch in _branches(alternative, root)]


def _types(node: Schema) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    values = node.get("enum", [node["const"]] if "const" in node else [])
    return {_JSON_TYPES.get(type(v), "object") for v in values} or {"any"}


def signature(node: Schema, root: Schema) -> str:
    """A canonical text of the JSON types a value may have, e.g. `string|null` or `array[string]`."""
    atoms = set()
    for branch in _branches(node, root):
        for json_type in _types(branch):
            if json_type == "array" and isinstance(branch.get("items"), dict):
                atoms.add(f"array[{signature(branch['items'], root)}]")
            elif json_type == "object" and isinstance(branch.get("additionalProperties"), dict):
                atoms.add(f"object{{{signature(branch['additionalProperties'], root)}}}")
            else:
                atoms.add(json_type)
    return "|".join(sorted(atoms))


def _enum_values(node: Schema, root: Schema) -> set | None:
    values: set = set()
    for branch in _branches(node, root):
        if "enum" in branch:
            values.update(branch["enum"])
        elif "const" in branch:
            values.add(branch["const"])
        elif branch.get("type") != "null":
            return None  # an open value space: nothing to lose
    return values


def _object_branch(node: Schema, root: Schema) -> Schema | None:
    for branch in _branches(node, root):
        if "properties" in branch:
            return branch
    return None


_MAX_DEPTH = 16  # recursive models would otherwise be walked forever


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str, problems: list[str],
             depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    old_object, new_object = _object_branch(old, old_root), _object_branch(new, new_root)
    if old_object is not None and new_object is not None:
        old_props, new_props = old_object.get("properties", {}), new_object.get("properties", {})
        old_required = set(old_object.get("required", ()))
        for name in sorted(old_props):
            where = f"{path}{name}"
            if name not in new_props:
                problems.append(f"{where}: removed")
                continue
            before, after = signature(old_props[name], old_root), signature(new_props[name], new_root)
            if before != after:
                problems.append(f"{where}: retyped from {before} to {after}")
                continue
            old_values, new_values = _enum_values(old_props[name], old_root), _enum_values(new_props[name], new_root)
            if old_values is not None and new_values is not None and old_values - new_values:
                problems.append(f"{where}: enum values removed {sorted(map(str, old_values - new_values))}")
            elif old_values is None and new_values is not None:
                problems.append(f"{where}: narrowed to the enum values {sorted(map(str, new_values))}")
            _compare(old_props[name], old_root, new_props[name], new_root, f"{where}.", problems, depth + 1)
        for name in sorted(set(new_object.get("required", ())) - old_required):
            state = "became required" if name in old_props else "added as required"
            problems.append(f"{path}{name}: {state} (events written before lack it)")
    # Elements of arrays and maps are compared property by property too.
    for keyword in ("items", "additionalProperties"):
        old_inner = next((b[keyword] for b in _branches(old, old_root) if isinstance(b.get(keyword), dict)), None)
        new_inner = next((b[keyword] for b in _branches(new, new_root) if isinstance(b.get(keyword), dict)), None)
        if old_inner is not None and new_inner is not None:
            inner_path = path[:-1] + ("[]." if keyword == "items" else "{}.")
            _compare(old_inner, old_root, new_inner, new_root, inner_path, problems, depth + 1)
