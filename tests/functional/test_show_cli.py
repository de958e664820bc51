"""`meshctl show PLANFILE` and `meshctl show [DIR]`: a saved plan or the state, as text and as
Terraform's JSON shapes, never with a secret (through the CLI with the broker in memory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run
from tests.functional.test_rotation import MESH, FakeScramBroker
from tests.functional.test_rotation import broker as broker  # the fixture  # noqa: F401
from tests.helpers import write_mesh

OPS = 'domain "ops" {\n  owners { accountable = "o@acme.example" }\n}\n'
VARS = 'variable "team" {\n  default = "ops"\n}\nvariable "token" {\n  sensitive = true\n}\n'
SECRET = "s3cr3t-token-value"


def _planned(mesh_dir: Path) -> str:
    assert run("apply", "--auto-approve", "--no-color", ".").exit_code == 0
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS + VARS})
    made = run("plan", "--no-color", "--var", f"token={SECRET}", "--out", "next.plan", ".")
    assert made.exit_code == 0, made.output
    return made.stdout


def test_show_a_saved_plan_as_text(broker: FakeScramBroker, mesh_dir: Path) -> None:
    planned = _planned(mesh_dir)
    shown = run("show", "--no-color", "next.plan")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == planned
    assert "kafka_scram_user.ops will be created" in shown.stdout and SECRET not in shown.output


def test_show_a_saved_plan_as_json(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _planned(mesh_dir)
    shown = run("show", "--json", "next.plan")
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    saved = json.loads((mesh_dir / "next.plan").read_text())
    assert doc["format_version"] == saved["format_version"] == "1.0"
    assert doc["resource_changes"] == saved["resource_changes"]
    assert doc["variables"] == {"team": {"value": "ops"}, "token": {"sensitive": True}}
    assert SECRET not in shown.output and "meshctl_saved_plan" not in doc


def test_show_reads_nothing_but_the_file(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _planned(mesh_dir)
    (mesh_dir / "main.hcl").write_text("this is { not hcl")  # the mesh is not loaded
    before = broker.requests
    assert run("show", "next.plan").exit_code == 0
    assert broker.requests == before


def test_show_refuses_a_file_that_is_no_plan(mesh_dir: Path) -> None:
    (mesh_dir / "x.json").write_text('{"a": 1}\n')
    result = run("show", "x.json")
    assert result.exit_code == 1 and "is not a meshctl saved plan" in result.stderr
    (mesh_dir / "y.plan").write_text("{not json\n")
    result = run("show", "y.plan")
    assert result.exit_code == 1 and "y.plan:1" in result.stderr and "Traceback" not in result.output
    assert run("show", "missing.plan").exit_code == 1


def test_show_a_plan_edited_after_it_was_saved_is_refused(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _planned(mesh_dir)
    path = mesh_dir / "next.plan"
    path.write_text(path.read_text().replace('"iterations":8192', '"iterations":4096', 1))
    result = run("show", "next.plan")
    assert result.exit_code == 1 and "was changed after" in result.stderr


def test_show_the_state_as_text_and_json(broker: FakeScramBroker, mesh_dir: Path) -> None:
    assert "The state is empty" in run("show").stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    text = run("show", "--no-color")
    assert text.exit_code == 0, text.output
    assert "# kafka_scram_user.sales:" in text.stdout and 'resource "kafka_scram_user" "sales" {' in text.stdout
    doc = json.loads(run("show", "--json", ".").stdout)
    resources = {r["address"]: r for r in doc["values"]["root_module"]["resources"]}
    assert set(resources) == {"kafka_scram_user.sales", "kafka_scram_user.analytics"}
    assert resources["kafka_scram_user.sales"]["values"]["name"] == "sales"
    assert resources["kafka_scram_user.sales"]["provider_name"] == "meshctl/kafka"
    password = (mesh_dir / ".meshctl" / "credentials" / "sales.properties").read_text()
    secret = next(line.split("=", 1)[1] for line in password.splitlines() if "password" in line.lower())
    assert secret.strip() and secret.strip() not in text.output + json.dumps(doc)


def test_show_help_has_examples() -> None:
    assert "meshctl show --json release.plan" in run("show", "--help").stdout
