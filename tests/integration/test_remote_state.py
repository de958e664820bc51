"""Remote state in S3 (moto server): locking by S3 conditional writes or DynamoDB, two
concurrent applies, force-unlock, migration from local state, clear AWS errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from meshctl.state.s3 import S3Backend, S3Settings
from tests.cli import run
from tests.integration import mesh

BUCKET = "acme-meshctl-state"


def _backend_block(key: str, table: str | None = None) -> str:
    lock = f'\n  dynamodb_table = "{table}"' if table else ""
    return f'backend "s3" {{\n  bucket = "{BUCKET}"\n  key    = "{key}"\n  region = "eu-west-1"{lock}\n}}\n'


def _bucket(versioning: bool = True):  # type: ignore[no-untyped-def]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    if versioning:
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return s3


def _meshctl(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "meshctl", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _read_until(stream, marker: str, timeout_s: float = 60) -> str:  # type: ignore[no-untyped-def]
    seen, deadline = "", time.monotonic() + timeout_s
    while marker not in seen and time.monotonic() < deadline:
        ch = stream.read(1)
        if not ch:
            break
        seen += ch
    return seen


def test_two_concurrent_applies_one_is_refused_with_the_holder_named(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    s3 = _bucket()
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(_backend_block(f"{prefix}/state.json"))
    env = {**os.environ, **kafka_env, **aws_env}

    first = _meshctl("apply", "--no-color", ".", env=env)  # stops at the prompt, holding the lock
    shown = _read_until(first.stdout, "Enter a value:")
    assert "Enter a value:" in shown, shown + first.stderr.read()
    second = subprocess.run(
        [sys.executable, "-m", "meshctl", "apply", "--auto-approve", "."],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 1
    assert f"the state s3://{BUCKET}/{prefix}/state.json is locked by " in second.stderr
    assert "(apply, since " in second.stderr and "lock ID " in second.stderr
    assert "Traceback" not in second.stderr

    out, err = first.communicate("yes\n", timeout=120)
    assert first.returncode == 0, err
    assert "Apply complete! Resources: 14 added" in out
    state = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/state.json")["Body"].read())
    assert len(state["resources"]) == 14 and state["serial"] >= 2
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=f"{prefix}/state.json")["Versions"]
    versions = [v for v in listed if v["Key"] == f"{prefix}/state.json"]
    assert len(versions) == state["serial"]  # every write kept: earlier states can be restored
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=BUCKET, Key=f"{prefix}/state.json.lock")  # released
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_dynamodb_lock_and_force_unlock(workdir: Path, prefix: str, aws_env: dict[str, str]) -> None:
    _bucket()
    boto3.client("dynamodb").create_table(
        TableName="meshctl-locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(_backend_block("prod.json", "meshctl-locks"))
    holder = S3Backend(S3Settings(BUCKET, "prod.json", "eu-west-1", dynamodb_table="meshctl-locks"))
    info = holder.lock("apply")  # a run that died holding the lock
    refused = run("apply", "--auto-approve", ".")
    assert refused.exit_code == 1
    assert f"is locked by {info.who} (apply, since {info.created}, lock ID {info.id})" in refused.stderr

    wrong = run("force-unlock", "not-the-id", ".")
    assert wrong.exit_code == 1 and f"does not match the lock held by {info.who}" in wrong.stderr
    unlocked = run("force-unlock", info.id, ".")
    assert unlocked.exit_code == 0, unlocked.output
    assert f"removed the lock of {info.who}" in unlocked.stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert holder.read().serial >= 1


def test_lock_timeout_waits_for_the_holder(workdir: Path, prefix: str, aws_env: dict[str, str]) -> None:
    _bucket()
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(_backend_block("wait.json"))
    holder = S3Backend(S3Settings(BUCKET, "wait.json", "eu-west-1"))
    holder.lock("plan")
    started = time.monotonic()
    refused = run("apply", "--auto-approve", "--lock-timeout", "2", ".")
    assert refused.exit_code == 1 and time.monotonic() - started >= 2
    holder.unlock()
    assert run("apply", "--auto-approve", "--lock-timeout", "2", ".").exit_code == 0


def test_a_bucket_without_versioning_is_warned_about(workdir: Path, prefix: str, aws_env: dict[str, str]) -> None:
    _bucket(versioning=False)
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(_backend_block("nover.json"))
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0
    assert f"warning: versioning is off on the state bucket '{BUCKET}'" in result.stderr


def test_local_state_migrates_to_s3(workdir: Path, prefix: str, aws_env: dict[str, str]) -> None:
    s3 = _bucket()
    mesh.write(workdir, prefix)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    local = json.loads((workdir / ".meshctl" / "state.json").read_text())
    (workdir / "backend.hcl").write_text(_backend_block("migrated.json"))
    result = run("state", "migrate", ".")
    assert result.exit_code == 0, result.output
    remote = json.loads(s3.get_object(Bucket=BUCKET, Key="migrated.json")["Body"].read())
    assert (remote["lineage"], remote["serial"], len(remote["resources"])) == (
        local["lineage"],
        local["serial"],
        len(local["resources"]),
    )
    assert not (workdir / ".meshctl" / "state.json").exists()
    assert (workdir / ".meshctl" / "state.json.migrated").exists()
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
    again = run("state", "migrate", ".")
    assert again.exit_code == 1  # nothing local left, and the remote one is never overwritten


def test_aws_problems_are_one_clear_sentence(workdir: Path, prefix: str, aws_env: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mesh.write(workdir, prefix)
    (workdir / "backend.hcl").write_text(_backend_block("x.json"))
    missing = run("plan", ".")
    assert missing.exit_code == 1
    assert f"the state bucket '{BUCKET}' does not exist" in missing.stderr
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(workdir / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(workdir / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    no_creds = run("plan", ".")
    assert no_creds.exit_code == 1
    assert "no AWS credentials to read the state" in no_creds.stderr
    assert "Traceback" not in no_creds.output
