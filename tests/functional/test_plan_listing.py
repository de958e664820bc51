"""`plan --json` and `plan --out` leave unchanged resources out unless `--full` asks; a saved
plan made either way applies the same and is refused once the state moved (through the CLI,
with the broker in memory of test_rotation)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import run
from tests.functional.test_rotation import MESH, FakeScramBroker
from tests.functional.test_rotation import broker as broker  # the fixture  # noqa: F401
from tests.helpers import write_mesh

OPS = 'domain "ops" {\n  owners { accountable = "o@acme.example" }\n}\n'
INFRA = 'domain "infra" {\n  owners { accountable = "i@acme.example" }\n}\n'


def _applied(mesh_dir: Path) -> None:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output


def _addresses(doc: dict) -> dict[str, list[str]]:
    return {c["address"]: c["change"]["actions"] for c in doc["resource_changes"]}


def test_the_json_plan_lists_unchanged_resources_only_with_full(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _applied(mesh_dir)
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS})
    short = json.loads(run("plan", "--json", ".").stdout)
    full = json.loads(run("plan", "--json", "--full", ".").stdout)
    assert _addresses(short) == {"kafka_scram_user.ops": ["create"]}
    assert _addresses(full) == {
        "kafka_scram_user.ops": ["create"],
        "kafka_scram_user.sales": ["no-op"],
        "kafka_scram_user.analytics": ["no-op"],
    }
    assert short["format_version"] == full["format_version"] == "1.0"
    assert short["summary"] == full["summary"] == {"add": 1, "change": 0, "destroy": 0, "blocked": 0}
    assert short["prior_state"] == full["prior_state"]
    # the text plan is the same either way
    assert run("plan", "--no-color", ".").stdout == run("plan", "--no-color", "--full", ".").stdout


def test_full_is_documented_in_plan_help() -> None:
    text = " ".join(run("plan", "--help").stdout.split())
    assert "--full List every resource in --json and --out, unchanged ones too" in text


def test_a_saved_plan_without_unchanged_resources_applies_and_a_stale_one_is_refused(
    broker: FakeScramBroker, mesh_dir: Path
) -> None:
    _applied(mesh_dir)
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS})
    made = run("plan", "--no-color", "--out", "short.plan", ".")
    assert made.exit_code == 0, made.output
    assert run("plan", "--no-color", "--full", "--out", "full.plan", ".").stdout == made.stdout
    short = json.loads((mesh_dir / "short.plan").read_text())
    full = json.loads((mesh_dir / "full.plan").read_text())
    assert _addresses(short) == {"kafka_scram_user.ops": ["create"]}
    assert len(_addresses(full)) == 3
    assert short["prior_state"] == full["prior_state"]
    assert short["prior_state"]["serial"] == 1 and short["prior_state"]["lineage"]

    applied = run("apply", "--no-color", "short.plan")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in applied.stdout
    state = json.loads((mesh_dir / ".meshctl" / "state.json").read_text())
    assert [r["address"] for r in state["resources"]] == [
        "kafka_scram_user.analytics",
        "kafka_scram_user.ops",
        "kafka_scram_user.sales",
    ]
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
    refused = run("apply", "full.plan")
    assert refused.exit_code == 1
    assert "the saved plan is stale: the state moved from serial 1 to 2" in refused.stderr

    # and the other way round: the full plan applies, the short one made alongside is stale
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS + INFRA})
    assert run("plan", "--out", "short2.plan", ".").exit_code == 0
    assert run("plan", "--full", "--out", "full2.plan", ".").exit_code == 0
    assert run("apply", "full2.plan").exit_code == 0
    refused = run("apply", "short2.plan")
    assert refused.exit_code == 1
    assert "the saved plan is stale: the state moved from serial 2 to 3" in refused.stderr
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_saved_plan_of_no_change_is_small_and_applies(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _applied(mesh_dir)
    assert run("plan", "--out", "none.plan", ".").exit_code == 0
    doc = json.loads((mesh_dir / "none.plan").read_text())
    assert doc["resource_changes"] == [] and doc["applyable"] is False
    applied = run("apply", "--no-color", "none.plan")
    assert applied.exit_code == 0, applied.output
    assert "No changes." in applied.stdout
