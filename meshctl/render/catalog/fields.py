"""A product's schema (Avro, JSON Schema, Protobuf) as ODCS schema properties. Pure.

Each field becomes an ODCS property: its name, a logical type from ODCS's closed list (string,
date, timestamp, time, number, integer, object, array, boolean) where one fits, the type as the
format spells it in `physicalType`, whether it must be present (`required`), nested properties
for records/objects/messages and `items` for arrays. What ODCS has no key for (an enum's
symbols) is a custom property. A type that refers to itself is expanded once: the second time
it is named, not expanded again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from meshctl.schemas import avro, jsontext, protobuf
from meshctl.schemas.jsonschema import describe

Property = dict[str, Any]

# Deeper than any real schema: beyond it a nested type is named, not expanded.
_MAX_DEPTH = 16


def properties(schema_type: str, text: str) -> tuple[str, str, list[Property]]:
    """(the root type's name, its description, its fields as ODCS properties)."""
    if schema_type == "AVRO":
        name, doc, found = _Avro(text).root()
    elif schema_type == "JSON":
        name, doc, found = _Json(text).root()
    else:
        name, doc, found = _Protobuf(text).root()
    return name, doc, [_ordered(p) for p in found]


# The order keys are written in: what a reader looks for first.
_KEY_ORDER = ("name", "logicalType", "physicalType", "description", "required", "properties", "items")


def _ordered(body: Property) -> Property:
    out = {k: body[k] for k in _KEY_ORDER if k in body}
    out |= {k: v for k, v in body.items() if k not in out}
    if "properties" in out:
        out["properties"] = [_ordered(p) for p in out["properties"]]
    if "items" in out:
        out["items"] = _ordered(out["items"])
    return out


def _property(name: str, body: Property) -> Property:
    return {"name": name, **body}


def _enum(physical: str, symbols: list[Any]) -> Property:
    return {
        "logicalType": "string",
        "physicalType": physical,
        "customProperties": [{"property": "allowedValues", "value": list(symbols)}],
    }


# --- Avro -------------------------------------------------------------------------------------------------------

_AVRO_LOGICAL = {
    "date": "date",
    "time-millis": "time",
    "time-micros": "time",
    "timestamp-millis": "timestamp",
    "timestamp-micros": "timestamp",
    "timestamp-nanos": "timestamp",
    "local-timestamp-millis": "timestamp",
    "local-timestamp-micros": "timestamp",
    "local-timestamp-nanos": "timestamp",
}
_AVRO_PRIMITIVE = {
    "boolean": "boolean",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "bytes": "string",
    "string": "string",
}


class _Avro:
    def __init__(self, text: str) -> None:
        self.root_type = avro.parse(text)
        # The docs: the parsed graph keeps types, not documentation (record fullname -> field -> doc).
        self.docs: dict[str, dict[str, str]] = {}
        self.record_docs: dict[str, str] = {}
        self._collect_docs(jsontext.parse(text), "")

    def _collect_docs(self, node: Any, space: str) -> None:
        if isinstance(node, list):
            for branch in node:
                self._collect_docs(branch, space)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") in ("record", "error", "enum", "fixed") and isinstance(node.get("name"), str):
            name, namespace = node["name"], node.get("namespace")
            if "." not in name and isinstance(namespace, str):
                space = namespace
            fullname = name if "." in name or not space else f"{space}.{name}"
            space = fullname.rpartition(".")[0]
            if isinstance(node.get("doc"), str):
                self.record_docs[fullname] = node["doc"]
            for f in node.get("fields", []) if isinstance(node.get("fields"), list) else []:
                if isinstance(f, dict) and isinstance(f.get("name"), str):
                    if isinstance(f.get("doc"), str):
                        self.docs.setdefault(fullname, {})[f["name"]] = f["doc"]
                    self._collect_docs(f.get("type"), space)
            return
        for key in ("type", "items", "values"):
            self._collect_docs(node.get(key), space)

    def root(self) -> tuple[str, str, list[Property]]:
        t = self.root_type
        if isinstance(t, avro.Record):
            return avro.short_name(t.fullname), self.record_docs.get(t.fullname, ""), self._fields(t, (t,))
        return "value", "", [_property("value", self._type(t, (), True))]

    def _fields(self, record: avro.Record, seen: tuple[avro.Record, ...]) -> list[Property]:
        docs = self.docs.get(record.fullname, {})
        out = []
        for f in record.fields:
            optional = isinstance(f.type, avro.Union) and any(_is_null(b) for b in f.type.branches)
            body = self._type(f.type, seen, not optional)
            if f.name in docs:
                body["description"] = docs[f.name]
            out.append(_property(f.name, body))
        return out

    def _type(self, t: avro.AvroType, seen: tuple[avro.Record, ...], required: bool) -> Property:
        physical = avro.describe_type(t)
        if isinstance(t, avro.Union):
            others = [b for b in t.branches if not _is_null(b)]
            if len(others) == 1:  # ["null", X]: an optional X
                return {**self._type(others[0], seen, False), "physicalType": physical, "required": False}
            return {"physicalType": physical, "required": required}
        body: Property = {"required": required}
        if isinstance(t, avro.Primitive):
            logical = _AVRO_LOGICAL.get(t.logical or "")
            if t.logical and t.logical.startswith("decimal"):
                logical = "number"
            kind = logical or _AVRO_PRIMITIVE.get(t.name)
            if kind:
                body["logicalType"] = kind
        elif isinstance(t, avro.Enum):
            body.update(_enum(physical, list(t.symbols)))
        elif isinstance(t, avro.Fixed):
            body["logicalType"] = "string"
        elif isinstance(t, avro.Array):
            body["logicalType"] = "array"
            item = self._type(t.items, seen, True)
            item.pop("required", None)
            body["items"] = item
        elif isinstance(t, avro.Map):
            body["logicalType"] = "object"
        elif isinstance(t, avro.Record):
            body["logicalType"] = "object"
            if t not in seen and len(seen) < _MAX_DEPTH:
                body["properties"] = self._fields(t, (*seen, t))
        body["physicalType"] = physical
        return body


def _is_null(t: avro.AvroType) -> bool:
    return isinstance(t, avro.Primitive) and t.name == "null"


# --- JSON Schema ------------------------------------------------------------------------------------------------

_JSON_FORMATS = {"date": "date", "date-time": "timestamp", "time": "time"}
_JSON_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


class _Json:
    def __init__(self, text: str) -> None:
        self.doc = jsontext.parse(text)

    def root(self) -> tuple[str, str, list[Property]]:
        node = self._resolve(self.doc, ())[0]
        name = node.get("title") if isinstance(node, dict) else None
        description = node.get("description") if isinstance(node, dict) else None
        props = self._properties(node, (), 0) if isinstance(node, dict) else []
        return (
            (name if isinstance(name, str) else "value"),
            (description if isinstance(description, str) else ""),
            props,
        )

    def _resolve(self, node: Any, seen: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        """A local "$ref" followed (once per chain: a cycle stops at the second visit)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not (ref == "#" or ref.startswith("#/")) or len(seen) >= _MAX_DEPTH:
                return None, seen
            seen = (*seen, ref)
            node = _pointer(self.doc, ref)
        return node, seen

    def _properties(self, node: dict[str, Any], seen: tuple[str, ...], depth: int) -> list[Property]:
        members = node.get("properties")
        if not isinstance(members, dict):
            return []
        listed = node.get("required")
        required = listed if isinstance(listed, list) else []
        return [
            _property(str(name), self._type(member, seen, name in required, depth + 1))
            for name, member in members.items()
        ]

    def _type(self, raw: Any, seen: tuple[str, ...], required: bool, depth: int) -> Property:
        physical = describe(raw)
        node, seen = self._resolve(raw, seen)
        body: Property = {"required": required}
        if not isinstance(node, dict):
            return {**body, "physicalType": physical}
        declared = node.get("type")
        types = [t for t in declared if t != "null"] if isinstance(declared, list) else [declared]
        if isinstance(declared, list) and "null" in declared:
            body["required"] = False
        kind = _JSON_TYPES.get(types[0]) if len(types) == 1 and isinstance(types[0], str) else None
        if kind == "string" and _JSON_FORMATS.get(str(node.get("format"))):
            kind = _JSON_FORMATS[str(node.get("format"))]
        if isinstance(node.get("enum"), list):
            body.update(_enum(physical, node["enum"]))
            if kind:
                body["logicalType"] = kind
            else:
                body.pop("logicalType")
        elif kind:
            body["logicalType"] = kind
        if isinstance(node.get("description"), str):
            body["description"] = node["description"]
        if kind == "object" and depth < _MAX_DEPTH:
            nested = self._properties(node, seen, depth)
            if nested:
                body["properties"] = nested
        if kind == "array" and isinstance(node.get("items"), dict) and depth < _MAX_DEPTH:
            item = self._type(node["items"], seen, True, depth + 1)
            item.pop("required", None)
            body["items"] = item
        body["physicalType"] = physical
        return body


def _pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref[2:].split("/") if ref != "#" else []:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# --- Protobuf ---------------------------------------------------------------------------------------------------

_PROTO_SCALARS = {
    "double": "number",
    "float": "number",
    "bool": "boolean",
    "string": "string",
    "bytes": "string",
    **{t: "integer" for t in ("int32", "int64", "uint32", "uint64", "sint32", "sint64")},
    **{t: "integer" for t in ("fixed32", "fixed64", "sfixed32", "sfixed64")},
}
_PROTO_WELL_KNOWN = {
    "google.protobuf.Timestamp": "timestamp",
    "google.type.Date": "date",
    "google.type.TimeOfDay": "time",
    "google.protobuf.StringValue": "string",
    "google.protobuf.BoolValue": "boolean",
    "google.protobuf.DoubleValue": "number",
    "google.protobuf.FloatValue": "number",
    **{f"google.protobuf.{w}Value": "integer" for w in ("Int32", "Int64", "UInt32", "UInt64")},
}


class _Protobuf:
    def __init__(self, text: str) -> None:
        self.file = protobuf.parse(text)

    def root(self) -> tuple[str, str, list[Property]]:
        message = self.file.root
        if message is None:
            return "value", "", []
        return message.full_name.rpartition(".")[2], "", self._fields(message, (message.full_name,))

    def _fields(self, message: protobuf.ProtoMessage, seen: tuple[str, ...]) -> list[Property]:
        return [_property(f.name, self._field(f, message, seen)) for f in message.fields]

    def _field(self, f: protobuf.ProtoField, message: protobuf.ProtoMessage, seen: tuple[str, ...]) -> Property:
        value = self._value(f.type, message, seen)
        physical = value.pop("physicalType")
        required = f.label == "required"
        if f.key_type is not None:
            return {"logicalType": "object", "physicalType": f"map<{f.key_type}, {physical}>", "required": False}
        if f.label == "repeated":
            return {
                "logicalType": "array",
                "physicalType": f"repeated {physical}",
                "required": False,
                "items": {**value, "physicalType": physical},
            }
        return {**value, "physicalType": physical, "required": required}

    def _value(self, type_: str, message: protobuf.ProtoMessage, seen: tuple[str, ...]) -> Property:
        if type_ in _PROTO_SCALARS:
            return {"logicalType": _PROTO_SCALARS[type_], "physicalType": type_}
        full = self.file.resolve(type_, message.full_name)
        name = full or type_.lstrip(".")
        if name in _PROTO_WELL_KNOWN:
            return {"logicalType": _PROTO_WELL_KNOWN[name], "physicalType": name}
        found = self.file.types.get(full) if full else None
        if isinstance(found, protobuf.ProtoEnum):
            return _enum(name, list(found.values))
        body: Property = {"logicalType": "object", "physicalType": name}
        if isinstance(found, protobuf.ProtoMessage) and name not in seen and len(seen) < _MAX_DEPTH:
            body["properties"] = self._fields(found, (*seen, name))
        return body
