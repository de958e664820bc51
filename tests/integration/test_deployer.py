"""meshctl never locks itself out: on the moto server (which stores policies but does not
evaluate them), every Deny of every bucket and secret policy read back with boto3 spares
the deploying principal, found with sts:GetCallerIdentity (moto's default user, or an
assumed role as its role ARN) or named in `aws.deployer_arns`; a second plan is empty."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.cli import run
from tests.helpers import write_mesh

ACCOUNT = "123456789012"
MOTO_USER = f"arn:aws:sts::{ACCOUNT}:user/moto"  # moto's identity for credentials it did not issue
NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def _mesh(p: str, aws_extra: str = "") -> dict[str, str]:
    return {
        "main.hcl": f'''
aws {{
  region     = "eu-west-1"
  account_id = "{ACCOUNT}"
{aws_extra}}}
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
  policy {{ allowed_vendors = ["kafka-connect"] }}
}}
data_product "orders" {{
  domain = "{p}sales"
}}
module "baseline" {{
  source        = "domain-baseline"
  for_each      = mesh.domains
  domain        = each.value
  bucket_prefix = "{p}"
}}
integration "lake" {{
  domain = "{p}sales"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["{p}sales.orders"]
  inputs = {{ bucket_prefix = "{p}" }}
  aws {{
    trusted_principal = "arn:aws:iam::{ACCOUNT}:role/connect-workers"
    external_id       = "ext-{p}"
  }}
}}
'''
    }


def _resource_policies(p: str) -> dict[str, dict]:
    """Every bucket and secret policy of the mesh, as AWS returns it."""
    s3, sm = boto3.client("s3"), boto3.client("secretsmanager")
    out = {f"bucket {p}-{p}sales": json.loads(s3.get_bucket_policy(Bucket=f"{p}-{p}sales")["Policy"])}
    for secret in sm.list_secrets()["SecretList"]:
        out[f"secret {secret['Name']}"] = json.loads(sm.get_resource_policy(SecretId=secret["Name"])["ResourcePolicy"])
    return out


def _exceptions(statement: dict) -> list[str]:
    """The principals a Deny spares: its negated aws:PrincipalArn conditions."""
    found: list[str] = []
    for operator, block in statement.get("Condition", {}).items():
        for key, value in block.items():
            if operator in NEGATED and key.lower() == "aws:principalarn":
                found += value if isinstance(value, list) else [value]
    return found


def _assert_every_deny_spares(policies: dict[str, dict], principals: set[str]) -> None:
    identity_denies = 0
    for what, policy in policies.items():
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        for st in statements:
            if st["Effect"] != "Deny" or "aws:SecureTransport" in json.dumps(st.get("Condition", {})):
                continue  # TLS-only: meshctl always speaks TLS to AWS
            identity_denies += 1
            assert principals <= set(_exceptions(st)), (what, st)
    assert identity_denies == len(policies)  # one per bucket and secret: none was skipped


def _apply_and_replan() -> None:
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    replan = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert replan.exit_code == 0, replan.output
    assert "No changes." in replan.stdout


def test_the_caller_from_sts_is_admitted_by_every_deny(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    assert boto3.client("sts").get_caller_identity()["Arn"] == MOTO_USER
    _apply_and_replan()
    policies = _resource_policies(p)
    # The domain's and the integration's Kafka secrets are both managed, each with its own policy.
    assert set(policies) == {
        f"bucket {p}-{p}sales",
        f"secret meshctl/kafka/{p}sales",
        f"secret meshctl/kafka/{p}sales-lake",
    }
    _assert_every_deny_spares(policies, {MOTO_USER})
    domain_role, lake_role = (
        f"arn:aws:iam::{ACCOUNT}:role/{p}-{p}sales",
        f"arn:aws:iam::{ACCOUNT}:role/{p}-{p}sales.lake",
    )
    (lake,) = policies[f"secret meshctl/kafka/{p}sales-lake"]["Statement"]
    assert sorted(_exceptions(lake)) == sorted([lake_role, MOTO_USER])  # only the integration's role, and meshctl
    (own,) = policies[f"secret meshctl/kafka/{p}sales"]["Statement"]
    assert sorted(_exceptions(own)) == sorted([domain_role, MOTO_USER])
    state = json.loads((workdir / ".meshctl" / "state.json").read_text())
    assert "module.integration_lake.aws_secretsmanager_secret.kafka" in json.dumps(state)


def _assume(role_name: str, path: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create a role on moto and continue as a session of it; returns the role's ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
    }
    arn = boto3.client("iam").create_role(RoleName=role_name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    creds = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="ci-run-42")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    return str(arn)


def test_an_assumed_role_is_admitted_as_its_role_with_its_path(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    role = _assume(f"{p}-deployer", "/ops/", monkeypatch)
    assert role == f"arn:aws:iam::{ACCOUNT}:role/ops/{p}-deployer"
    caller = boto3.session.Session().client("sts").get_caller_identity()["Arn"]  # not the cached default session
    assert caller == f"arn:aws:sts::{ACCOUNT}:assumed-role/{p}-deployer/ci-run-42"
    _apply_and_replan()
    policies = _resource_policies(p)
    _assert_every_deny_spares(policies, {role})
    assert caller not in json.dumps(policies)  # a session ARN would match nothing in aws:PrincipalArn

    # Someone else deploying without deployer_arns: the plan shows the swap, nothing is hidden.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, aws_env[key])
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    swap = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert swap.exit_code == 2, swap.output
    assert MOTO_USER in swap.stdout and role in swap.stdout


def test_deployer_arns_replace_the_caller(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    p = prefix
    ci, breakglass = f"arn:aws:iam::{ACCOUNT}:role/ci/{p}-deploy", f"arn:aws:iam::{ACCOUNT}:role/{p}-breakglass"
    write_mesh(workdir, _mesh(p, f'  deployer_arns = ["{ci}", "{breakglass}"]\n'))
    _apply_and_replan()
    policies = _resource_policies(p)
    _assert_every_deny_spares(policies, {ci, breakglass})
    assert MOTO_USER not in json.dumps(policies)


def test_credentials_of_another_account_are_refused(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    files = _mesh(prefix)
    files["main.hcl"] = files["main.hcl"].replace(f'account_id = "{ACCOUNT}"', 'account_id = "111122223333"')
    write_mesh(workdir, files)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert f"error: the AWS credentials are for account {ACCOUNT}, but aws.account_id is 111122223333" in result.stderr
    assert "Traceback" not in result.output
    assert boto3.client("s3").list_buckets()["Buckets"] == []
