"""The pure parts of `meshctl export`: schemas as ODCS properties, Backstage names, SLA units."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from meshctl.mesh.contracts import Duration
from meshctl.render.catalog.fields import properties
from meshctl.render.catalog.names import Names
from meshctl.render.catalog.odcs import _amount
from meshctl.render.catalog.yamltext import dump, dump_all

BACKSTAGE_NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")


def _by_name(found: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(p["name"]): p for p in found}


def test_avro_types_map_to_odcs_logical_types() -> None:
    schema = {
        "type": "record",
        "name": "Order",
        "namespace": "acme",
        "doc": "An order",
        "fields": [
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
            {"name": "flag", "type": "boolean", "doc": "on or off"},
            {"name": "ratio", "type": ["null", "double"], "default": None},
            {"name": "either", "type": ["int", "string"]},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "attrs", "type": {"type": "map", "values": "long"}},
            {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["NEW", "DONE"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "MD5", "size": 16}},
            {
                "name": "address",
                "type": {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "string"}]},
            },
        ],
    }
    root, doc, found = properties("AVRO", json.dumps(schema))
    assert (root, doc) == ("Order", "An order")
    f = _by_name(found)
    assert f["day"]["logicalType"] == "date" and f["price"]["logicalType"] == "number"
    assert f["flag"] == {
        "name": "flag",
        "logicalType": "boolean",
        "physicalType": "boolean",
        "description": "on or off",
        "required": True,
    }
    assert f["ratio"]["logicalType"] == "number" and f["ratio"]["required"] is False
    assert "logicalType" not in f["either"] and f["either"]["physicalType"] == "[int, string]"
    assert f["tags"]["logicalType"] == "array" and f["tags"]["items"] == {
        "logicalType": "string",
        "physicalType": "string",
    }
    assert f["attrs"]["logicalType"] == "object" and f["attrs"]["physicalType"] == "map<long>"
    assert f["state"]["customProperties"] == [{"property": "allowedValues", "value": ["NEW", "DONE"]}]
    assert f["hash"]["logicalType"] == "string"
    assert f["address"]["properties"] == [
        {"name": "zip", "logicalType": "string", "physicalType": "string", "required": True}
    ]


def test_a_recursive_avro_record_is_expanded_once() -> None:
    schema = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
    _, _, found = properties("AVRO", json.dumps(schema))
    nxt = _by_name(found)["next"]
    assert nxt["logicalType"] == "object" and "properties" not in nxt and nxt["required"] is False


def test_a_non_record_avro_root_is_one_value_property() -> None:
    assert properties("AVRO", '"string"') == (
        "value",
        "",
        [{"name": "value", "logicalType": "string", "physicalType": "string", "required": True}],
    )


def test_json_schema_types_refs_and_cycles() -> None:
    schema = {
        "title": "Person",
        "description": "Someone",
        "type": "object",
        "required": ["id", "born"],
        "definitions": {
            "Person": {"type": "object", "properties": {"friend": {"$ref": "#/definitions/Person"}}},
            "Address": {"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"]},
        },
        "properties": {
            "id": {"type": "integer"},
            "born": {"type": "string", "format": "date-time", "description": "when"},
            "nick": {"type": ["string", "null"]},
            "address": {"$ref": "#/definitions/Address"},
            "friend": {"$ref": "#/definitions/Person"},
            "scores": {"type": "array", "items": {"type": "number"}},
            "level": {"enum": [1, 2, 3]},
        },
    }
    root, doc, found = properties("JSON", json.dumps(schema))
    assert (root, doc) == ("Person", "Someone")
    f = _by_name(found)
    assert f["id"]["logicalType"] == "integer" and f["id"]["required"] is True
    assert f["born"]["logicalType"] == "timestamp" and f["born"]["description"] == "when"
    assert f["nick"]["logicalType"] == "string" and f["nick"]["required"] is False
    assert f["address"]["physicalType"] == "Address"
    assert f["address"]["properties"] == [
        {"name": "zip", "logicalType": "string", "physicalType": "string", "required": True}
    ]
    # Person -> friend -> Person: expanded once, then named only.
    (inner,) = f["friend"]["properties"]
    assert inner["name"] == "friend" and "properties" not in inner
    assert f["scores"]["items"] == {"logicalType": "number", "physicalType": "number"}
    assert "logicalType" not in f["level"] and f["level"]["customProperties"][0]["value"] == [1, 2, 3]


PROTO = """
syntax = "proto3";
package acme.v1;
import "google/protobuf/timestamp.proto";

