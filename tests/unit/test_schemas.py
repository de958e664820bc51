"""Schema validation, canonical text, field-level diffs and compatibility verdicts, table-driven. Pure."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from meshctl.schemas.diff import (
    COMPATIBILITY_LEVELS,
    SCHEMA_TYPES,
    FieldChange,
    SchemaError,
    breaking_changes,
    canonical,
    check_schema,
    diff_schemas,
    incompatible_changes,
)
from meshctl.schemas.model import CHANGE_KINDS

# --- builders --------------------------------------------------------------------------------------------------


def record(name: str, *fields: dict, **extra: object) -> dict:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name: str, type_: object, **extra: object) -> dict:
    return {"name": name, "type": type_, **extra}


def enum(name: str, *symbols: str, **extra: object) -> dict:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def avro(*fields: dict) -> str:
    return json.dumps(record("Order", *fields, namespace="shop"), indent=2)


def obj(required: tuple[str, ...] = (), **props: dict) -> dict:
    schema: dict = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def js(required: tuple[str, ...] = (), **props: dict) -> str:
    return json.dumps(obj(required, **props), indent=2)


def proto(body: str, syntax: str = "proto3") -> str:
    return f'syntax = "{syntax}";\npackage shop;\n\nmessage Order {{\n{body}\n}}\n'


ADDRESS_OLD = record("Address", f("street", "string"))
ADDRESS_NEW = record("Address", f("street", "string"), f("zip", "string", default=""))
STATUS = enum("Status", "NEW", "PAID", "CANCELLED")
NODE_OLD = record("Node", f("value", "int"), f("next", ["null", "Node"], default=None))
NODE_NEW = record(
    "Node", f("value", "int"), f("label", "string", default=""), f("next", ["null", "Node"], default=None)
)


def changes(schema_type: str, old: str, new: str) -> list[tuple[str, str, str | None, str | None]]:
    return [(c.kind, c.path, c.before, c.after) for c in diff_schemas(schema_type, old, new)]


# --- diffs -----------------------------------------------------------------------------------------------------

AVRO_DIFFS = {
    "identical": (avro(f("id", "long")), avro(f("id", "long")), []),
    "nested field added with a default": (
        avro(f("customer", record("Customer", f("address", ADDRESS_OLD)))),
        avro(f("customer", record("Customer", f("address", ADDRESS_NEW)))),
        [("added", "customer.address.zip", None, 'string (default "")')],
    ),
    "field removed": (
        avro(f("id", "long"), f("qty", "int", default=0)),
        avro(f("id", "long")),
        [("removed", "qty", "int (default 0)", None)],
    ),
    "type promoted": (avro(f("qty", "int")), avro(f("qty", "long")), [("type_changed", "qty", "int", "long")]),
    "null added to a union": (
        avro(f("note", "string")),
        avro(f("note", ["null", "string"], default=None)),
        [
            ("type_changed", "note", "string", "[null, string]"),
            ("default_added", "note", "string", "[null, string] (default null)"),
        ],
    ),
    "default removed": (
        avro(f("qty", "int", default=0)),
        avro(f("qty", "int")),
        [("default_removed", "qty", "int (default 0)", "int")],
    ),
    "default changed": (
        avro(f("qty", "int", default=0)),
        avro(f("qty", "int", default=1)),
        [("default_changed", "qty", "int (default 0)", "int (default 1)")],
    ),
    "renamed through an alias": (
        avro(f("zip", "string")),
        avro(f("postal_code", "string", aliases=["zip"])),
        [("renamed_alias", "postal_code", "zip: string", "postal_code: string")],
    ),
    "enum symbols added and removed": (
        avro(f("status", STATUS)),
        avro(f("status", enum("Status", "NEW", "PAID", "REFUNDED"))),
        [
            ("symbol_removed", "status.CANCELLED", "CANCELLED", None),
            ("symbol_added", "status.REFUNDED", None, "REFUNDED"),
        ],
    ),
    "enum default: fallback recorded on symbol changes": (
        avro(f("status", enum("Status", "UNKNOWN", "NEW", default="UNKNOWN"))),
        avro(f("status", enum("Status", "UNKNOWN", "PAID", default="UNKNOWN"))),
        [("symbol_removed", "status.NEW", "NEW", "UNKNOWN"), ("symbol_added", "status.PAID", "UNKNOWN", "PAID")],
    ),
    "enum default added": (
        avro(f("status", enum("Status", "NEW"))),
        avro(f("status", enum("Status", "NEW", default="NEW"))),
        [("default_added", "status", "enum Status", "enum Status (default NEW)")],
    ),
    "linked list: recursive record walked once": (
        json.dumps(NODE_OLD),
        json.dumps(NODE_NEW),
        [("added", "label", None, 'string (default "")')],
    ),
    "named type referenced twice is walked once": (
        avro(f("billing", ADDRESS_OLD), f("shipping", "Address")),
        avro(f("billing", ADDRESS_NEW), f("shipping", "Address")),
        [("added", "billing.zip", None, 'string (default "")')],
    ),
    "records inside arrays, maps and unions are walked": (
        avro(
            f("items", {"type": "array", "items": record("Item", f("sku", "string"))}),
            f("extra", {"type": "map", "values": record("Extra", f("a", "int"))}),
            f("gift", ["null", record("Gift", f("to", "string"))], default=None),
        ),
        avro(
            f("items", {"type": "array", "items": record("Item", f("sku", "bytes"))}),
            f("extra", {"type": "map", "values": record("Extra", f("a", "int"), f("b", "int", default=0))}),
            f("gift", ["null", record("Gift")], default=None),
        ),
        [
            ("added", "extra.b", None, "int (default 0)"),
            ("removed", "gift.to", "string", None),
            ("type_changed", "items.sku", "string", "bytes"),
        ],
    ),
    "logical type and fixed described": (
        avro(f("day", {"type": "int", "logicalType": "date"}), f("md5", {"type": "fixed", "name": "MD5", "size": 16})),
        avro(
            f("day", {"type": "long", "logicalType": "timestamp-millis"}),
            f("md5", {"type": "fixed", "name": "MD5", "size": 32}),
        ),
        [
            ("type_changed", "day", "int (date)", "long (timestamp-millis)"),
            ("type_changed", "md5", "MD5 (fixed 16)", "MD5 (fixed 32)"),
        ],
    ),
    "root record renamed": (
        json.dumps(record("Order", f("id", "long"))),
        json.dumps(record("Purchase", f("id", "int"))),
        [("type_changed", "", "Order", "Purchase"), ("type_changed", "id", "long", "int")],
    ),
    "whitespace and key order are no change": (
        avro(f("id", "long", doc="the id")),
        json.dumps({"fields": [{"doc": "the id", "type": "long", "name": "id"}], "name": "Order", "type": "record"}),
        [],
    ),
}

JSON_DIFFS = {
    "identical": (js(id={"type": "integer"}), js(id={"type": "integer"}), []),
    "optional property added": (
        js(id={"type": "integer"}),
        js(id={"type": "integer"}, note={"type": "string", "default": ""}),
        [("added", "note", None, 'string (default "")')],
    ),
    "required property added": (
        js(id={"type": "integer"}),
        js(("zip",), id={"type": "integer"}, zip={"type": "string"}),
        [("added", "zip", None, "string"), ("required_added", "zip", "optional", "required")],
    ),
    "required property removed": (
        js(("zip",), zip={"type": "string"}),
        js(),
        [("removed", "zip", "string", None), ("required_removed", "zip", "required", "optional")],
    ),
    "existing property becomes required": (
        js(zip={"type": "string"}),
        js(("zip",), zip={"type": "string"}),
        [("required_added", "zip", "optional", "required")],
    ),
    "type changed, type lists compared as sets": (
        js(qty={"type": "integer"}, note={"type": ["string", "null"]}),
        js(qty={"type": "string"}, note={"type": ["null", "string"]}),
        [("type_changed", "qty", "integer", "string")],
    ),
    "defaults added, changed, removed": (
        js(a={"type": "integer"}, b={"type": "integer", "default": 1}, c={"type": "integer", "default": 1}),
        js(a={"type": "integer", "default": 0}, b={"type": "integer", "default": 2}, c={"type": "integer"}),
        [
            ("default_added", "a", "integer", "integer (default 0)"),
            ("default_changed", "b", "integer (default 1)", "integer (default 2)"),
            ("default_removed", "c", "integer (default 1)", "integer"),
        ],
    ),
    "enum values": (
        js(status={"type": "string", "enum": ["NEW", "PAID", "v1.0"]}),
        js(status={"type": "string", "enum": ["NEW", "REFUNDED"]}),
        [
            ("symbol_removed", "status.PAID", "PAID", None),
            ("symbol_added", "status.REFUNDED", None, "REFUNDED"),
            ("symbol_removed", "status.v1.0", "v1.0", None),
        ],
    ),
    "nested objects and array items": (
        js(customer=obj(address=obj(street={"type": "string"})), lines={"type": "array", "items": obj()}),
        js(
            customer=obj(address=obj(street={"type": "string"}, zip={"type": "string"})),
            lines={"type": "array", "items": obj(("sku",), sku={"type": "string"})},
        ),
        [
            ("added", "customer.address.zip", None, "string"),
            ("added", "lines.sku", None, "string"),
            ("required_added", "lines.sku", "optional", "required"),
        ],
    ),
    "$ref to a definition, recursive tree walked once": (
        json.dumps(
            {
                "$ref": "#/definitions/Node",
                "definitions": {"Node": obj(children={"type": "array", "items": {"$ref": "#/definitions/Node"}})},
            }
        ),
        json.dumps(
            {
                "$ref": "#/definitions/Node",
                "definitions": {
                    "Node": obj(
                        name={"type": "string"}, children={"type": "array", "items": {"$ref": "#/definitions/Node"}}
                    )
                },
            }
        ),
        [("added", "name", None, "string")],
    ),
}

ORDER_ENUMS = "  enum Status { UNKNOWN = 0; NEW = 1; PAID = 2; }\n"

PROTO_DIFFS = {
    "identical up to comments": (
        proto("  int64 id = 1;"),
        proto("  // the id\n  int64   id = 1; /* really */"),
        [],
    ),
    "field added": (
        proto("  int64 id = 1;"),
        proto("  int64 id = 1;\n  optional string note = 2;"),
        [("added", "note", None, "optional string = 2")],
    ),
    "field removed with its number reserved": (
        proto("  int64 id = 1;\n  string note = 2;"),
        proto("  int64 id = 1;\n  reserved 2;"),
        [("removed", "note", "string = 2", "number 2 reserved")],
    ),
    "field removed, number left free": (
        proto("  int64 id = 1;\n  string note = 2;"),
        proto("  int64 id = 1;"),
        [("removed", "note", "string = 2", None)],
    ),
    "type changed, repeated and maps included": (
        proto("  int32 qty = 1;\n  string tag = 2;\n  map<string, int32> counts = 3;"),
        proto("  int64 qty = 1;\n  repeated string tag = 2;\n  map<string, int64> counts = 3;"),
        [
            ("type_changed", "counts", "map<string, int32>", "map<string, int64>"),
            ("type_changed", "qty", "int32", "int64"),
            ("type_changed", "tag", "string", "repeated string"),
        ],
    ),
    "number changed": (
        proto("  int64 id = 1;"),
        proto("  int64 id = 5;"),
        [("number_changed", "id", "1", "5")],
    ),
    "renamed: same number, new name": (
        proto("  int64 id = 1;"),
        proto("  int64 order_id = 1;"),
        [("renamed", "order_id", "id = 1", "order_id = 1")],
    ),
    "nested message, enum values and oneof fields": (
        proto(
            "  Customer customer = 1;\n  Status status = 2;\n  oneof contact { string email = 3; }\n"
            "  message Customer { Address address = 1; }\n  message Address { string street = 1; }\n" + ORDER_ENUMS
        ),
        proto(
            "  Customer customer = 1;\n  Status status = 2;\n  oneof contact { string email = 3; string phone = 4; }\n"
            "  message Customer { Address address = 1; }\n  message Address { string street = 1; string zip = 2; }\n"
            "  enum Status { UNKNOWN = 0; NEW = 1; REFUNDED = 2; }\n"
        ),
        [
            ("added", "customer.address.zip", None, "string = 2"),
            ("added", "phone", None, "string = 4"),
            ("symbol_removed", "status.PAID", "PAID = 2", None),
            ("symbol_added", "status.REFUNDED", None, "REFUNDED = 2"),
        ],
    ),
    "recursive message walked once": (
        proto("  int64 id = 1;\n  Order parent = 2;\n  repeated Order children = 3;"),
        proto("  int64 id = 1;\n  Order parent = 2;\n  repeated Order children = 3;\n  string name = 4;"),
        [("added", "name", None, "string = 4")],
    ),
    "proto2 required and defaults": (
        proto("  optional int32 qty = 1 [default = 1];\n  optional string note = 2;", syntax="proto2"),
        proto(
            "  optional int32 qty = 1 [default = 5];\n  required string note = 2;\n  required int64 id = 3;",
            syntax="proto2",
        ),
        [
            ("added", "id", None, "required int64 = 3"),
            ("required_added", "id", None, "required"),
            ("required_added", "note", "optional", "required"),
            ("default_changed", "qty", "optional int32 = 1 (default 1)", "optional int32 = 1 (default 5)"),
        ],
    ),
    "package changed: root type changes": (
        proto("  int64 id = 1;"),
        proto("  int64 id = 1;").replace("package shop;", "package store;"),
        [("type_changed", "", "shop.Order", "store.Order")],
    ),
}


@pytest.mark.parametrize(
    "schema_type, old, new, expected",
    [("AVRO", *case) for case in AVRO_DIFFS.values()]
    + [("JSON", *case) for case in JSON_DIFFS.values()]
    + [("PROTOBUF", *case) for case in PROTO_DIFFS.values()],
    ids=[f"avro: {n}" for n in AVRO_DIFFS] + [f"json: {n}" for n in JSON_DIFFS] + [f"proto: {n}" for n in PROTO_DIFFS],
)
def test_diff(schema_type: str, old: str, new: str, expected: list) -> None:
    assert changes(schema_type, old, new) == expected


def test_every_change_kind_is_covered() -> None:
    seen = {
        kind
        for table in (AVRO_DIFFS, JSON_DIFFS, PROTO_DIFFS)
        for *_, expected in table.values()
        for kind, *_ in expected
    }
    assert seen == set(CHANGE_KINDS)


# --- verdicts --------------------------------------------------------------------------------------------------

# (old, new, the directions the diff breaks: "backward", "forward", "both" or ""); every level is derived from it.
AVRO_VERDICTS = {
    "field added without a default": (avro(f("id", "long")), avro(f("id", "long"), f("zip", "string")), "backward"),
    "field added with a default": (avro(f("id", "long")), avro(f("id", "long"), f("zip", "string", default="")), ""),
    "field removed without a default": (avro(f("id", "long"), f("zip", "string")), avro(f("id", "long")), "forward"),
    "field removed with a default": (avro(f("id", "long"), f("zip", "string", default="")), avro(f("id", "long")), ""),
    "promotion int->long is backward only": (avro(f("qty", "int")), avro(f("qty", "long")), "forward"),
    "promotion int->double": (avro(f("qty", "int")), avro(f("qty", "double")), "forward"),
    "promotion float->double": (avro(f("x", "float")), avro(f("x", "double")), "forward"),
    "narrowing long->int": (avro(f("qty", "long")), avro(f("qty", "int")), "backward"),
    "narrowing double->float": (avro(f("x", "double")), avro(f("x", "float")), "backward"),
    "string<->bytes is fine both ways": (avro(f("raw", "string")), avro(f("raw", "bytes")), ""),
    "int->string breaks both": (avro(f("qty", "int")), avro(f("qty", "string")), "both"),
    "logical type change resolves as its base type": (
        avro(f("at", {"type": "long", "logicalType": "timestamp-millis"})),
        avro(f("at", {"type": "long", "logicalType": "timestamp-micros"})),
        "",
    ),
    "fixed size change breaks both": (
        avro(f("h", {"type": "fixed", "name": "H", "size": 16})),
        avro(f("h", {"type": "fixed", "name": "H", "size": 32})),
        "both",
    ),
    "union branch added": (avro(f("note", "string")), avro(f("note", ["null", "string"])), "forward"),
    "union branch removed": (avro(f("note", ["null", "string"], default=None)), avro(f("note", "string")), "backward"),
    "union branch swapped": (
        avro(f("note", ["null", "string"], default=None)),
        avro(f("note", ["null", "long"], default=None)),
        "both",
    ),
    "int into a union with long": (avro(f("qty", "int")), avro(f("qty", ["null", "long"])), "forward"),
    "array items promoted": (
        avro(f("xs", {"type": "array", "items": "int"})),
        avro(f("xs", {"type": "array", "items": "long"})),
        "forward",
    ),
    "enum symbol removed, no default": (
        avro(f("status", STATUS)),
        avro(f("status", enum("Status", "NEW", "PAID"))),
        "backward",
    ),
    "enum symbol removed, new enum has a default": (
        avro(f("status", STATUS)),
        avro(f("status", enum("Status", "NEW", "PAID", default="NEW"))),
        "",
    ),
    "enum symbol added, no default": (
        avro(f("status", STATUS)),
        avro(f("status", enum("Status", "NEW", "PAID", "CANCELLED", "REFUNDED"))),
        "forward",
    ),
    "enum symbol added, old enum has a default": (
        avro(f("status", enum("Status", "NEW", default="NEW"))),
        avro(f("status", enum("Status", "NEW", "PAID", default="NEW"))),
        "",
    ),
    "rename through an alias, no default": (
        avro(f("zip", "string")),
        avro(f("postal_code", "string", aliases=["zip"])),
        "forward",
    ),
    "rename through an alias, with a default": (
        avro(f("zip", "string", default="")),
        avro(f("postal_code", "string", aliases=["zip"], default="")),
        "",
    ),
    "recursive record, field added without default": (
        json.dumps(NODE_OLD),
        json.dumps(record("Node", f("value", "int"), f("label", "string"), f("next", ["null", "Node"], default=None))),
        "backward",
    ),
    "default changed": (avro(f("qty", "int", default=0)), avro(f("qty", "int", default=1)), ""),
}

JSON_VERDICTS = {
    "optional property added": (js(), js(note={"type": "string"}), ""),
    "optional property removed": (js(note={"type": "string"}), js(), ""),
    "required property added": (js(), js(("zip",), zip={"type": "string"}), "backward"),
    "required property removed": (js(("zip",), zip={"type": "string"}), js(), "forward"),
    "type changed breaks both, even integer->number": (js(n={"type": "integer"}), js(n={"type": "number"}), "both"),
    "enum value removed": (
        js(s={"type": "string", "enum": ["A", "B"]}),
        js(s={"type": "string", "enum": ["A"]}),
        "backward",
    ),
    "enum value added": (
        js(s={"type": "string", "enum": ["A"]}),
        js(s={"type": "string", "enum": ["A", "B"]}),
        "forward",
    ),
    "default changed": (js(n={"type": "integer", "default": 1}), js(n={"type": "integer", "default": 2}), ""),
}

PROTO_VERDICTS = {
    "field added": (proto("  int64 id = 1;"), proto("  int64 id = 1;\n  string note = 2;"), ""),
    "field removed, number reserved": (
        proto("  int64 id = 1;\n  string note = 2;"),
        proto("  int64 id = 1;\n  reserved 2;"),
        "",
    ),
    "field removed, number not reserved": (
        proto("  int64 id = 1;\n  string note = 2;"),
        proto("  int64 id = 1;"),
        "forward",
    ),
    "number changed": (proto("  int64 id = 1;"), proto("  int64 id = 2;"), "both"),
    "type changed": (proto("  int64 id = 1;"), proto("  string id = 1;"), "both"),
    "renamed": (proto("  int64 id = 1;"), proto("  int64 order_id = 1;"), ""),
    "enum value added": (
        proto("  Status s = 1;\n" + ORDER_ENUMS),
        proto("  Status s = 1;\n  enum Status { UNKNOWN = 0; NEW = 1; PAID = 2; REFUNDED = 3; }"),
        "",
    ),
    "proto2 required added": (
        proto("  optional int64 id = 1;", syntax="proto2"),
        proto("  required int64 id = 1;", syntax="proto2"),
        "backward",
    ),
    "proto2 required removed": (
        proto("  required int64 id = 1;", syntax="proto2"),
        proto("  optional int64 id = 1;", syntax="proto2"),
        "forward",
    ),
}


def expected_rules(broken: str, level: str) -> list[str]:
    """The rule prefixes `level` should report when the change breaks `broken` ("backward", "forward", "both")."""
    directions = [d for d in ("backward", "forward") if broken in (d, "both")]
    if level.startswith("FULL"):
        return [f"{level} ({d})" for d in directions]
    return [level] if level.lower().startswith(tuple(directions)) else []


def verdict_cases() -> list:
    tables = (("AVRO", AVRO_VERDICTS), ("JSON", JSON_VERDICTS), ("PROTOBUF", PROTO_VERDICTS))
    return [
        pytest.param(schema_type, old, new, level, expected_rules(broken, level), id=f"{schema_type}: {name}: {level}")
        for schema_type, table in tables
        for name, (old, new, broken) in table.items()
        for level in COMPATIBILITY_LEVELS
    ]


@pytest.mark.parametrize("schema_type, old, new, level, expected", verdict_cases())
def test_breaking(schema_type: str, old: str, new: str, level: str, expected: list[str]) -> None:
    found = breaking_changes(schema_type, diff_schemas(schema_type, old, new), level)
    assert [b.rule.partition(": ")[0] for b in found] == expected


RULE_TEXTS = {
    "added field names the fix": (
        "AVRO",
        avro(f("id", "long")),
        avro(f("id", "long"), f("zip", "string")),
        "BACKWARD",
        "BACKWARD: a new reader cannot fill field zip when reading old data: give it a default",
    ),
    "narrowing names the promotion rules": (
        "AVRO",
        avro(f("qty", "long")),
        avro(f("qty", "int")),
        "BACKWARD",
        "BACKWARD: old data may hold long in field qty, which the new type int cannot read "
        "(Avro promotes only int->long/float/double, long->float/double, float->double and string<->bytes)",
    ),
    "removed union branch is named": (
        "AVRO",
        avro(f("note", ["null", "string"], default=None)),
        avro(f("note", "string")),
        "BACKWARD",
        "BACKWARD: old data may hold null in field note, which the new type string cannot read "
        "(Avro promotes only int->long/float/double, long->float/double, float->double and string<->bytes)",
    ),
    "enum symbol": (
        "AVRO",
        avro(f("status", STATUS)),
        avro(f("status", enum("Status", "NEW", "PAID"))),
        "BACKWARD",
        "BACKWARD: old data may hold CANCELLED in status, which the new enum lacks and has no default to fall back on",
    ),
    "unreserved protobuf number": (
        "PROTOBUF",
        proto("  int64 id = 1;\n  string note = 2;"),
        proto("  int64 id = 1;"),
        "FORWARD",
        "FORWARD: note was removed without reserving 2: old readers see it unset, and a later field could reuse "
        "the number with another type; add `reserved 2;`",
    ),
    "json required": (
        "JSON",
        js(),
        js(("zip",), zip={"type": "string"}),
        "FULL",
        "FULL (backward): the new schema requires zip, which old data may lack",
    ),
}


@pytest.mark.parametrize("schema_type, old, new, level, rule", RULE_TEXTS.values(), ids=list(RULE_TEXTS))
def test_rule_text(schema_type: str, old: str, new: str, level: str, rule: str) -> None:
    assert [b.rule for b in breaking_changes(schema_type, diff_schemas(schema_type, old, new), level)] == [rule]


def test_breaking_takes_hand_made_changes() -> None:
    """Verdicts come from the FieldChange alone, so callers can filter or build changes themselves."""
    widen = FieldChange("type_changed", "a.b", "[null, int]", "[null, long, string]")
    narrow = FieldChange("type_changed", "a.c", "array<float>", "array<int>")
    found = breaking_changes("avro", [widen, narrow], "full_transitive")
    assert [(b.change.path, b.rule.partition(":")[0]) for b in found] == [
        ("a.b", "FULL_TRANSITIVE (forward)"),
        ("a.c", "FULL_TRANSITIVE (backward)"),
    ]


# --- against the registered versions: the latest, or all of them for the transitive levels -----------------

# v3 reads v2's data (zip is there) but not v1's (no zip, and v3 gives it no default).
HISTORY = {
    1: avro(f("id", "long")),
    2: avro(f("id", "long"), f("zip", "string", default="")),
}
V3 = avro(f("id", "long"), f("zip", "string"))


@pytest.mark.parametrize(
    "level, rules",
    [
        ("BACKWARD", []),
        ("FULL", []),
        (
            "BACKWARD_TRANSITIVE",
            [
                "BACKWARD_TRANSITIVE (against version 1): a new reader cannot fill field zip when reading old data: "
                "give it a default"
            ],
        ),
        ("FORWARD_TRANSITIVE", []),
        (
            "FULL_TRANSITIVE",
            [
                "FULL_TRANSITIVE (backward, against version 1): a new reader cannot fill field zip when reading old "
                "data: give it a default"
            ],
        ),
    ],
)
def test_transitive_levels_judge_every_registered_version(level: str, rules: list[str]) -> None:
    found = incompatible_changes("AVRO", HISTORY, V3, level)
    assert [b.rule for b in found] == rules
    assert [b.version for b in found] == [1] * len(rules)


def test_transitive_reports_each_version_it_breaks_newest_first() -> None:
    history = {1: avro(f("qty", "int")), 3: avro(f("qty", "long")), 2: avro(f("qty", "float"))}
    found = incompatible_changes("AVRO", history, avro(f("qty", "int")), "BACKWARD_TRANSITIVE")
    assert [(b.version, b.change.before, b.change.after) for b in found] == [(3, "long", "int"), (2, "float", "int")]
    latest_only = incompatible_changes("AVRO", history, avro(f("qty", "int")), "BACKWARD")
    assert [(b.version, b.rule.partition(":")[0]) for b in latest_only] == [(None, "BACKWARD")]


def test_incompatible_changes_for_every_format() -> None:
    assert [b.rule.partition(":")[0] for b in incompatible_changes("JSON", {1: js()}, js(("zip",)), "FULL")] == [
        "FULL (backward)"
    ]
    old, new = proto("  int64 id = 1;"), proto("  int64 id = 2;")
    assert len(incompatible_changes("PROTOBUF", {4: old}, new, "FULL_TRANSITIVE")) == 2
    assert incompatible_changes("PROTOBUF", {4: old}, new, "NONE") == []
    with pytest.raises(ValueError, match="expected one of"):
        incompatible_changes("AVRO", {1: old}, new, "SIDEWAYS")


def test_the_avro_library_decides_and_explains_what_the_rules_miss() -> None:
    """A record replaced by an enum of the same name: the diff sees no change, the library a type mismatch."""
    old = avro(f("state", record("State", f("code", "int"))))
    new = avro(f("state", enum("State", "ON", "OFF")))
    assert diff_schemas("AVRO", old, new) == []
    found = incompatible_changes("AVRO", {1: old}, new, "FULL")
    assert [b.rule.partition(": ")[0] for b in found] == ["FULL (backward)", "FULL (forward)"]
    assert all("says the Avro library: type mismatch at /fields/0/type" in b.rule for b in found), found
    assert found[0].change.describe() == "root type changed: Order -> Order"


def test_named_type_renamed_through_an_alias() -> None:
    """An unqualified alias names a type in its own namespace (the spec; the library compares it as written)."""
    old = avro(f("address", ADDRESS_OLD))
    new = avro(f("address", record("Place", f("street", "string"), aliases=["Address"])))
    assert changes("AVRO", old, new) == [("type_changed", "address", "Address", "Place (aka Address)")]
    found = incompatible_changes("AVRO", {1: old}, new, "FULL")
    assert [b.rule for b in found] == [
        "FULL (forward): new data may hold Place (aka Address) in field address, which old readers' type Address "
        "cannot read (Avro promotes only int->long/float/double, long->float/double, float->double and "
        "string<->bytes)"
    ]


def test_a_field_renamed_through_an_alias_is_missing_to_old_readers() -> None:
    """Old readers do not know the alias: they use their default, whatever the renamed field's type became."""
    old = avro(f("qty", "int", default=0))
    new = avro(f("quantity", ["null", "long"], default=None, aliases=["qty"]))
    assert incompatible_changes("AVRO", {1: old}, new, "FULL") == []
    without_default = avro(f("qty", "int"))
    found = incompatible_changes("AVRO", {1: without_default}, new, "FULL")
    assert [b.change.kind for b in found] == ["renamed_alias"]


