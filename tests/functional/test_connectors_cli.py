"""`kafka_connector` resources at the CLI: what validation refuses (one `file:line` error each),
and a worker that cannot be reached (exit 1, one sentence naming it, no traceback)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from meshctl.providers.connect.client import ConnectClient
from meshctl.providers.connect.provider import ConnectProvider, ConnectSettings
from tests.cli import run
from tests.fake_providers import FakeKafka, FakeProvider
from tests.helpers import MINIMAL, write_mesh

KAFKA = 'kafka {\n  bootstrap_servers = "127.0.0.1:9"\n}\n'


def _connector(config: str, extra: str = "") -> str:
    return f"""resource "kafka_connector" "archive" {{
  name      = "analytics.archive"
  domain    = "analytics"
  principal = "User:analytics"
{extra}  config    = {{
    "connector.class" = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    "topics"          = "commerce.sales.orders.v1"
{config}  }}
}}
"""


@pytest.mark.parametrize(
    ("config", "extra", "message"),
    [
        (
            '    "ssl.keystore.password" = "hunter2"\n',
            "",
            "config['ssl.keystore.password'] holds a secret in plain text",
        ),
        (
            '    "consumer.override.sasl.jaas.config" = "x.ScramLoginModule required password=\\"p\\";"\n',
            "",
            "holds a secret in plain text",
        ),
        (
            '    "producer.override.sasl.mechanism" = "PLAIN"\n',
            "",
            "config['producer.override.sasl.mechanism'] is set by meshctl from principal",
        ),
        ("", '  state     = "stopped"\n', 'state must be "running" or "paused", not \'stopped\''),
        (  # another principal's password, borrowed through the worker's config provider
            '    "source.consumer.sasl.jaas.config" = "m password=\\"$${file:/c/s.properties:sasl.password}\\";"\n',
            "",
            "config['source.consumer.sasl.jaas.config'] is set by meshctl from principal",
        ),
        (
            '    "file" = "$${file:/etc/kafka-connect/credentials/sales.properties:sasl.password}"\n',
            "",
            "config['file'] is set by meshctl from principal",
        ),
    ],
)
def test_validation_refuses_a_connector_with_a_secret_or_a_bad_setting(
    mesh_dir: Path, config: str, extra: str, message: str
) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "connect.hcl": _connector(config, extra)})
    result = run("validate", ".")
    assert result.exit_code == 1, result.output
    assert "connect.hcl:" in result.stderr and message in result.stderr, result.stderr
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_a_bad_principal_and_connector_name_are_refused(mesh_dir: Path) -> None:
    text = _connector("").replace('"analytics.archive"', '"a/b"').replace('"User:analytics"', '"analytics"')
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "connect.hcl": text})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "invalid connector name 'a/b'" in result.stderr and "principal must read User:NAME" in result.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_worker_is_exit_1_with_one_clear_message(
    mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    connect = ConnectProvider(lambda: ConnectClient(url, timeout_s=2), lambda: ConnectSettings("/secrets"))
    providers = {
        "kafka": FakeKafka(),
        "registry": FakeProvider("registry"),
        "aws": FakeProvider("aws"),
        "connect": connect,
    }
    monkeypatch.setattr(Workspace, "providers", property(lambda self: providers))
    write_mesh(mesh_dir, {"main.hcl": KAFKA + MINIMAL, "connect.hcl": _connector("")})
    result = run("plan", "--no-color", ".")
    assert result.exit_code == 1, result.output
    assert f"cannot reach Kafka Connect at {url}" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_a_connector_plans_with_its_principal_and_no_secret(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planned from scratch (the worker holds nothing): the plan shows the principal, never a
    password or the settings meshctl adds for it."""
    connect = FakeProvider("connect")
    providers = {
        "kafka": FakeKafka(),
        "registry": FakeProvider("registry"),
        "aws": FakeProvider("aws"),
        "connect": connect,
    }
    monkeypatch.setattr(Workspace, "providers", property(lambda self: providers))
    write_mesh(mesh_dir, {"main.hcl": KAFKA + MINIMAL, "connect.hcl": _connector("")})
    plan = json.loads(run("plan", "--json", ".").stdout)
    (change,) = [c for c in plan["resource_changes"] if c["type"] == "kafka_connector"]
    assert change["change"]["after"]["principal"] == "User:analytics"
    assert change["change"]["after"]["state"] == "running"
    assert not any("sasl" in key for key in change["change"]["after"]["config"])
    # It waits for its principal: its ACLs and user come first.
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert connect.batches == [("apply", ("kafka_connector.archive",))]


VENDOR = """variable "integration" {}

resource "kafka_connector" "sink" {
  name      = "analytics.lake"
  principal = %s
  config    = {
    "connector.class" = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    "topics"          = join(",", var.integration.reads)
  }
}
"""
LAKE = """integration "lake" {
  domain = "analytics"
  vendor = "acme"
  source = "./vendor"
  reads  = ["sales.orders"]
}
"""


@pytest.mark.parametrize(
    ("principal", "refused"),
    [('"User:analytics"', "User:analytics"), ("null", "the Connect worker"), ("var.integration.principal", "")],
)
def test_an_integration_s_connector_runs_as_the_integration_and_no_one_else(
    mesh_dir: Path, principal: str, refused: str
) -> None:
    (mesh_dir / "vendor").mkdir()
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + LAKE, "vendor/main.hcl": VENDOR % principal})
    result = run("validate", ".")
    if not refused:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    assert "vendor/main.hcl:" in result.stderr, result.stderr
    assert f"a connector of integration 'lake' runs as User:analytics-lake, not {refused}" in result.stderr


def test_a_principal_the_mesh_does_not_manage_is_a_warning(mesh_dir: Path) -> None:
    text = _connector("").replace('"User:analytics"', '"User:someone-else"')
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "connect.hcl": text})
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert "User:someone-else is no principal this mesh manages" in result.stderr