message Order {
  string id = 1;
  repeated Item items = 2;
  map<string, int64> counts = 3;
  Status status = 4;
  google.protobuf.Timestamp placed_at = 5;
  Order parent = 6;
  bytes blob = 7;

  enum Status {
    UNKNOWN = 0;
    PLACED = 1;
  }
}

message Item {
  string sku = 1;
  double price = 2;
}
"""


def test_protobuf_messages_enums_maps_and_repeated_fields() -> None:
    root, _, found = properties("PROTOBUF", PROTO)
    assert root == "Order"
    f = _by_name(found)
    assert f["id"] == {"name": "id", "logicalType": "string", "physicalType": "string", "required": False}
    items = f["items"]
    assert items["logicalType"] == "array" and items["physicalType"] == "repeated acme.v1.Item"
    assert [p["name"] for p in items["items"]["properties"]] == ["sku", "price"]
    assert f["counts"] == {
        "name": "counts",
        "logicalType": "object",
        "physicalType": "map<string, int64>",
        "required": False,
    }
    assert f["status"]["customProperties"][0]["value"] == ["UNKNOWN", "PLACED"]
    assert f["placed_at"]["logicalType"] == "timestamp"
    assert f["parent"]["logicalType"] == "object" and "properties" not in f["parent"]  # itself: not again
    assert f["blob"]["logicalType"] == "string" and f["blob"]["physicalType"] == "bytes"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sales", "sales"),
        ("team-sales", "team-sales"),
        ("head-of-data@acme.example", "head-of-data-acme.example"),
        ("Team: Sales #1", "Team-Sales-1"),
        ("--a..b__c--", "a-b-c"),
        ("a.b_c", "a.b_c"),
    ],
)
def test_backstage_names(raw: str, expected: str) -> None:
    assert Names().name("group", raw) == expected


def test_names_that_meet_or_are_too_long_get_a_hash() -> None:
    names = Names()
    first, second = names.name("group", "team sales"), names.name("group", "team/sales")
    assert first == "team-sales" and second.startswith("team-sales-") and second != first
    assert names.name("group", "team/sales") == second  # the same each time
    assert names.name("api", "team/sales") == "team-sales"  # names are per kind
    long = names.name("api", "x" * 100)
    assert len(long) <= 63 and BACKSTAGE_NAME.match(long)
    assert BACKSTAGE_NAME.match(names.name("group", "@@@"))


@given(st.text(max_size=120))
def test_every_name_is_valid_for_backstage(raw: str) -> None:
    name = Names().name("group", raw)
    assert BACKSTAGE_NAME.match(name) and 1 <= len(name) <= 63


@pytest.mark.parametrize(
    ("ms", "expected"),
    [(300_000, (5, "m")), (86_400_000, (1, "d")), (90_000, (90, "s")), (1500, (1500, "ms")), (0, (0, "d"))],
)
def test_sla_durations_in_their_largest_whole_unit(ms: int, expected: tuple[int, str]) -> None:
    assert tuple(_amount(Duration(ms, "x")).values()) == expected


@given(
    st.recursive(
        st.text() | st.integers() | st.booleans() | st.none(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=12,
    )
)
def test_any_text_re_reads_equal(value: object) -> None:
    assert yaml.safe_load(dump({"v": value})) == {"v": value}
    assert list(yaml.safe_load_all(dump_all([{"v": value}, {"w": value}]))) == [{"v": value}, {"w": value}]


def _depth(found: list[dict[str, object]]) -> int:
    nested = [p.get("properties") for p in found if isinstance(p.get("properties"), list)]
    return 1 + max((_depth(n) for n in nested if isinstance(n, list)), default=0)


def test_deep_schemas_are_expanded_to_a_bounded_depth() -> None:
    node: dict[str, object] = {"type": "string"}
    for i in range(150):  # as deep as meshctl reads JSON (jsontext): 300 levels
        node = {"type": "object", "properties": {f"f{i}": node}}
    _, _, found = properties("JSON", json.dumps(node))
    assert _depth(found) == 16  # the root's fields (depth 1) and 15 levels below them
    record: dict[str, object] = {"type": "record", "name": "R0", "fields": [{"name": "leaf", "type": "int"}]}
    for i in range(1, 60):
        record = {"type": "record", "name": f"R{i}", "fields": [{"name": "inner", "type": record}]}
    _, _, found = properties("AVRO", json.dumps(record))
    assert _depth(found) <= 16
