"""Domains and vendors on AWS (moto server) and Kafka: the baseline module per domain, two
vendor integrations, isolation proven for every generated policy, secrets never shown,
local credentials migrated to Secrets Manager."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

ACCOUNT = "123456789012"


def _mesh(p: str, aws: bool = True, vendor: str = "snowflake", grant: bool = True) -> dict[str, str]:
    aws_block = f'aws {{\n  region     = "eu-west-1"\n  account_id = "{ACCOUNT}"\n}}\n' if aws else ""
    modules = (
        f'''
module "baseline" {{
  source        = "domain-baseline"
  for_each      = mesh.domains
  domain        = each.value
  bucket_prefix = "{p}"
}}

integration "stage" {{
  domain = "{p}analytics"
  vendor = "{vendor}"
  source = "snowflake-s3-stage"
  reads  = ["{p}sales.orders"]
  inputs = {{ bucket_prefix = "{p}" }}
  aws {{
    trusted_principal = "arn:aws:iam::999999999999:user/snowflake"
    external_id       = "ext-{p}-1"
  }}
}}

integration "lake" {{
  domain = "{p}analytics"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["{p}sales.orders"]
  inputs = {{ bucket_prefix = "{p}" }}
  aws {{
    trusted_principal = "arn:aws:iam::{ACCOUNT}:role/connect-workers"
    external_id       = "ext-{p}-2"
  }}
}}
'''
        if aws
        else ""
    )
    grant_block = (
        f'''access "reads" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
'''
        if grant
        else ""
    )
    return {
        "main.hcl": f'''{aws_block}
domain "{p}commerce" {{
  owners {{ accountable = "c@acme.example" }}
  policy {{ allowed_vendors = ["snowflake", "kafka-connect"] }}
}}
domain "{p}sales" {{
  parent = "{p}commerce"
  owners {{ accountable = "s@acme.example" }}
}}
domain "{p}analytics" {{
  parent = "{p}commerce"
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain      = "{p}sales"
  description = "Orders"
  sla {{ freshness = "5m" }}
  delivery {{ duplicates = "tolerated" }}
}}
{grant_block}{modules}''',
    }


def _statements(document: object) -> list[dict]:
    doc = document if isinstance(document, dict) else json.loads(document)  # type: ignore[arg-type]
    raw = doc["Statement"]
    return raw if isinstance(raw, list) else [raw]


def _as_list(value: object) -> list[str]:
    return value if isinstance(value, list) else [value]  # type: ignore[list-item, return-value]


def test_baseline_and_integrations_are_isolated(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    s3, iam, glue, sm = (boto3.client(x) for x in ("s3", "iam", "glue", "secretsmanager"))
    slugs = {
        d: f"{p}commerce-{p}{d}" if d != "commerce" else f"{p}commerce" for d in ("commerce", "sales", "analytics")
    }
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert buckets == {f"{p}-{slug}" for slug in slugs.values()}
    for bucket in buckets:
        flags = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(flags.values())
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    databases = {d["Name"] for d in glue.get_databases()["DatabaseList"]}
    assert databases == {f"{p}_{slug}".replace("-", "_") for slug in slugs.values()}
    secrets = {x["Name"] for x in sm.list_secrets()["SecretList"]}
    principals = [f"{p}{d}" for d in ("commerce", "sales", "analytics")] + [f"{p}analytics-stage", f"{p}analytics-lake"]
    assert secrets == {f"meshctl/kafka/{user}" for user in principals}
    table = glue.get_table(DatabaseName=f"{p}_{slugs['sales']}".replace("-", "_"), Name="orders_v1")["Table"]
    assert table["Parameters"]["meshctl:topic"] == f"{p}commerce.{p}sales.orders.v1"
    assert json.loads(table["Parameters"]["meshctl:delivery"]) == {"duplicates": "tolerated"}

    # Isolation: no statement of a role reaches another domain's bucket, database or secret.
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{p}-")]
    assert len(roles) == 5  # three domains, two integrations
    for role in roles:
        name = role["RoleName"]
        own = name.split(".")[0]  # integrations are named <domain role>.<integration>
        own_bucket, own_db = own, own.replace("-", "_")
        # A domain's role reads its principal's secret, an integration's role its own principal's:
        # "-??????" is Secrets Manager's suffix, so the pattern matches that one secret only.
        own_principal = own.removeprefix(f"{p}-").split("-")[-1] + ("-" + name.split(".")[1] if "." in name else "")
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            for st in _statements(document):
                for arn in _as_list(st["Resource"]):
                    if arn.startswith("arn:aws:s3:::"):
                        assert arn.split(":::")[1].split("/")[0] == own_bucket, (name, arn)
                        if "." in name:  # an integration: only its prefix or the bucket listing
                            assert arn == f"arn:aws:s3:::{own_bucket}" or "/" in arn
                    elif ":glue:" in arn and (":database/" in arn or ":table/" in arn):
                        assert arn.split("/")[1] == own_db, (name, arn)
                    elif ":secretsmanager:" in arn:
                        assert arn.endswith(f":secret:meshctl/kafka/{own_principal}-??????"), (name, arn)
        trust = _statements(role["AssumeRolePolicyDocument"])
        if "." in name:  # a vendor: only with the external id
            assert all(st.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId") for st in trust), name

    # Each principal's password is a secret readable only by its own role (and meshctl, the caller).
    secret = sm.get_secret_value(SecretId=f"meshctl/kafka/{p}sales")
    password = json.loads(secret["SecretString"])["password"]
    for user, role in [
        (f"{p}sales", f"{p}-{slugs['sales']}"),
        (f"{p}analytics-stage", f"{p}-{slugs['analytics']}.stage"),
        (f"{p}analytics-lake", f"{p}-{slugs['analytics']}.lake"),
    ]:
        policy = json.loads(sm.get_resource_policy(SecretId=f"meshctl/kafka/{user}")["ResourcePolicy"])
        allowed = policy["Statement"][0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        assert sorted(allowed) == sorted([f"arn:aws:iam::{ACCOUNT}:role/{role}", f"arn:aws:sts::{ACCOUNT}:user/moto"])

    # A vendor gets its own principal: reads what its domain was granted, writes only its prefix.
    vendor = f"{p}analytics-lake"
    vendor_password = json.loads(sm.get_secret_value(SecretId=f"meshctl/kafka/{vendor}")["SecretString"])["password"]
    props = {**kafka_env_props(kafka_env), "sasl.username": vendor, "sasl.password": vendor_password}
    orders = f"{p}commerce.{p}sales.orders.v1"
    assert kafkautil.produce(props, orders, idempotent=False) == "TOPIC_AUTHORIZATION_FAILED"

    # No secret value anywhere a person or a log could see it.
    plan_text = run("plan", "--no-color", ".")
    plan_json = run("plan", "--json", ".")
    state = (workdir / ".meshctl" / "state.json").read_text()
    for text in (applied.output, plan_text.output, plan_json.stdout, state):
        assert password not in text and vendor_password not in text
    assert not (workdir / ".meshctl" / "credentials").exists() or not any(
        (workdir / ".meshctl" / "credentials").iterdir()
    )


def kafka_env_props(kafka_env: dict[str, str]) -> dict[str, str]:
    return {
        "bootstrap.servers": kafka_env["MESHCTL_KAFKA_BOOTSTRAP_SERVERS"],
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
    }


def test_connector_config_is_an_output_artefact(workdir: Path, prefix: str, aws_env: dict[str, str]) -> None:
    write_mesh(workdir, _mesh(prefix))
    result = run("output", "--name", "module.integration_lake.connector_config", ".")
    assert result.exit_code == 0, result.output
    config = json.loads(result.stdout)["config"]
    assert config["topics"] == f"{prefix}commerce.{prefix}sales.orders.v1"
    assert config["s3.bucket.name"] == f"{prefix}-{prefix}commerce-{prefix}analytics"
    assert config["topics.dir"] == "lake"
    assert config["consumer.override.group.id"] == f"grp.{prefix}analytics-lake.sink"
    assert "${env:KAFKA_SASL_PASSWORD}" in config["consumer.override.sasl.jaas.config"]


def test_local_credentials_move_to_secrets_manager(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    write_mesh(workdir, _mesh(prefix, aws=False))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    local = workdir / ".meshctl" / "credentials" / f"{prefix}sales.properties"
    password = kafkautil.read_properties(local)["sasl.password"]
    write_mesh(workdir, _mesh(prefix))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert not local.exists()
    moved = boto3.client("secretsmanager").get_secret_value(SecretId=f"meshctl/kafka/{prefix}sales")
    assert json.loads(moved["SecretString"])["password"] == password  # the principal still logs in with it


def test_bad_integrations_are_configuration_errors(mesh_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = "x"
    cases = [
        (_mesh(p, vendor="datadog"), r'main\.hcl:\d+: error: vendor "datadog" is not allowed in domain "xanalytics"'),
        (
            _mesh(p, grant=False),
            r'main\.hcl:\d+: error: integration "stage" reads "xsales.orders", which domain '
            r'"xanalytics" is not granted',
        ),
    ]
    for files, expected in cases:
        write_mesh(mesh_dir, files)
        result = run("validate", ".")
        assert result.exit_code == 1
        assert re.search(expected, result.stderr), result.stderr
    broken = _mesh(p)
    broken["main.hcl"] = broken["main.hcl"].replace("  domain        = each.value\n", "")
    write_mesh(mesh_dir, broken)
    result = run("validate", ".")
    assert result.exit_code == 1
    assert re.search(r'main\.hcl:\d+: error: module\.baseline\["x\w+"\]: missing input "domain"', result.stderr)
    assert "Traceback" not in result.output
