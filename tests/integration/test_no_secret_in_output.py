"""No secret in any output: a whole lifecycle through the real CLI, a rotation included (a subprocess with `--debug`,
librdkafka's security, protocol and admin debugging on, the registry behind basic auth, the
cluster's own password in a sensitive variable) against the real broker, registry and moto.
Then every password meshctl generated or was given is looked for in everything it printed or
wrote: standard output and error of every command, state, saved plans, client configs, caches."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from confluent_kafka.admin import AdminClient, ScramMechanism, UserScramCredentialDeletion

from meshctl_sandbox.kafka import KafkaSandbox
from tests.helpers import write_mesh
from tests.integration import kafkautil

SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "t",
    "fields": [{"name": "order_id", "type": "string"}],
}


def _mesh(p: str, on_aws: bool) -> dict[str, str]:
    aws = 'aws {\n  region = "eu-west-1"\n}\n' if on_aws else ""
    return {
        "main.hcl": f'''{aws}
variable "kafka_password" {{
  sensitive = true
}}

kafka {{
  sasl_password   = var.kafka_password
  request_timeout = "20s"
  config          = {{ "debug" = "security,protocol,admin,conf" }}
}}

domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}

domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}

data_product "orders" {{
  domain = "{p}sales"
  schema {{ file = "orders.avsc" }}
}}

access "reads" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}

application "dash" {{
  domain = "{p}analytics"
  kind   = "consumer"
  reads  = ["{p}sales.orders"]
}}
''',
        "orders.avsc": json.dumps(SCHEMA),
    }


@dataclass
class Session:
    """The CLI as a user's shell runs it, with every byte it printed kept for the search."""

    workdir: Path
    env: dict[str, str] = field(repr=False)  # holds the given secrets: never in a failure report
    seen: dict[str, str] = field(default_factory=dict, repr=False)

    def run(self, *args: str, expect: int = 0) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "meshctl", "--debug", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        label = f"meshctl {' '.join(args)} #{len(self.seen)}"
        self.seen[f"{label} stdout"] = proc.stdout
        self.seen[f"{label} stderr"] = proc.stderr
        tail = "\n".join(proc.stderr.splitlines()[-15:])  # redacted itself: meshctl printed it
        assert proc.returncode == expect, f"{label}: exit {proc.returncode}, expected {expect}\n{tail}"
        return proc.stdout

    def files(self) -> Iterator[tuple[str, str]]:
        """Every file meshctl wrote but the credential files, whose job is to hold passwords."""
        for path in sorted(self.workdir.rglob("*")):
            if path.is_file() and "credentials" not in path.relative_to(self.workdir).parts:
                yield str(path.relative_to(self.workdir)), path.read_bytes().decode("utf-8", "replace")


def _env(
    workdir: Path, kafka_env: dict[str, str], registry_env: dict[str, str], extra: dict[str, str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESHCTL_", "AWS_"))}
    env.update(kafka_env | registry_env | extra)
    env["XDG_CACHE_HOME"] = str(workdir / "cache")  # the parse cache too is searched
    env["MESHCTL_VAR_kafka_password"] = env.pop("MESHCTL_KAFKA_SASL_PASSWORD")  # a sensitive variable now
    env["MESHCTL_REGISTRY_USERNAME"] = "registry-user"
    env["MESHCTL_REGISTRY_PASSWORD"] = secrets.token_urlsafe(18)
    env.pop("NO_COLOR", None)
    return env


def _delete_scram_user(admin: AdminClient, user: str) -> None:
    futures = admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)])
    for future in futures.values():
        future.result(timeout=30)


def _lifecycle(s: Session) -> None:
    """What a pipeline runs: the plan in every form, the saved plan applied, the next plan and drift."""
    json.loads(s.run("plan", "--json", "."))
    assert "```" in s.run("plan", "--markdown", ".")
    assert "+ resource" in s.run("plan", "--no-color", "--out", "saved.plan", ".")
    s.run("apply", "--no-color", "saved.plan")
    s.run("plan", "--no-color", "--detailed-exitcode", ".")
    s.run("drift", ".")
    json.loads(s.run("drift", "--json", "."))


def _recreated(s: Session, p: str, to_files: bool) -> None:
    """After a principal lost its credential out of band, meshctl makes a new one; then what a
    person inspects: the state and the client configuration (printed, or written to files)."""
    assert "kafka_scram_user" in s.run("plan", "--no-color", "--detailed-exitcode", ".", expect=2)
    s.run("apply", "--auto-approve", "--no-color", ".")
    s.run("plan", "--no-color", "--detailed-exitcode", ".")
    state = json.loads(s.run("state", "show", f"kafka_scram_user.{p}sales", "."))
    assert str(state["attributes"]["password"]).startswith("sha256:")
    if to_files:
        s.run("client-config", f"{p}sales", "--out", "client-config", ".")
        written = (s.workdir / "client-config" / f"{p}sales.orders.v1.producer.properties").read_text()
        assert f"User:{p}sales" in written
        for fmt in ("librdkafka", "java", "json"):  # every form, of domains and of an application
            for who in (f"{p}sales", f"{p}analytics", f"{p}analytics.dash"):
                s.run("client-config", who, "--format", fmt, "--out", f"client-config-{fmt}", ".")
        rd = (s.workdir / "client-config-librdkafka" / f"{p}sales.orders.v1.consumer.properties").read_text()
        assert "KAFKA_SASL_PASSWORD" in rd and f"sasl.username={p}analytics" in rd
        assert json.loads((s.workdir / "client-config-json" / f"{p}sales.client-config.json").read_text())["clients"]
        app = (s.workdir / "client-config-librdkafka" / f"dash.{p}sales.orders.v1.consumer.properties").read_text()
        assert f"sasl.username={p}analytics-dash" in app
    else:
        assert f"User:{p}sales" in s.run("client-config", f"{p}sales", ".")
        for fmt in ("librdkafka", "json"):
            assert f"{p}analytics" in s.run("client-config", f"{p}analytics", "--format", fmt, ".")
            assert f"{p}analytics-dash" in s.run("client-config", f"{p}analytics.dash", "--format", fmt, ".")


