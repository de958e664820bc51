"""What `meshctl replay` may copy and from where (plan.replay): pure, no broker."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import MeshError
from meshctl.mesh.model import SchemaSpec
from meshctl.plan.replay import (
    Bounds,
    parse_offsets,
    parse_version_ref,
    resolve_pair,
    resume_offsets,
    schema_problem,
    start_offsets,
)
from tests.helpers import write_mesh

V1 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'
V2_ADDS_DEFAULT = (
    '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},'
    '{"name":"note","type":"string","default":""}]}'
)
V2_ADDS_REQUIRED = (
    '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"cents","type":"long"}]}'
)


def _avro(text: str) -> SchemaSpec:
    return SchemaSpec(type="AVRO", file="x.avsc", text=text, compatibility="BACKWARD")


def _mesh(tmp_path: Path, v2_schema: str = V2_ADDS_DEFAULT, sunset: str = "2030-01-01") -> object:
    write_mesh(
        tmp_path,
        {
            "main.hcl": f"""
domain "sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
domain "shop" {{
  owners {{ accountable = "p@acme.example" }}
}}
data_product "orders" {{
  domain  = "sales"
  version = 1
  schema {{ file = "v1.avsc" }}
}}
data_product "orders" {{
  domain  = "sales"
  version = 2
  schema {{ file = "v2.avsc" }}
  versioning {{
    replaces = 1
    sunset   = "{sunset}"
  }}
}}
data_product "carts" {{
  domain  = "shop"
  version = 1
  schema {{ file = "v1.avsc" }}
}}
""",
            "v1.avsc": V1,
            "v2.avsc": v2_schema,
        },
    )
    return load(tmp_path, LoadOptions()).mesh


TODAY = date(2026, 12, 3)


def test_a_v2_whose_readers_read_v1_is_replayed_from_v1(tmp_path: Path) -> None:
    pair = resolve_pair(_mesh(tmp_path), "sales.orders.v1", "data_product.sales.orders.v2", TODAY, set())
    assert (pair.source_topic, pair.target_topic, pair.cluster) == ("sales.orders.v1", "sales.orders.v2", "default")


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        ("sales.orders.v1", "sales.orders.v1", "the same version"),
        ("sales.orders.v1", "shop.carts.v1", "different products"),
        ("sales.orders.v3", "sales.orders.v2", "not a product version of this mesh; declared: sales.orders.v1"),
        ("sales.orders", "sales.orders.v2", "names no product version"),
        ("sales.orders.v1", "nobody.x.v1", "is not a product version"),
    ],
)
def test_pairs_that_cannot_be_replayed_are_refused_before_any_connection(
    tmp_path: Path, source: str, target: str, says: str
) -> None:
    with pytest.raises(MeshError, match=says.replace(".", r"\.")):
        resolve_pair(_mesh(tmp_path), source, target, TODAY, set())


def test_a_v2_that_cannot_read_v1_records_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(MeshError) as info:
        resolve_pair(_mesh(tmp_path, V2_ADDS_REQUIRED), "sales.orders.v1", "sales.orders.v2", TODAY, set())
    assert "readers of the target cannot read the source's records" in str(info.value)
    assert "cents" in str(info.value) and "hint:" in str(info.value)


def test_a_version_that_takes_no_more_writes_is_no_target(tmp_path: Path) -> None:
    # v1 after v2's sunset is frozen: its producer lost WRITE, and a replay must not write it either
    mesh = _mesh(tmp_path, sunset="2026-12-01")
    with pytest.raises(MeshError, match="freeze: it takes no more writes"):
        resolve_pair(mesh, "sales.orders.v2", "sales.orders.v1", TODAY, set())


def test_schema_problem_covers_keys_types_and_missing_schemas() -> None:
    assert schema_problem(None, None) is None
    assert schema_problem(_avro(V1), None) == "one version has a schema and the other has none"
    assert schema_problem(_avro(V1), _avro(V2_ADDS_DEFAULT)) is None
    json_v1 = SchemaSpec(type="JSON", file="a.json", text='{"type":"object"}', compatibility="BACKWARD")
    assert schema_problem(_avro(V1), json_v1) == "the value schema changes type (AVRO -> JSON)"
    json_v2 = SchemaSpec(type="JSON", file="b.json", text='{"type":"string"}', compatibility="BACKWARD")
    assert "only identical schemas" in str(schema_problem(json_v1, json_v2))
    assert schema_problem(json_v1, json_v1) is None
    keyed = SchemaSpec(
        type="AVRO",
        file="x.avsc",
        text=V1,
        compatibility="BACKWARD",
        key_type="AVRO",
        key_file="k",
        key_text='"string"',
    )
    long_key = SchemaSpec(
        type="AVRO", file="x.avsc", text=V1, compatibility="BACKWARD", key_type="AVRO", key_file="k", key_text='"long"'
    )
    assert "key schema" in str(schema_problem(keyed, long_key))
    assert schema_problem(keyed, _avro(V1)) == "one version has a key schema and the other has none"


def test_start_offsets_from_offsets_times_or_everything_held() -> None:
    bounds = {0: Bounds(10, 50), 1: Bounds(0, 7), 2: Bounds(5, 5)}
    assert start_offsets(bounds) == {0: 10, 1: 0, 2: 5}
    # clamped to what the log holds; a partition left out is not replayed (starts at its end)
    assert start_offsets(bounds, offsets={0: 3, 1: 99}) == {0: 10, 1: 7, 2: 5}
    assert start_offsets(bounds, by_time={0: 42, 1: None, 2: -1}) == {0: 42, 1: 7, 2: 5}
    with pytest.raises(MeshError, match="partition 3, which the source does not have"):
        start_offsets(bounds, offsets={3: 0})


def test_offsets_are_parsed_strictly_and_resume_text_round_trips() -> None:
    assert parse_offsets("0:120, 1:98") == {0: 120, 1: 98}
    for bad in ("0=1", "a:1", "0:1,0:2", "", "0:-1"):
        with pytest.raises(MeshError):
            parse_offsets(bad)
    assert parse_offsets(resume_offsets({1: 5, 0: 7})) == {0: 7, 1: 5}
    assert parse_version_ref(" data_product.sales.orders.v12 ") == ("sales.orders", 12)
