"""meshctl's compatibility verdicts against the real registry's: Avro pairs judged by both, and the
transitive levels, which the registry applies only when asked about every version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from meshctl.schemas.diff import incompatible_changes
from tests.cli import run
from tests.helpers import write_mesh
from tests.unit.test_schema_oracle import PAIRS_UNDER_TEST
from tests.unit.test_schemas import AVRO_VERDICTS

PAIRS = [(name, old, new) for name, (old, new, _) in AVRO_VERDICTS.items()] + [
    (f"generated pair {index}", old, new) for index, (old, new) in enumerate(PAIRS_UNDER_TEST[:60])
]


def test_the_registry_and_meshctl_agree_on_avro_verdicts(registry_server, prefix: str) -> None:
    client = SchemaRegistryClient({"url": registry_server.url})
    disagreements = []
    for index, (name, old, new) in enumerate(PAIRS):
        for level in ("BACKWARD", "FORWARD"):
            subject = f"{prefix}verdict-{index}-{level.lower()}-value"
            client.set_compatibility(subject, level)
            try:
                client.register_schema(subject, Schema(old, "AVRO"))
                registry = client.test_compatibility(subject, Schema(new, "AVRO"))
            except SchemaRegistryError as exc:
                disagreements.append(f"{name}: the registry refuses a schema meshctl accepts: {exc}")
                continue
            found = incompatible_changes("AVRO", {1: old}, new, level)
            if registry != (not found):
                disagreements.append(f"{name} under {level}: registry {registry}, meshctl {[b.rule for b in found]}")
    assert not disagreements, "\n".join(disagreements)


V1 = {"type": "record", "name": "Order", "namespace": "t", "fields": [{"name": "order_id", "type": "string"}]}


def _schema(*extra_fields: dict) -> str:
    return json.dumps({**V1, "fields": V1["fields"] + list(extra_fields)}, indent=2)


def _mesh(p: str, compatibility: str) -> dict[str, str]:
    return {
        "main.hcl": f'''
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 1
  schema {{
    file          = "orders.avsc"
    compatibility = "{compatibility}"
  }}
}}
''',
    }


@pytest.mark.parametrize("compatibility", ["BACKWARD", "BACKWARD_TRANSITIVE"])
def test_a_transitive_level_judges_every_registered_version(
    workdir: Path, prefix: str, registry_env: dict[str, str], compatibility: str
) -> None:
    """v3 reads v2's data but not v1's: only the transitive level refuses it, naming version 1."""
    write_mesh(workdir, _mesh(prefix, compatibility))
    schema = workdir / "orders.avsc"
    schema.write_text(_schema())
    for step in (_schema(), _schema({"name": "zip", "type": "string", "default": ""})):
        schema.write_text(step)
        applied = run("apply", "--auto-approve", "--no-color", ".")
        assert applied.exit_code == 0, applied.output
    schema.write_text(_schema({"name": "zip", "type": "string"}))
    planned = run("plan", "--no-color", "--detailed-exitcode", ".")
    if compatibility == "BACKWARD":
        assert planned.exit_code == 2, planned.output
        return
    assert planned.exit_code == 1, planned.output
    assert "breaking schema change" in planned.stderr
    assert "field zip added: string (BACKWARD_TRANSITIVE (against version 1): a new reader" in planned.stderr