def test_none_never_breaks() -> None:
    every = [FieldChange(kind, "x.y", None, None) for kind in CHANGE_KINDS]
    for schema_type in SCHEMA_TYPES:
        assert breaking_changes(schema_type, every, "NONE") == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_schema("XML", "{}"),
        lambda: breaking_changes("AVRO", [], "SIDEWAYS"),
        lambda: diff_schemas("THRIFT", "", ""),
    ],
    ids=["unknown type", "unknown level", "unknown type in diff"],
)
def test_unknown_names_are_value_errors(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        call()


# --- describe --------------------------------------------------------------------------------------------------

DESCRIBE = {
    "added": (
        FieldChange("added", "customer.address.zip", None, 'string (default "")'),
        'field customer.address.zip added: string (default "")',
    ),
    "removed and reserved": (
        FieldChange("removed", "note", "string = 2", "number 2 reserved"),
        "field note removed (was string = 2), number 2 reserved",
    ),
    "type changed": (FieldChange("type_changed", "qty", "int", "long"), "field qty type changed: int -> long"),
    "root": (FieldChange("type_changed", "", "Order", "Purchase"), "root type changed: Order -> Purchase"),
    "required": (FieldChange("required_added", "zip", "optional", "required"), "field zip is now required"),
    "symbol with fallback": (
        FieldChange("symbol_removed", "status.CANCELLED", "CANCELLED", "UNKNOWN"),
        "enum symbol status.CANCELLED removed (new readers read it as UNKNOWN)",
    ),
    "symbol": (FieldChange("symbol_added", "status.PAID", None, "PAID"), "enum symbol status.PAID added"),
    "number": (FieldChange("number_changed", "id", "1", "5"), "field id number changed: 1 -> 5"),
}


@pytest.mark.parametrize("change, text", DESCRIBE.values(), ids=list(DESCRIBE))
def test_describe(change: FieldChange, text: str) -> None:
    assert change.describe() == text


# --- validation ------------------------------------------------------------------------------------------------

VALID = {
    "avro: everything": (
        "AVRO",
        json.dumps(
            record(
                "Order",
                f("id", "long", doc="the id", order="descending"),
                f("status", enum("Status", "NEW", "PAID", default="NEW"), default="NEW"),
                f("md5", {"type": "fixed", "name": "MD5", "size": 2}, default="ab"),
                f("day", {"type": "int", "logicalType": "date"}),
                f("price", {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}),
                f("tags", {"type": "array", "items": "string"}, default=[]),
                f("attrs", {"type": "map", "values": ["null", "long"]}, default={"a": None}),
                f("address", record("Address", f("zip", "string", default=""), namespace="geo"), default={}),
                f("billing", "geo.Address", aliases=["bill"]),
                f("next", ["null", "Order"], default=None),
                f("ratio", "double", default=1),
                namespace="shop",
            )
        ),
    ),
    "avro: primitive root": ("AVRO", '"string"'),
    "avro: union root": ("AVRO", '["null", {"type": "record", "name": "A", "fields": []}]'),
    "json: everything": (
        "JSON",
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "minimum": 1, "default": 1},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 0},
                    "pair": {"type": "array", "items": [{"type": "string"}, True]},
                    "note": {"type": ["string", "null"], "default": None},
                    "kind": {"enum": ["a", "b"]},
                    "address": {"$ref": "#/definitions/Address"},
                    "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                },
                "required": ["id"],
                "additionalProperties": False,
                "definitions": {"Address": {"type": "object", "properties": {"zip": {"type": "string"}}}},
            }
        ),
    ),
    "json: an ECMA 262 pattern Python's re would refuse": ("JSON", '{"type": "string", "pattern": "^\\\\p{L}+$"}'),
    "proto: everything": (
        "PROTOBUF",
        """
        // leading comment
        syntax = "proto3";
        package shop.v1;
        import public "google/protobuf/timestamp.proto";
        option java_package = "com.shop.v1";
        option (my.opt).x = { a: 1 b: "x" };

        /* An order. */
        message Order {
          option deprecated = false;
          int64 id = 1 [json_name = "orderId", deprecated = true];
          optional string note = 2;
          repeated Item items = 3;
          map<string, int32> counts = 4;
          Status status = 5;
          google.protobuf.Timestamp placed_at = 6;
          .shop.v1.Order.Item first = 7;
          oneof contact {
            option (my.oneof_opt) = -1;
            string email = 8;
            string phone = 9;
          }
          reserved 10, 12 to 14, 100 to max;
          reserved "legacy", "old";
          message Item {
            string sku = 1;
            Order parent = 2;
            enum Unit { UNIT_UNSPECIFIED = 0; KG = 1 [deprecated = true]; }
            Unit unit = 3;
          }
          enum Status {
            option allow_alias = true;
            STATUS_UNKNOWN = 0;
            NEW = 1;
            FRESH = 1;
            reserved 5 to 9;
          }
          ;
        }
        extend google.protobuf.MessageOptions { optional string label = 50000; }
        service Orders {
          rpc Get (Order) returns (stream Order);
          rpc Put (stream Order) returns (Order) { option deprecated = true; }
        }
        """,
    ),
    "proto2 with labels, defaults, hex and octal": (
        "PROTOBUF",
        'syntax = "proto2";\nmessage A {\n  optional int32 a = 0x1 [default = -5];\n  required string b = 02;\n'
        "  repeated A c = 3;\n  optional E e = 4 [default = Y];\n  enum E { X = 1; Y = 2; }\n}\n",
    ),
    "proto without syntax is proto2": ("PROTOBUF", "message A { optional int32 a = 1; }"),
}


