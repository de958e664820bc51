"""AWS resources on the moto server: created as declared, read back with boto3, planned
to nothing the second time, and drift in policies shown statement by statement, reverted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from tests.cli import run
from tests.helpers import write_mesh

MESH = """
aws {
  region = "eu-west-1"
}

domain "sales" {
  owners { accountable = "s@acme.example" }
}

resource "aws_iam_role" "sales" {
  name        = "mesh-sales"
  domain      = "sales"
  description = "The sales domain's role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policies = {
    data = {
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::acme-mesh-sales/*"
      }]
    }
  }
  tags = { domain = "sales" }
}

resource "aws_s3_bucket" "sales" {
  bucket = "acme-mesh-sales"
  domain = "sales"
  policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheDomainRole"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::acme-mesh-sales", "arn:aws:s3:::acme-mesh-sales/*"]
      Condition = { StringNotLike = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/mesh-sales" } }
    }]
  }
  tags = { domain = "sales", owner = "s@acme.example" }
}

resource "aws_glue_database" "sales" {
  name        = "mesh_sales"
  domain      = "sales"
  description = "Catalog of the sales domain"
  parameters  = { owner = "s@acme.example" }
}

resource "aws_glue_table" "orders_v1" {
  database   = "mesh_sales"
  name       = "orders_v1"
  domain     = "sales"
  parameters = { topic = "sales.orders.v1", freshness = "5m" }
}

resource "aws_secretsmanager_secret" "sales" {
  name        = "mesh/sales/kafka"
  domain      = "sales"
  description = "Kafka credentials of User:sales"
}
"""


def _plan() -> tuple[int, str]:
    r = run("plan", "--no-color", "--detailed-exitcode", ".")
    return r.exit_code, re.sub(r"(?<=\S) {2,}", " ", r.stdout + r.stderr)


def test_apply_creates_aws_resources_and_replans_to_nothing(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    write_mesh(workdir, {"main.hcl": MESH})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    s3, iam, glue, sm = (boto3.client(x) for x in ("s3", "iam", "glue", "secretsmanager"))
    rule = s3.get_bucket_encryption(Bucket="acme-mesh-sales")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    flags = s3.get_public_access_block(Bucket="acme-mesh-sales")["PublicAccessBlockConfiguration"]
    assert all(flags.values()) and len(flags) == 4
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="acme-mesh-sales")["TagSet"]} == {
        "domain": "sales",
        "owner": "s@acme.example",
    }
    policy = json.loads(s3.get_bucket_policy(Bucket="acme-mesh-sales")["Policy"])
    assert policy["Statement"][0]["Sid"] == "OnlyTheDomainRole"
    role = iam.get_role(RoleName="mesh-sales")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = trust if isinstance(trust, dict) else json.loads(trust)
    assert trust["Statement"][0]["Principal"]["Service"] in ("ec2.amazonaws.com", ["ec2.amazonaws.com"])
    inline = iam.get_role_policy(RoleName="mesh-sales", PolicyName="data")["PolicyDocument"]
    inline = inline if isinstance(inline, dict) else json.loads(inline)
    assert sorted(inline["Statement"][0]["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert glue.get_database(Name="mesh_sales")["Database"]["Parameters"] == {"owner": "s@acme.example"}
    table = glue.get_table(DatabaseName="mesh_sales", Name="orders_v1")["Table"]
    assert table["Parameters"] == {"topic": "sales.orders.v1", "freshness": "5m"}
    assert sm.describe_secret(SecretId="mesh/sales/kafka")["Description"] == "Kafka credentials of User:sales"
    assert _plan()[0] == 0


def test_policies_compare_by_meaning(workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str]) -> None:
    write_mesh(workdir, {"main.hcl": MESH})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    # The same inline policy written as JSON text, keys in another order, one action as a list.
    reordered = MESH.replace(
        """    data = {
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::acme-mesh-sales/*"
      }]
    }""",
        "    data = "
        + json.dumps(
            json.dumps(
                {
                    "Statement": [
                        {
                            "Resource": ["arn:aws:s3:::acme-mesh-sales/*"],
                            "Action": ["s3:PutObject", "s3:GetObject"],
                            "Effect": "Allow",
                        }
                    ],
                    "Version": "2012-10-17",
                }
            )
        ),
    )
    assert reordered != MESH
    write_mesh(workdir, {"main.hcl": reordered})
    assert _plan()[0] == 0


def test_policy_drift_shows_statements_and_is_reverted(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    write_mesh(workdir, {"main.hcl": MESH})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    s3, iam = boto3.client("s3"), boto3.client("iam")
    original = s3.get_bucket_policy(Bucket="acme-mesh-sales")["Policy"]
    widened = json.loads(original)
    widened["Statement"].append(
        {
            "Sid": "Oops",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-mesh-sales/*",
        }
    )
    s3.put_bucket_policy(Bucket="acme-mesh-sales", Policy=json.dumps(widened))
    iam.put_role_policy(
        RoleName="mesh-sales",
        PolicyName="data",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    code, out = _plan()
    assert code == 2
    assert '- statement {"Action": ["s3:GetObject"], "Effect": "Allow", "Principal": "*"' in out
    assert '- statement {"Action": ["s3:*"], "Effect": "Allow", "Resource": ["*"]}' in out
    assert '+ statement {"Action": ["s3:GetObject", "s3:PutObject"]' in out
    assert run("apply", "--auto-approve", ".").exit_code == 0
    restored = json.loads(s3.get_bucket_policy(Bucket="acme-mesh-sales")["Policy"])
    assert [st.get("Sid") for st in restored["Statement"]] == ["OnlyTheDomainRole"]
    assert _plan()[0] == 0


def test_bad_aws_settings_are_one_clear_error(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    write_mesh(workdir, {"main.hcl": MESH})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    unreachable = run("plan", ".")
    assert unreachable.exit_code == 1
    assert "cannot reach AWS at http://127.0.0.1:1" in unreachable.stderr
    assert "Traceback" not in unreachable.output


def test_missing_aws_credentials_are_one_clear_error(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    write_mesh(workdir, {"main.hcl": MESH})
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(workdir / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(workdir / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run("plan", ".")
    assert result.exit_code == 1
    # The first AWS request of a plan asks who is deploying (every Deny of a policy admits them).
    assert "error: no AWS credentials to identify the deploying principal (sts:GetCallerIdentity)" in result.stderr
    assert "Traceback" not in result.output