def _rotated(s: Session, p: str) -> None:
    """A rotation in every form a pipeline runs it: the plan as text, JSON and a saved file, the
    saved plan applied, the next plan and drift."""
    address = f"kafka_scram_user.{p}analytics"
    assert "will be replaced, as requested" in s.run("plan", "--no-color", f"-replace={address}", ".")
    json.loads(s.run("plan", "--json", f"--replace={address}", "."))
    s.run("plan", "--no-color", "--replace", address, "--out", "rotate.plan", ".")
    s.run("apply", "--no-color", "rotate.plan")
    s.run("plan", "--no-color", "--detailed-exitcode", ".")
    s.run("drift", ".")


def _assert_nowhere(s: Session, secret_values: dict[str, str]) -> None:
    """Each secret is absent from every output; a hit is reported by place, never by value."""
    places = dict(s.seen) | dict(s.files())
    assert any("meshctl.librdkafka: " in text for text in places.values())  # the debug logs really were on
    hits = [
        f"{what} in {place} (line {text[: text.index(value)].count(chr(10)) + 1})"
        for what, value in secret_values.items()
        for place, text in places.items()
        if value in text
    ]
    assert not hits, "secrets found: " + "; ".join(hits)


def test_no_secret_in_any_output_on_aws(
    workdir: Path,
    prefix: str,
    kafka_env: dict[str, str],
    registry_env: dict[str, str],
    aws_env: dict[str, str],
    broker: KafkaSandbox,
    admin: AdminClient,
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p, on_aws=True))
    s = Session(workdir, _env(workdir, kafka_env, registry_env, aws_env))
    _lifecycle(s)
    sm = boto3.client("secretsmanager")

    def stored() -> dict[str, str]:
        names = [x["Name"] for x in sm.list_secrets()["SecretList"] if x["Name"].startswith(f"meshctl/kafka/{p}")]
        return {n: json.loads(sm.get_secret_value(SecretId=n)["SecretString"])["password"] for n in names}

    first = stored()
    assert set(first) == {f"meshctl/kafka/{p}sales", f"meshctl/kafka/{p}analytics", f"meshctl/kafka/{p}analytics-dash"}
    sm.delete_secret(SecretId=f"meshctl/kafka/{p}sales", ForceDeleteWithoutRecovery=True)
    _delete_scram_user(admin, f"{p}sales")
    _recreated(s, p, to_files=True)
    second = stored()
    assert second[f"meshctl/kafka/{p}sales"] != first[f"meshctl/kafka/{p}sales"]  # a new password was made
    _rotated(s, p)
    third = stored()
    analytics = f"meshctl/kafka/{p}analytics"
    assert third[analytics] != second[analytics]
    previous = sm.get_secret_value(SecretId=analytics, VersionStage="AWSPREVIOUS")["SecretString"]
    assert json.loads(previous)["password"] == second[analytics]
    generated = _named(first, "first") | _named(second, "second") | _named(third, "rotated")
    assert len(set(generated.values())) == 5  # 3 principals, 1 recreated, 1 rotated
    _assert_nowhere(s, generated | _given(s.env))
    assert any("(body hidden: it carries secrets)" in text for text in s.seen.values())


def test_no_secret_in_any_output_with_local_credentials(
    workdir: Path,
    prefix: str,
    kafka_env: dict[str, str],
    registry_env: dict[str, str],
    broker: KafkaSandbox,
    admin: AdminClient,
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p, on_aws=False))
    s = Session(workdir, _env(workdir, kafka_env, registry_env, {}))
    s.run("apply", "--auto-approve", "--no-color", ".")  # the forms of the plan are covered on AWS
    files = workdir / ".meshctl" / "credentials"

    def stored() -> dict[str, str]:
        return {f.name: kafkautil.read_properties(f)["sasl.password"] for f in sorted(files.glob(f"{p}*.properties"))}

    first = stored()
    assert set(first) == {f"{p}sales.properties", f"{p}analytics.properties", f"{p}analytics-dash.properties"}
    (files / f"{p}sales.properties").unlink()
    _delete_scram_user(admin, f"{p}sales")
    _recreated(s, p, to_files=False)
    second = stored()
    assert second[f"{p}sales.properties"] != first[f"{p}sales.properties"]
    _rotated(s, p)
    third = stored()
    assert third[f"{p}analytics.properties"] != second[f"{p}analytics.properties"]

    generated = _named(first, "first") | _named(second, "second") | _named(third, "rotated")
    assert len(set(generated.values())) == 5  # 3 principals, 1 recreated, 1 rotated
    _assert_nowhere(s, generated | _given(s.env))


def _named(passwords: dict[str, str], when: str) -> dict[str, str]:
    return {f"{name} ({when})": password for name, password in passwords.items()}


def _given(env: dict[str, str]) -> dict[str, str]:
    """The secrets meshctl was given rather than made: the cluster's and the registry's."""
    return {
        "the cluster password (a sensitive variable)": env["MESHCTL_VAR_kafka_password"],
        "the registry password": env["MESHCTL_REGISTRY_PASSWORD"],
        "the registry's Basic token": base64.b64encode(
            f"{env['MESHCTL_REGISTRY_USERNAME']}:{env['MESHCTL_REGISTRY_PASSWORD']}".encode()
        ).decode(),
    }