@pytest.mark.parametrize("schema_type, text", VALID.values(), ids=list(VALID))
def test_valid_schemas(schema_type: str, text: str) -> None:
    check_schema(schema_type, text)


BAD_AVRO_SYNTAX = '{\n  "type": "record",\n  "name": "A"\n  "fields": []\n}'
# (schema type, text, expected message substring, expected line)
INVALID = {
    "avro: JSON syntax error": ("AVRO", BAD_AVRO_SYNTAX, "invalid JSON: Expecting ',' delimiter", 4),
    "avro: unterminated JSON": ("AVRO", '{\n  "type": "record",\n', "invalid JSON", 3),
    "avro: unknown type name": (
        "AVRO",
        '{\n  "type": "record", "name": "A",\n  "fields": [\n    {"name": "a", "type": "strng"}\n  ]\n}',
        'unknown type "strng" (did you mean "string"?)',
        4,
    ),
    "avro: unknown named type": (
        "AVRO",
        json.dumps(record("A", f("a", "Adress"), f("b", record("Address"))), indent=2),
        'unknown type "Adress"',
        7,
    ),
    "avro: complex name used bare": ("AVRO", json.dumps(record("A", f("a", "record"))), '"record" must be written', 1),
    "avro: record without a name": ("AVRO", '{"type": "record",\n "fields": []}', 'a record needs a "name"', 1),
    "avro: record without fields": ("AVRO", '{"type": "record",\n "name": "A"}', 'record A needs a "fields" list', 1),
    "avro: fields not a list": ("AVRO", '{"type": "record", "name": "A",\n "fields": {}}', '"fields" list', 2),
    "avro: enum without symbols": (
        "AVRO",
        '{"type": "enum", "name": "E",\n "symbols": []}',
        'enum E needs a non-empty "symbols" list',
        2,
    ),
    "avro: enum symbol twice": ("AVRO", json.dumps(enum("E", "A", "A"), indent=1), "lists A twice", 6),
    "avro: enum default not a symbol": (
        "AVRO",
        json.dumps(enum("E", "A", default="B"), indent=1),
        'default "B" of enum E is not one of its symbols',
        7,
    ),
    "avro: default does not match": (
        "AVRO",
        '{"type": "record", "name": "A", "fields": [\n  {"name": "n",\n   "type": "int",\n   "default": "zero"}\n]}',
        'default "zero" of field "n" in record A does not match its type int',
        4,
    ),
    "avro: union default must match the first branch": (
        "AVRO",
        json.dumps(record("A", f("n", ["null", "string"], default="x")), indent=2),
        "a union's default must match its first branch",
        11,
    ),
    "avro: int default out of range": (
        "AVRO",
        json.dumps(record("A", f("n", "int", default=2**31))),
        "does not match",
        1,
    ),
    "avro: duplicate field": (
        "AVRO",
        '{"type": "record", "name": "A", "fields": [\n  {"name": "a", "type": "int"},\n'
        '  {"name": "a", "type": "long"}\n]}',
        'record A has two fields named "a"',
        3,
    ),
    "avro: field without a type": (
        "AVRO",
        json.dumps(record("A", {"name": "a"})),
        'field "a" of record A needs a "type"',
        1,
    ),
    "avro: bad field name": ("AVRO", json.dumps(record("A", f("a-b", "int"))), 'invalid name "a-b"', 1),
    "avro: type defined twice": (
        "AVRO",
        json.dumps(record("A", f("a", record("B")), f("b", record("B"))), indent=2),
        'type "B" is defined twice',
        17,
    ),
    "avro: union in a union": ("AVRO", '["null",\n ["int", "long"]]', "cannot contain another union", 2),
    "avro: duplicate union branch": ("AVRO", '["null",\n "string",\n "string"]', "cannot contain string twice", 3),
    "avro: empty union": ("AVRO", "[]", "at least one branch", 1),
    "avro: fixed without a size": ("AVRO", '{"type": "fixed", "name": "F",\n "size": -1}', '"size"', 2),
    "avro: array without items": ("AVRO", '{"type": "array"}', 'an array needs "items"', 1),
    "avro: not a schema": ("AVRO", "42", "expected a type name", 1),
    "avro: duplicate JSON key": ("AVRO", '{"type": "record",\n "type": "enum"}', 'duplicate key "type"', 2),
    "json: JSON syntax error": ("JSON", '{\n  "type": "object",\n  "properties": {,}\n}', "invalid JSON", 3),
    "json: not an object": ("JSON", '[\n  "type"\n]', "a JSON Schema must be an object, found a list", 1),
    "json: unknown type": (
        "JSON",
        '{\n  "type": "object",\n  "properties": {\n    "a": {"type": "strin"}\n  }\n}',
        'unknown type "strin"',
        4,
    ),
    "json: unknown type in a list": ("JSON", '{"type": ["null",\n "text"]}', 'unknown type "text"', 2),
    "json: properties not an object": (
        "JSON",
        '{\n  "type": "object",\n  "properties": ["a"]\n}',
        '"properties" must be an object, found a list',
        3,
    ),
    "json: required not strings": (
        "JSON",
        '{\n  "type": "object",\n  "required": ["a", 1]\n}',
        '"required" must be a list of property names',
        3,
    ),
    "json: required not a list": ("JSON", '{"required": "a"}', '"required" must be a list', 1),
    "json: subschema not an object": ("JSON", '{"properties": {\n "a": 3}}', "must be an object or a boolean", 2),
    "json: unresolved $ref": (
        "JSON",
        '{\n  "properties": {\n    "a": {"$ref": "#/definitions/Nope"}\n  }\n}',
        "does not point to anything",
        3,
    ),
    "json: default of the wrong type": (
        "JSON",
        '{"properties": {"n": {\n"type": "integer", "default": "1"}}}',
        "default",
        2,
    ),
    "json: negative count": ("JSON", '{"type": "string",\n "minLength": -1}', '"minLength" must be a non-negative', 2),
    "json: metaschema: pattern not a string": (
        "JSON",
        '{"type": "string",\n "pattern": 3}',
        '"pattern" must be a string',
        2,
    ),
    "json: metaschema of the draft named: 2020-12 items": (
        "JSON",
        '{"$schema": "https://json-schema.org/draft/2020-12/schema",\n "items": [{}]}',
        "a schema must be an object or a boolean, found a list",
        2,
    ),
    "json: metaschema of the draft named: draft 4": (
        "JSON",
        '{"$schema": "http://json-schema.org/draft-04/schema#",\n "exclusiveMinimum": true}',
        "'minimum' is a dependency of 'exclusiveMinimum'",
        1,
    ),
    "json: metaschema: elsewhere, the library's words at the path": (
        "JSON",
        '{"dependencies": {\n "a": 3}}',
        '"dependencies/a": 3 is not valid',
        2,
    ),
    "proto: missing semicolon": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  int32 a = 1\n}\n',
        'expected ";", found "}"',
        4,
    ),
    "proto: bad syntax": ("PROTOBUF", 'syntax = "proto4";', 'syntax must be "proto2" or "proto3"', 1),
    "proto: syntax not first": ("PROTOBUF", 'package a;\nsyntax = "proto3";', "must be the first statement", 2),
    "proto: unknown type": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  Adress a = 1;\n}',
        "unknown type Adress",
        3,
    ),
    "proto: duplicate number": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n  oneof o {\n    int32 b = 1;\n  }\n}',
        "fields a and b share number 1",
        5,
    ),
    "proto: duplicate field name": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n int32 a = 1;\n int64 a = 2;\n}',
        "defined twice",
        4,
    ),
    "proto: number zero": ("PROTOBUF", 'syntax = "proto3";\nmessage A { int32 a = 0; }', "out of range", 2),
    "proto: implementation-reserved number": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A { int32 a = 19001; }',
        "19000",
        2,
    ),
    "proto: reserved number used": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  reserved 2 to 4;\n  int32 a = 3;\n}',
        "uses number 3, which is reserved",
        4,
    ),
    "proto: reserved name used": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n reserved "a";\n int32 a = 1;\n}',
        "is reserved",
        4,
    ),
    "proto: map key": ("PROTOBUF", 'syntax = "proto3";\nmessage A {\n  map<double, int32> m = 1;\n}', "map key", 3),
    "proto: repeated map": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  repeated map<string, int32> m = 1;\n}',
        "map field",
        3,
    ),
    "proto: label in oneof": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  oneof o {\n    repeated int32 a = 1;\n  }\n}',
        "oneof o",
        4,
    ),
    "proto: required in proto3": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  required int32 a = 1;\n}',
        "not allowed in proto3",
        3,
    ),
    "proto: proto2 field without label": (
        "PROTOBUF",
        'syntax = "proto2";\nmessage A {\n  int32 a = 1;\n}',
        "needs a label",
        3,
    ),
    "proto: proto3 enum must start at 0": ("PROTOBUF", 'syntax = "proto3";\nenum E {\n  A = 1;\n}', "must be 0", 3),
    "proto: enum alias without allow_alias": (
        "PROTOBUF",
        'syntax = "proto3";\nenum E {\n  A = 0;\n  B = 0;\n}',
        "allow_alias",
        4,
    ),
    "proto: message not closed": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n',
        "message A is missing its closing",
        4,
    ),
    "proto: unterminated comment": ("PROTOBUF", 'syntax = "proto3";\n/* oops\nmessage A {}', "unterminated comment", 2),
    "proto: unterminated string": ("PROTOBUF", 'syntax = "proto3;\n', "unterminated string", 1),
    "proto: groups": ("PROTOBUF", "message A {\n  optional group G = 1 { }\n}", "groups are not supported", 2),
    "proto: type defined twice": ("PROTOBUF", "message A {}\nenum A { X = 0; }", '"A" is already defined', 2),
    "proto: bad octal": ("PROTOBUF", 'syntax = "proto3";\nmessage A { int32 a = 09; }', "not a valid octal", 2),
    "proto: stray word": ("PROTOBUF", 'syntax = "proto3";\n\nmesage A {}', 'expected "message"', 3),
}


