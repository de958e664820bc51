"""A saved plan carries its variables: `apply FILE` applies what was planned without the flags,
asks again for sensitive values (never stored), refuses a different value and a rolled-back state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil


def write(workdir: Path, p: str) -> None:
    write_mesh(
        workdir,
        {
            "main.hcl": f'''
variable "partitions" {{
  type = number
}}
variable "retention" {{
  type = string
}}
variable "kafka_password" {{
  type      = string
  sensitive = true
}}

kafka {{
  request_timeout = "20s"
  sasl_password   = var.kafka_password
}}

domain "{p}sales" {{
  owners {{ accountable = "sales@acme.example" }}
}}

data_product "orders" {{
  domain = "{p}sales"
  topic {{
    partitions = var.partitions
    config     = {{ "retention.ms" = var.retention }}
  }}
}}
''',
            "prod.vars": 'retention = "172800000"\n',
        },
    )


@pytest.fixture
def password(workdir: Path, kafka_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The broker's admin password, reachable only through the sensitive variable."""
    monkeypatch.delenv("MESHCTL_KAFKA_SASL_PASSWORD")
    monkeypatch.delenv("MESHCTL_VAR_kafka_password", raising=False)
    return kafka_env["MESHCTL_KAFKA_SASL_PASSWORD"]


def test_apply_file_uses_the_plans_variables_and_asks_for_the_sensitive_one(
    workdir: Path, prefix: str, password: str, admin: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workdir, prefix)
    made = run(
        "plan",
        "--out",
        "mesh.plan",
        "--var",
        "partitions=4",
        "--var-file",
        "prod.vars",
        "--var",
        f"kafka_password={password}",
        ".",
    )
    assert made.exit_code == 0, made.output
    raw = (workdir / "mesh.plan").read_text()
    assert password not in raw
    meta = json.loads(raw)["meshctl_saved_plan"]
    assert meta["variables"] == {"partitions": 4, "retention": "172800000"}
    assert meta["sensitive_variables"] == ["kafka_password"]

    refused = run("apply", "mesh.plan")
    assert refused.exit_code == 1
    assert 'main.hcl:7: error: variable "kafka_password" is sensitive: the saved plan does not store its value' in (
        refused.stderr
    )
    assert (
        "hint: give it again when applying the plan: with --var, a --var-file or MESHCTL_VAR_kafka_password"
        in refused.stderr
    )
    assert "Traceback" not in refused.output and "undeclared" not in refused.output
    assert refused.stderr.endswith("\n1 error in the configuration.\n")
    assert not (workdir / ".meshctl" / "state.json").exists()
    assert kafkautil.topics(admin, prefix) == {}

    monkeypatch.setenv("MESHCTL_VAR_kafka_password", password)
    applied = run("apply", "mesh.plan")
    assert applied.exit_code == 0, applied.output
    topic = f"{prefix}sales.orders.v1"
    assert kafkautil.topics(admin, prefix) == {topic: (4, 1)}
    assert kafkautil.topic_configs(admin, [topic])[topic]["retention.ms"] == "172800000"
    assert password not in applied.output
    # the same variables on the command line plan no change
    again = run("plan", "--detailed-exitcode", "--var", "partitions=4", "--var-file", "prod.vars", ".")
    assert again.exit_code == 0, again.output


def test_a_different_value_at_apply_is_refused_the_same_is_accepted(
    workdir: Path, prefix: str, password: str, admin: AdminClient
) -> None:
    write(workdir, prefix)
    made = run(
        "plan",
        "--out",
        "mesh.plan",
        "--var",
        "partitions=4",
        "--var-file",
        "prod.vars",
        "--var",
        f"kafka_password={password}",
        ".",
    )
    assert made.exit_code == 0, made.output
    other = run("apply", "mesh.plan", "--var", "partitions=5", "--var", f"kafka_password={password}")
    assert other.exit_code == 1
    assert (
        "error: the saved plan was made with other variable values: var.partitions is 4 in the plan, "
        "--var partitions gives 5. A saved plan applies with the values it was made with" in other.stderr
    )
    assert kafkautil.topics(admin, prefix) == {}
    same = run(
        "apply", "mesh.plan", "--var", "partitions=4", "--var-file", "prod.vars", "--var", f"kafka_password={password}"
    )
    assert same.exit_code == 0, same.output
    assert kafkautil.topics(admin, prefix) == {f"{prefix}sales.orders.v1": (4, 1)}


def test_a_state_whose_serial_was_lowered_is_refused(
    workdir: Path, prefix: str, password: str, admin: AdminClient
) -> None:
    write(workdir, prefix)
    common = ["--var-file", "prod.vars", "--var", f"kafka_password={password}"]
    assert run("apply", "--auto-approve", "--var", "partitions=2", *common, ".").exit_code == 0
    state_path = workdir / ".meshctl" / "state.json"
    serial = json.loads(state_path.read_text())["serial"]
    assert run("plan", "--out", "mesh.plan", "--var", "partitions=3", *common, ".").exit_code == 0

    doc = json.loads(state_path.read_text())
    doc["serial"] = serial - 1  # restored from an older copy, or edited by hand
    state_path.write_text(json.dumps(doc))
    refused = run("apply", "mesh.plan", "--var", f"kafka_password={password}")
    assert refused.exit_code == 1
    assert (
        f"error: the state looks rolled back: the saved plan was made from serial {serial}, the state at "
        f"{state_path.resolve()} has serial {serial - 1} (same lineage)" in refused.stderr
    )
    assert kafkautil.topics(admin, prefix) == {f"{prefix}sales.orders.v1": (2, 1)}  # untouched


def test_a_plan_file_whose_recorded_values_were_edited_is_refused(
    workdir: Path, prefix: str, password: str, admin: AdminClient
) -> None:
    write(workdir, prefix)
    common = ["--var-file", "prod.vars", "--var", f"kafka_password={password}"]
    assert run("plan", "--out", "mesh.plan", "--var", "partitions=4", *common, ".").exit_code == 0
    path = workdir / "mesh.plan"
    doc = json.loads(path.read_text())
    doc["meshctl_saved_plan"]["variables"]["partitions"] = 9
    path.write_text(json.dumps(doc))
    refused = run("apply", "mesh.plan", "--var", f"kafka_password={password}")
    assert refused.exit_code == 1
    assert "the saved plan is stale: the configuration changed since it was made (variables or the environment" in (
        refused.stderr
    )
    assert kafkautil.topics(admin, prefix) == {}

    doc["meshctl_saved_plan"]["variables"] = ["partitions"]
    path.write_text(json.dumps(doc))
    damaged = run("apply", "mesh.plan", "--var", f"kafka_password={password}")
    assert damaged.exit_code == 1
    assert "Traceback" not in damaged.output and "internal error" not in damaged.output
    assert "variables" in damaged.stderr
