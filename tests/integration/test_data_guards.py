"""Nothing holding data is deleted without an explicit opt-in, against the real servers:
a renamed module only moves state (the AWS objects survive untouched, checked with boto3),
every guarded AWS type's delete is refused until its type is allowed, prevent_destroy
keeps protecting after its block is removed, and a retired product version whose topic
still holds records needs the topic opt-in on the real broker."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import boto3
from confluent_kafka.admin import AdminClient

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

STORE = """
variable "name" {}

resource "aws_iam_role" "reader" {
  name = "${var.name}-reader"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "glue.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_s3_bucket" "data" {
  bucket = "${var.name}-data"
  lifecycle {
    prevent_destroy = PROTECT
  }
}

resource "aws_glue_database" "catalog" {
  name = "${var.name}_catalog"
}

resource "aws_glue_table" "orders" {
  database = "${var.name}_catalog"
  name     = "orders"
}

resource "aws_secretsmanager_secret" "creds" {
  name = "${var.name}/creds"
}
"""

GUARDED = ("aws_glue_database", "aws_glue_table", "aws_iam_role", "aws_s3_bucket", "aws_secretsmanager_secret")


def _mesh(p: str, module: str | None = "a") -> dict[str, str]:
    block = f'module "{module}" {{\n  source = "./store"\n  name   = "{p}"\n}}\n' if module else ""
    return {
        "main.hcl": f'''
aws {{
  region = "eu-west-1"
}}
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
{block}''',
    }


def _write(workdir: Path, p: str, module: str | None = "a", protect: bool = False) -> None:
    write_mesh(workdir, _mesh(p, module))
    write_mesh(workdir / "store", {"main.hcl": STORE.replace("PROTECT", "true" if protect else "false")})


def _plan(*args: str) -> tuple[int, str, str]:
    r = run("plan", "--no-color", "--detailed-exitcode", *args, ".")
    return r.exit_code, re.sub(r"(?<=\S) {2,}", " ", r.stdout), r.stderr


def _state(workdir: Path) -> dict[str, dict]:
    doc = json.loads((workdir / ".meshctl" / "state.json").read_text())
    return {r["address"]: r for r in doc["resources"]}


def _aws_objects(p: str) -> dict[str, object]:
    """What would change if AWS had been touched: creation times and the data inside."""
    s3, iam, glue, sm = (boto3.client(x, region_name="eu-west-1") for x in ("s3", "iam", "glue", "secretsmanager"))
    return {
        "role": iam.get_role(RoleName=f"{p}-reader")["Role"]["CreateDate"],
        "object": s3.get_object(Bucket=f"{p}-data", Key="orders/1.json")["Body"].read(),
        "database": glue.get_database(Name=f"{p}_catalog")["Database"]["CreateTime"],
        "table": glue.get_table(DatabaseName=f"{p}_catalog", Name="orders")["Table"]["CreateTime"],
        "secret": sm.get_secret_value(SecretId=f"{p}/creds")["SecretString"],
    }


def test_a_renamed_module_only_moves_state_and_aws_is_untouched(
    workdir: Path, prefix: str, aws_env: dict[str, str]
) -> None:
    p = prefix
    _write(workdir, p, "a")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    boto3.client("s3", region_name="eu-west-1").put_object(Bucket=f"{p}-data", Key="orders/1.json", Body=b"{}")
    boto3.client("secretsmanager", region_name="eu-west-1").put_secret_value(SecretId=f"{p}/creds", SecretString="kept")
    before = _aws_objects(p)

    _write(workdir, p, "b")
    code, out, _ = _plan()
    assert code == 2, out
    for type_, name in (
        ("aws_iam_role", "reader"),
        ("aws_s3_bucket", "data"),
        ("aws_glue_database", "catalog"),
        ("aws_glue_table", "orders"),
        ("aws_secretsmanager_secret", "creds"),
    ):
        assert f"# module.a.{type_}.{name} has moved to module.b.{type_}.{name}" in out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 5 to move." in out
    doc = json.loads(run("plan", "--json", ".").stdout)
    moved = {c["address"]: c.get("previous_address") for c in doc["resource_changes"] if c["type"] in GUARDED}
    assert moved == {a: a.replace("module.b.", "module.a.") for a in moved} and len(moved) == 5

    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert "0 added, 0 changed, 0 destroyed" in applied.stdout
    assert _aws_objects(p) == before  # same objects, same data: no delete, no create
    addresses = {a for a, r in _state(workdir).items() if r["type"] in GUARDED}
    assert addresses == {a.replace("module.a.", "module.b.") for a in moved.values()}
    assert _plan()[0] == 0


def test_every_guarded_aws_delete_is_refused_until_its_type_is_allowed(
    workdir: Path, prefix: str, aws_env: dict[str, str]
) -> None:
    p = prefix
    _write(workdir, p, "a")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    _write(workdir, p, None)
    code, out, _ = _plan()
    assert code == 2
    for type_ in GUARDED:
        assert f"--allow-delete {type_}" in out
    doc = json.loads(run("plan", "--json", ".").stdout)
    blocked = {c["type"]: c["meshctl"]["opt_in"] for c in doc["resource_changes"] if c["meshctl"]["blocked"]}
    assert blocked == {t: f"--allow-delete {t}" for t in GUARDED} and doc["applyable"] is False

    refused = run("apply", "--auto-approve", "--allow-delete", "aws_iam_role", ".")
    assert refused.exit_code == 1 and "need an explicit opt-in" in refused.stderr
    for type_ in set(GUARDED) - {"aws_iam_role"}:
        assert f"--allow-delete {type_}" in refused.stderr
    assert "aws_iam_role.reader:" not in refused.stderr
    boto3.client("iam", region_name="eu-west-1").get_role(RoleName=f"{p}-reader")  # nothing was deleted

    # A saved plan keeps its guards: the flags belong to `plan`, not to `apply PLANFILE`.
    assert run("plan", "--out", "tfplan", ".").exit_code == 0
    saved = run("apply", "--auto-approve", "tfplan")
    assert saved.exit_code == 1 and "need an explicit opt-in" in saved.stderr
    flagged = run("apply", "--auto-approve", "--allow-delete", "all", "tfplan")
    assert flagged.exit_code == 1 and "chosen when the plan is made" in flagged.stderr

    assert run("plan", "--allow-delete", "all", "--out", "tfplan", ".").exit_code == 0
    done = run("apply", "--auto-approve", "--no-color", "tfplan")
    assert done.exit_code == 0, done.output
    assert "5 destroyed" in done.stdout
    assert not {r["type"] for r in _state(workdir).values()} & set(GUARDED)


def test_prevent_destroy_refuses_even_after_the_block_is_removed(
    workdir: Path, prefix: str, aws_env: dict[str, str]
) -> None:
    p = prefix
    _write(workdir, p, "a", protect=True)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert _state(workdir)["module.a.aws_s3_bucket.data"]["prevent_destroy"] == "store/main.hcl:14"

    _write(workdir, p, None)  # the whole module is gone: state still remembers the protection
    code, _, err = _plan("--allow-delete", "all")
    assert code == 1
    assert "store/main.hcl:14: error: module.a.aws_s3_bucket.data has prevent_destroy set" in err
    assert "Traceback" not in err
    refused = run("apply", "--auto-approve", "--allow-delete", "all", ".")
    assert refused.exit_code == 1 and "prevent_destroy" in refused.stderr
    boto3.client("s3", region_name="eu-west-1").head_bucket(Bucket=f"{p}-data")

    # Lifting it is two steps: prevent_destroy = false, apply; then remove the block.
    _write(workdir, p, "a", protect=False)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert "prevent_destroy" not in _state(workdir)["module.a.aws_s3_bucket.data"]
    _write(workdir, p, None)
    assert run("apply", "--auto-approve", "--allow-delete", "all", ".").exit_code == 0
    assert "module.a.aws_s3_bucket.data" not in _state(workdir)


def _products(p: str, sunset: date) -> str:
    out = f'domain "{p}sales" {{\n  owners {{ accountable = "s@acme.example" }}\n}}\n'
    for name in ("orders", "returns"):
        out += f"""
data_product "{name}" {{
  domain  = "{p}sales"
  version = 1
}}
data_product "{name}" {{
  domain  = "{p}sales"
  version = 2
  lifecycle {{
    replaces = 1
    sunset   = "{sunset.isoformat()}"
  }}
}}
"""
    return out


def test_retiring_a_version_whose_topic_holds_records_needs_the_topic_opt_in(
    workdir: Path, prefix: str, admin: AdminClient
) -> None:
    p = prefix
    orders, returns = f"{p}sales.orders.v1", f"{p}sales.returns.v1"
    write_mesh(workdir, {"main.hcl": _products(p, date.today() + timedelta(days=30))})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    creds = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")
    for value in (b"1", b"2", b"3"):
        assert kafkautil.produce(creds, orders, value) is None

    write_mesh(workdir, {"main.hcl": _products(p, date.today() - timedelta(days=1))})
    assert run("apply", "--auto-approve", ".").exit_code == 0  # first stage: frozen
    code, out, _ = _plan()
    assert code == 2
    assert f"# kafka_topic.{orders} will be destroyed" in out and f"# kafka_topic.{returns} will be destroyed" in out
    assert f"deletes topic {orders}, which still holds 3 records: pass --allow-delete kafka_topic" in out
    assert f"kafka_topic.{returns}:" not in out.split("apply will refuse")[1]  # empty: its lifecycle suffices

    # The second plain apply after the sunset no longer deletes a topic with data.
    refused = run("apply", "--auto-approve", ".")
    assert refused.exit_code == 1 and "--allow-delete kafka_topic" in refused.stderr
    assert {orders, returns} <= set(kafkautil.topics(admin, p))

    done = run("apply", "--auto-approve", "--allow-delete", "kafka_topic", ".")
    assert done.exit_code == 0, done.output
    assert not {orders, returns} & set(kafkautil.topics(admin, p))
    retired = json.loads((workdir / ".meshctl" / "state.json").read_text())["retired"]
    assert {orders, returns} <= set(retired)
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
