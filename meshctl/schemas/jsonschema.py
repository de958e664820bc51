"""JSON Schema: validate the structure of a schema, diff two versions property by property and judge the changes.

Simplifications, on purpose: properties are walked through "properties", "items" and local "$ref"s only
(not through allOf/anyOf/oneOf, patternProperties or conditionals); a property's type is compared as a
whole description, and any type change is treated as breaking in both directions; adding a property is
never breaking, whatever "additionalProperties" says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from meshctl.schemas import jsontext
from meshctl.schemas.jsontext import JsonDoc, JsonPath, dumps, kind_of
from meshctl.schemas.model import FieldChange, SchemaError, join_path, symbol_parts

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
_NUMBERS = ("minimum", "maximum", "multipleOf")
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
    doc = jsontext.load(text)
    if not isinstance(doc.value, dict):
        raise doc.error(f"a JSON Schema must be an object, found {kind_of(doc.value)}", ())
    _Checker(doc).schema(doc.value, ())
    return doc.value


class _Checker:
    def __init__(self, doc: JsonDoc) -> None:
        self.doc = doc

    def fail(self, message: str, path: JsonPath) -> SchemaError:
        return self.doc.error(message, path)

    def schema(self, node: Any, path: JsonPath) -> None:
        if isinstance(node, bool):  # true/false: accept or reject everything
            return
        if not isinstance(node, dict):
            raise self.fail(f"a schema must be an object or a boolean, found {kind_of(node)}", path)
        types = self.types(node, path)
        for key in _SCHEMA_MAPS:
            if key in node:
                members = self.mapping(node[key], key, (*path, key))
                for name, member in members.items():
                    self.schema(member, (*path, key, name))
        for key in _SCHEMA_LISTS:
            if key in node:
                self.schema_list(node[key], key, (*path, key))
        for key in _SCHEMAS:
            if key in node:
                self.schema(node[key], (*path, key))
        if "items" in node:
            items = node["items"]
            if isinstance(items, list):  # draft 4-2019 tuple form
                self.schema_list(items, "items", (*path, "items"), allow_empty=True)
            else:
                self.schema(items, (*path, "items"))
        self.keywords(node, path)
        if "default" in node and types and not any(_MATCHES[t](node["default"]) for t in types):
            raise self.fail(f"default {dumps(node['default'])} is not of type {' or '.join(types)}", (*path, "default"))

    def types(self, node: dict[str, Any], path: JsonPath) -> list[str]:
        if "type" not in node:
            return []
        value = node["type"]
        types = value if isinstance(value, list) else [value]
        if not types:
            raise self.fail('"type" must not be an empty list', (*path, "type"))
        for index, name in enumerate(types):
            where = (*path, "type", index) if isinstance(value, list) else (*path, "type")
            if name not in TYPES:
                raise self.fail(f"unknown type {dumps(name)}: expected one of {', '.join(TYPES)}", where)
            if name in types[:index]:
                raise self.fail(f'"type" lists {name} twice', where)
        return types

    def mapping(self, value: Any, key: str, path: JsonPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f'"{key}" must be an object, found {kind_of(value)}', path)
        return value

    def schema_list(self, value: Any, key: str, path: JsonPath, allow_empty: bool = False) -> None:
        if not isinstance(value, list) or not (value or allow_empty):
            raise self.fail(f'"{key}" must be a non-empty list of schemas', path)
        for index, member in enumerate(value):
            self.schema(member, (*path, index))

    def keywords(self, node: dict[str, Any], path: JsonPath) -> None:
        if "required" in node:
            required = node["required"]
            if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
                raise self.fail('"required" must be a list of property names (strings)', (*path, "required"))
            for index, name in enumerate(required):
                if name in required[:index]:
                    raise self.fail(f'"required" lists "{name}" twice', (*path, "required", index))
        if "enum" in node and not isinstance(node["enum"], list):
            raise self.fail(f'"enum" must be a list, found {kind_of(node["enum"])}', (*path, "enum"))
        for key in _COUNTS:
            value = node.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(f'"{key}" must be a non-negative integer', (*path, key))
        for key in _NUMBERS:
            value = node.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(f'"{key}" must be a number', (*path, key))
        if "$ref" in node:
            self.ref(node["$ref"], (*path, "$ref"))

    def ref(self, ref: Any, path: JsonPath) -> None:
        if not isinstance(ref, str):
            raise self.fail(f'"$ref" must be a string, found {kind_of(ref)}', path)
        if (ref == "#" or ref.startswith("#/")) and _pointer(self.doc.value, ref) is _MISSING:
            raise self.fail(f'"$ref" {dumps(ref)} does not point to anything in this schema', path)


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
