"""`lifecycle { ignore_changes }` against the moto server: tags changed by hand on a bucket
whose block ignores them plan no change (a bucket that does not ignore them is updated back),
and a tag changed in the configuration is not applied to the existing bucket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from tests.cli import run
from tests.helpers import write_mesh

MESH = """
aws {
  region = "eu-west-1"
  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
}
resource "aws_s3_bucket" "kept" {
  bucket = "acme-ignore-kept"
  tags   = { team = "TEAM" }
  lifecycle {
    ignore_changes = [tags]
  }
}
resource "aws_s3_bucket" "plain" {
  bucket = "acme-ignore-plain"
  tags   = { team = "TEAM" }
}
"""


def _tags(s3: Any, bucket: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}


def test_ignored_tags_stay_as_the_live_bucket_has_them(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    write_mesh(workdir, {"main.hcl": MESH.replace("TEAM", "sales")})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    s3 = boto3.client("s3")
    assert _tags(s3, "acme-ignore-kept") == {"team": "sales"}  # creation sets them
    for bucket in ("acme-ignore-kept", "acme-ignore-plain"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "by-hand"}]})

    plan = run("plan", "--json", ".")
    changes = {c["address"]: c["change"]["actions"] for c in json.loads(plan.stdout)["resource_changes"]}
    assert changes == {"aws_s3_bucket.plain": ["update"]}, plan.output

    write_mesh(workdir, {"main.hcl": MESH.replace("TEAM", "analytics")})  # the configuration changes them too
    done = run("apply", "--auto-approve", ".")
    assert done.exit_code == 0, done.output
    assert _tags(s3, "acme-ignore-kept") == {"team": "by-hand"}
    assert _tags(s3, "acme-ignore-plain") == {"team": "analytics"}
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
