"""Bad input that only the live systems reveal: a replication factor above the broker count
(caught at plan time from what refresh learnt), a registry URL without the API path, and a
`--target` that matches nothing."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from confluent_kafka.admin import AdminClient

from meshctl_sandbox.registry import RegistrySandbox, http_json
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil, mesh


def _product_mesh(p: str, topic: str) -> dict[str, str]:
    return {
        "main.hcl": f"""
domain "{p}sales" {{
  owners {{ accountable = "sales@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{
{topic}
  }}
}}
"""
    }


def test_a_replication_factor_above_the_broker_count_is_a_plan_time_error(
    workdir: Path, prefix: str, admin: AdminClient
) -> None:
    write_mesh(workdir, _product_mesh(prefix, "    partitions         = 1\n    replication_factor = 3"))
    result = run("plan", ".")
    assert result.exit_code == 1, result.output
    assert "main.hcl:8: error: replication_factor 3 is more than the 1 broker(s) of the cluster" in result.stderr
    assert "hint: set replication_factor to 1 or less" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert run("apply", "--auto-approve", ".").exit_code == 1
    assert kafkautil.topics(admin, prefix) == {}  # nothing was created


def test_a_replication_factor_the_cluster_can_hold_plans(workdir: Path, prefix: str) -> None:
    write_mesh(workdir, _product_mesh(prefix, "    partitions         = 1\n    replication_factor = 1"))
    result = run("plan", ".")
    assert result.exit_code == 0, result.output
    assert "broker(s)" not in result.stderr


def test_a_target_that_matches_nothing_warns_with_did_you_mean(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    result = run("plan", ".", "--target", f"data_product.{prefix}sales.order")
    assert result.exit_code == 0, result.output
    assert (
        f"warning: --target data_product.{prefix}sales.order matches no resource or block; "
        f"did you mean data_product.{prefix}sales.orders.v1?"
    ) in result.stderr
    assert "No changes" in result.output or "0 to add" in result.output


def test_a_registry_url_without_the_api_path_says_so(
    workdir: Path, prefix: str, registry_server: RegistrySandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESHCTL_REGISTRY_URL", registry_server.base_url)  # no /apis/ccompat/v7
    files = _product_mesh(prefix, "    partitions = 1")
    files["main.hcl"] = files["main.hcl"].replace("  topic {", '  schema { file = "orders.avsc" }\n  topic {')
    write_mesh(workdir, files)
    (workdir / "orders.avsc").write_text('{"type": "record", "name": "Order", "fields": []}')
    result = run("plan", ".")
    assert result.exit_code == 1, result.output
    assert f"the schema registry at {registry_server.base_url} answered 404 Not Found" in result.stderr
    assert "does the URL include the API path?" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output


def _s3_state(workdir: Path, prefix: str):  # type: ignore[no-untyped-def]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="acme-bad-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(
        f'backend "s3" {{\n  bucket = "acme-bad-state"\n  key    = "{prefix}/state.json"\n  region = "eu-west-1"\n}}\n'
    )
    return s3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[]", "/state.json: error: not a meshctl state file (no version)"),
        (b'{"version": 1,\n"lineage": "caf\xe9"}', "/state.json:2: error: not UTF-8 text"),
        (b'{"version": 1, "serial": 1, "lineage": "x", "resources": [{"name": "t"}]}', "resources[0].type is missing"),
        (b"[" * 100_000, "JSON nested too deeply"),
    ],
    ids=["list", "binary", "no-type", "deep"],
)
def test_a_remote_state_of_the_wrong_shape(
    workdir: Path, prefix: str, aws_env: dict[str, str], body: bytes, expected: str
) -> None:
    s3 = _s3_state(workdir, prefix)
    s3.put_object(Bucket="acme-bad-state", Key=f"{prefix}/state.json", Body=body)
    result = run("state", "list", ".")
    assert result.exit_code == 1, result.output
    assert f"s3://acme-bad-state/{prefix}" in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_an_empty_remote_lock_is_damaged_and_force_unlock_clears_it(
    workdir: Path, prefix: str, aws_env: dict[str, str]
) -> None:
    s3 = _s3_state(workdir, prefix)
    s3.put_object(Bucket="acme-bad-state", Key=f"{prefix}/state.json.lock", Body=b"")
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1, result.output
    assert f"the lock s3://acme-bad-state/{prefix}/state.json.lock is empty or damaged" in result.stderr
    assert run("force-unlock", "damaged", ".").exit_code == 0
    assert "Contents" not in s3.list_objects_v2(Bucket="acme-bad-state", Prefix=f"{prefix}/state.json.lock")


def test_a_live_schema_this_meshctl_cannot_read_is_shown_replaced_not_a_crash(
    workdir: Path, prefix: str, registry_server: RegistrySandbox, registry_env: dict[str, str]
) -> None:
    """The registry holds whatever anyone registered: a schema nested deeper than meshctl reads
    must not turn the plan into an internal error."""
    deep = '"string"'
    for i in range(250):
        deep = f'{{"type": "record", "name": "R{i}", "fields": [{{"name": "f", "type": {deep}}}]}}'
    subject = f"{prefix}sales.orders.v1-value"
    status, answer = http_json("POST", f"{registry_server.url}/subjects/{subject}/versions", {"schema": deep})
    assert status == 200, answer
    files = _product_mesh(prefix, "    partitions = 1")
    files["main.hcl"] = files["main.hcl"].replace("  topic {", '  schema { file = "orders.avsc" }\n  topic {')
    write_mesh(workdir, files)
    (workdir / "orders.avsc").write_text('{"type": "record", "name": "Order", "fields": []}')
    result = run("plan", ".")
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    assert f"schema_subject.{subject}" in result.output or subject in result.output, result.output


def test_a_saved_plan_edited_after_plan_out_is_refused(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    assert run("plan", ".", "--out", "p.json").exit_code == 0
    doc = json.loads((workdir / "p.json").read_text())
    topic = next(c for c in doc["resource_changes"] if c["type"] == "kafka_topic")
    topic["change"]["after"]["partitions"] = "many"  # a shape the renderer and the provider never see
    (workdir / "p.json").write_text(json.dumps(doc))
    result = run("apply", "p.json")
    assert result.exit_code == 1, result.output
    assert "p.json was changed after `meshctl plan --out` wrote it: plan again" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert kafkautil.topics(admin, prefix) == {}
