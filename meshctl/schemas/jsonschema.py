"""JSON Schema: validate a schema, diff two versions property by property and judge the changes.

Validity is the `jsonschema` library's metaschema check, with its errors put in meshctl's words and lines,
plus what no metaschema says: a local "$ref" that points nowhere, a default not of its declared type.

Simplifications, on purpose: properties are walked through "properties", "items" and local "$ref"s only
(not through allOf/anyOf/oneOf, patternProperties or conditionals); a property's type is compared as a
whole description, and any type change is treated as breaking in both directions; adding a property is
never breaking, whatever "additionalProperties" says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from meshctl.schemas import jsontext
from meshctl.schemas.jsontext import JsonDoc, JsonPath, dumps, kind_of
from meshctl.schemas.model import FieldChange, join_path, symbol_parts

TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMAS = (
    "additionalProperties",
    "additionalItems",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
# What a keyword's value must be, for metaschema errors about it.
_MUST_BE = {
    "required": "a list of property names (strings), each once",
    **{count: "a non-negative integer" for count in _COUNTS},
}
_KINDS = {
    "array": "a list",
    "boolean": "a boolean",
    "integer": "an integer",
    "null": "null",
    "number": "a number",
    "object": "an object",
    "string": "a string",
}
_MATCHES = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}
_MISSING = object()


# --- validation ------------------------------------------------------------------------------------------------


def check(text: str) -> None:
    _load(text)


def canonical(text: str) -> str:
    return jsontext.canonical(text)


def _load(text: str) -> dict[str, Any]:
    """The schema, valid against its metaschema (the `jsonschema` library's verdict, draft 7 unless "$schema"
    names another), with every local "$ref" resolving and every default of its declared type (meshctl's)."""
    doc = jsontext.load(text)
    schema = doc.value
    if not isinstance(schema, dict):
        raise doc.error(f"a JSON Schema must be an object, found {kind_of(schema)}", ())
    if not isinstance(schema.get("$schema", ""), str):
        raise doc.error('"$schema" must be a string, the URI of a JSON Schema draft', ("$schema",))
    validator = validators.validator_for(schema, default=Draft7Validator)
    # No format checker: "pattern" is an ECMA 262 regex, which Python's re would judge wrongly.
    error = best_match(validator(validator.META_SCHEMA).iter_errors(schema))
    if error is not None:
        message, path = _explain(error)
        raise doc.error(message, path)
    _Walker(doc).schema(schema, ())
    return schema


def _explain(error: ValidationError) -> tuple[str, JsonPath]:
    """A metaschema error in meshctl's words, at the JSON path it concerns."""
    path: JsonPath = tuple(error.absolute_path)
    keyword = next((part for part in reversed(path) if isinstance(part, str)), "")
    if keyword == "type" and error.validator in ("anyOf", "enum"):
        names = error.instance if isinstance(error.instance, list) else [error.instance]
        unknown = next((name for name in names if name not in TYPES), None)
        if unknown is not None:
            where = (*path, names.index(unknown)) if isinstance(error.instance, list) else path
            return f"unknown type {dumps(unknown)}: expected one of {', '.join(TYPES)}", where
    if error.validator == "type" and error.validator_value == ["object", "boolean"]:
        return f"a schema must be an object or a boolean, found {kind_of(error.instance)}", path
    if keyword in _MUST_BE and error.validator in ("type", "minimum", "minItems", "uniqueItems"):
        return f'"{keyword}" must be {_MUST_BE[keyword]}', path
    if error.validator == "type" and isinstance(error.validator_value, str) and path and path[-1] == keyword:
        expected = _KINDS.get(error.validator_value, error.validator_value)
        return f'"{keyword}" must be {expected}, found {kind_of(error.instance)}', path
    return (f'"{"/".join(map(str, path))}": ' if path else "") + error.message, path


class _Walker:
    """What the metaschema cannot say: every local "$ref" points somewhere, every default fits its type."""

    def __init__(self, doc: JsonDoc) -> None:
        self.doc = doc

    def schema(self, node: Any, path: JsonPath) -> None:
        if not isinstance(node, dict):  # true/false: accept or reject everything
            return
        for key in _SCHEMA_MAPS:
            for name, member in node.get(key, {}).items() if isinstance(node.get(key), dict) else ():
                self.schema(member, (*path, key, name))
        for key in (*_SCHEMA_LISTS, "items"):
            for index, member in enumerate(node[key]) if isinstance(node.get(key), list) else ():
                self.schema(member, (*path, key, index))
        for key in (*_SCHEMAS, "items"):
            if isinstance(node.get(key), dict):
                self.schema(node[key], (*path, key))
        ref = node.get("$ref")
        if isinstance(ref, str) and (ref == "#" or ref.startswith("#/")) and _pointer(self.doc.value, ref) is _MISSING:
            raise self.doc.error(f'"$ref" {dumps(ref)} does not point to anything in this schema', (*path, "$ref"))
        declared = node.get("type")
        types: list[str] = declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else []
        if "default" in node and types and not any(_MATCHES[t](node["default"]) for t in types):
            default = dumps(node["default"])
            raise self.doc.error(f"default {default} is not of type {' or '.join(types)}", (*path, "default"))


def _pointer(root: Any, ref: str) -> Any:
    """The node a local JSON pointer ("#", "#/definitions/Address") names, or _MISSING."""
    node = root
    for part in ref[2:].split("/") if ref != "#" else []:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


# --- diff ------------------------------------------------------------------------------------------------------


def describe(node: Any) -> str:
    """A one-line type: "string", "[null, string]", "array<Address>", "Address" (a $ref), "anyOf[...]"."""
    if isinstance(node, bool):
        return "any" if node else "nothing"
    if not isinstance(node, dict):
        return "any"
    if isinstance(node.get("$ref"), str):
        return _ref_name(node["$ref"])
    declared = node.get("type")
    if isinstance(declared, list):
        text = "[" + ", ".join(sorted(map(str, declared))) + "]"  # order of a type list does not matter
    elif isinstance(declared, str):
        text = declared
    elif "const" in node:
        text = f"const {dumps(node['const'])}"
    elif "enum" in node:
        return "enum"
    else:
        text = _combinator(node) or ("object" if "properties" in node else "any")
    if text == "array" and isinstance(node.get("items"), dict | bool):
        text = f"array<{describe(node['items'])}>"
    return text + (" (enum)" if "enum" in node else "")


def _combinator(node: dict[str, Any]) -> str | None:
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            return f"{key}[" + ", ".join(describe(member) for member in node[key]) + "]"
    return None


def _describe_property(node: Any) -> str:
    has_default = isinstance(node, dict) and "default" in node
    return describe(node) + (f" (default {dumps(node['default'])})" if has_default else "")


def _ref_name(ref: str) -> str:
    return ref.rpartition("/")[2] if ref.startswith("#/") else ref


def diff(old_text: str, new_text: str) -> list[FieldChange]:
    differ = _Differ(_load(old_text), _load(new_text))
    differ.slot(differ.old_root, differ.new_root, "")
    return differ.changes


class _Differ:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.changes: list[FieldChange] = []
        self.seen: set[tuple[int, int]] = set()  # (old, new) schema objects already walked: $ref cycles end here

    def add(self, kind: str, path: str, before: str | None, after: str | None) -> None:
        self.changes.append(FieldChange(kind, path, before, after))

    def resolve(self, node: Any, root: dict[str, Any]) -> Any:
        """Follow local $refs (a chain of them, too) to the schema they name."""
        hops: set[int] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and id(node) not in hops:
            hops.add(id(node))
            target = _pointer(root, node["$ref"]) if node["$ref"].startswith("#") else _MISSING
            if target is _MISSING:
                return node
            node = target
        return node

    def slot(self, old: Any, new: Any, path: str) -> None:
        before, after = describe(old), describe(new)
        if before != after:
            self.add("type_changed", path, before, after)
        kind = _default_change(_default(old), _default(new))
        if kind:
            self.add(kind, path, _describe_property(old), _describe_property(new))
        self.walk(old, new, path)

    def walk(self, old: Any, new: Any, path: str) -> None:
        old, new = self.resolve(old, self.old_root), self.resolve(new, self.new_root)
        if not isinstance(old, dict) or not isinstance(new, dict) or (id(old), id(new)) in self.seen:
            return
        self.seen.add((id(old), id(new)))
        if isinstance(old.get("enum"), list) and isinstance(new.get("enum"), list):
            self.symbols(old["enum"], new["enum"], path)
        self.properties(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.walk(old["items"], new["items"], path)

    def symbols(self, old: list[Any], new: list[Any], path: str) -> None:
        old_values, new_values = [_symbol(v) for v in old], [_symbol(v) for v in new]
        for value in new_values:
            if value not in old_values:
                self.add("symbol_added", join_path(path, value), None, value)
        for value in old_values:
            if value not in new_values:
                self.add("symbol_removed", join_path(path, value), value, None)

    def properties(self, old: dict[str, Any], new: dict[str, Any], prefix: str) -> None:
        old_props, new_props = _properties(old), _properties(new)
        old_required, new_required = _required(old), _required(new)
        # A name may be required without being declared in "properties": walk both.
        names = [*old_props, *(n for n in new_props if n not in old_props)]
        names += [n for n in [*old_required, *new_required] if n not in names]
        for name in dict.fromkeys(names):
            path = join_path(prefix, name)
            if name in old_props and name in new_props:
                self.slot(old_props[name], new_props[name], path)
            elif name in new_props:
                self.add("added", path, None, _describe_property(new_props[name]))
            elif name in old_props:
                self.add("removed", path, _describe_property(old_props[name]), None)
            if name in new_required and name not in old_required:
                self.add("required_added", path, "optional", "required")
            elif name in old_required and name not in new_required:
                self.add("required_removed", path, "required", "optional")


def _default(node: Any) -> Any:
    return node.get("default", _MISSING) if isinstance(node, dict) else _MISSING


def _default_change(old: Any, new: Any) -> str | None:
    if old is _MISSING or new is _MISSING:
        return None if old is new else "default_added" if old is _MISSING else "default_removed"
    return "default_changed" if dumps(old) != dumps(new) else None


def _properties(node: dict[str, Any]) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _required(node: dict[str, Any]) -> list[str]:
    required = node.get("required")
    return [r for r in required if isinstance(r, str)] if isinstance(required, list) else []


def _symbol(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


# --- compatibility -------------------------------------------------------------------------------------------


def why_breaking(change: FieldChange, direction: str, changes: Sequence[FieldChange] = ()) -> str | None:
    """Why `change` breaks `direction` ("BACKWARD": new reads old; "FORWARD": old reads new), or None.

    Each change is judged alone; `changes`, the whole diff, is for formats that need it (Avro).
    """
    backward = direction == "BACKWARD"
    path = change.path or "the root"
    match change.kind:
        case "required_added" if backward:
            return f"the new schema requires {path}, which old data may lack"
        case "required_removed" if not backward:
            return f"old readers require {path}, which new data may omit"
        case "type_changed":
            data, schema = ("old", "the new schema") if backward else ("new", "old readers' schema")
            written, reading = (change.before, change.after) if backward else (change.after, change.before)
            return (
                f"{data} data may hold {written} at {path}, which {schema} ({reading}) may reject "
                "(every JSON Schema type change counts as breaking)"
            )
        case "symbol_removed" if backward:
            enum_path, symbol = symbol_parts(change)
            return f"old data may hold {symbol} at {enum_path or 'the root'}, which the new enum rejects"
        case "symbol_added" if not backward:
            enum_path, symbol = symbol_parts(change)
            return f"new data may hold {symbol} at {enum_path or 'the root'}, which old readers' enum rejects"
    return None