@pytest.mark.parametrize("schema_type, text, message, line", INVALID.values(), ids=list(INVALID))
def test_invalid_schemas(schema_type: str, text: str, message: str, line: int) -> None:
    with pytest.raises(SchemaError) as caught:
        check_schema(schema_type, text)
    assert message in caught.value.message
    assert caught.value.line == line
    assert str(caught.value) == f"line {line}: {caught.value.message}"


def test_diff_validates_both_sides() -> None:
    with pytest.raises(SchemaError, match="unknown type"):
        diff_schemas("AVRO", avro(f("a", "int")), avro(f("a", "nope")))


# --- canonical -------------------------------------------------------------------------------------------------

AVRO_COMPACT = '{"type":"record","name":"A","doc":"an A","fields":[{"name":"a","type":"int"}]}'
CANONICAL = {
    "avro: whitespace and key order": (
        "AVRO",
        AVRO_COMPACT,
        '{\n  "fields": [ {"type": "int", "name": "a"} ],\n  "doc": "an A",\n  "name": "A",\n  "type": "record"\n}\n',
        True,
    ),
    "avro: docs are kept": ("AVRO", AVRO_COMPACT, AVRO_COMPACT.replace("an A", "an a"), False),
    "avro: unicode escapes": (
        "AVRO",
        '{"type": "string", "doc": "caf\\u00e9"}',
        '{"doc": "café", "type": "string"}',
        True,
    ),
    "json: key order": ("JSON", '{"type": "object", "required": []}', '{"required":[],"type":"object"}', True),
    "json: array order matters": ("JSON", '{"enum": ["a", "b"]}', '{"enum": ["b", "a"]}', False),
    "proto: comments and whitespace": (
        "PROTOBUF",
        'syntax = "proto3";\nmessage A {\n  int32 a = 1; // one\n  map<string,int32> m=2;\n}',
        '/* header */ syntax="proto3"; message A{int32 a=1;\n\n map < string , int32 > m = 2 ; }',
        True,
    ),
    "proto: a changed number is not": ("PROTOBUF", "message A { int32 a = 1; }", "message A { int32 a = 2; }", False),
}


@pytest.mark.parametrize("schema_type, left, right, equal", CANONICAL.values(), ids=list(CANONICAL))
def test_canonical(schema_type: str, left: str, right: str, equal: bool) -> None:
    assert (canonical(schema_type, left) == canonical(schema_type, right)) is equal


def test_canonical_proto_is_readable() -> None:
    text = 'syntax = "proto3"; message A { int32 a = 1 [deprecated = true]; enum E { X = 0; Y = -1; } }'
    assert canonical("PROTOBUF", text) == (
        'syntax = "proto3";\n'
        "message A {\n"
        "  int32 a = 1 [deprecated = true];\n"
        "  enum E {\n"
        "    X = 0;\n"
        "    Y = -1;\n"
        "  }\n"
        "}\n"
    )


def test_canonical_raises_on_invalid_json() -> None:
    with pytest.raises(SchemaError) as caught:
        canonical("AVRO", '{\n"a": }')
    assert caught.value.line == 2
