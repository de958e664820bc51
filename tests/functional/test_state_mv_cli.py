"""`meshctl state mv SRC DST` through the CLI: renames an entry of state under the lock, and
refuses what cannot be a rename (an address taken, another type, another cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.functional.test_rotation import FakeScramBroker
from tests.functional.test_rotation import broker as broker  # the fixture  # noqa: F401


def _state(mesh_dir: Path) -> dict:
    return json.loads((mesh_dir / ".meshctl" / "state.json").read_text())


@pytest.fixture
def applied(broker: FakeScramBroker, mesh_dir: Path) -> dict:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    return _state(mesh_dir)


def test_state_mv_renames_an_entry_and_keeps_what_it_recorded(applied: dict, mesh_dir: Path) -> None:
    result = run("state", "mv", "kafka_scram_user.sales", "kafka_scram_user.sellers")
    assert result.exit_code == 0, result.output
    assert "Moved kafka_scram_user.sales to kafka_scram_user.sellers" in result.stdout
    after = _state(mesh_dir)
    entries = {r["address"]: r for r in after["resources"]}
    before = {r["address"]: r for r in applied["resources"]}
    assert set(entries) == {"kafka_scram_user.sellers", "kafka_scram_user.analytics"}
    assert entries["kafka_scram_user.sellers"]["attributes"] == before["kafka_scram_user.sales"]["attributes"]
    assert entries["kafka_scram_user.sellers"]["name"] == "sellers"
    assert after["serial"] == applied["serial"] + 1 and after["lineage"] == applied["lineage"]
    # the configuration still says sales: the next plan finds the same user and moves it back
    plan = json.loads(run("plan", "--json", ".").stdout)
    assert [c["address"] for c in plan["resource_changes"]] == ["kafka_scram_user.sales"]
    assert plan["resource_changes"][0].get("previous_address") == "kafka_scram_user.sellers"


def test_state_mv_into_a_module_and_an_instance_key(applied: dict, mesh_dir: Path) -> None:
    result = run("state", "mv", "kafka_scram_user.sales", 'module.team.kafka_scram_user.sales["a"]')
    assert result.exit_code == 0, result.output
    entry = next(r for r in _state(mesh_dir)["resources"] if r["name"] == 'sales["a"]')
    assert entry["module"] == "module.team"


BAD = {
    "missing source": (
        ["kafka_scram_user.nobody", "kafka_scram_user.x"],
        "kafka_scram_user.nobody is not in the state",
    ),
    "taken destination": (
        ["kafka_scram_user.sales", "kafka_scram_user.analytics"],
        "kafka_scram_user.analytics is already in the state",
    ),
    "type change": (["kafka_scram_user.sales", "kafka_topic.sales"], "cannot change a resource's type"),
    "other cluster": (["kafka_scram_user.sales", "kafka_scram_user.@eu/sales"], "cannot move between clusters"),
    "same address": (["kafka_scram_user.sales", "kafka_scram_user.sales"], "already in the state"),
    "not an address": (["kafka_scram_user.sales", "nonsense"], "is not a resource or module address"),
    "module to resource": (["module.a", "kafka_scram_user.x"], "a module moves to a module, a resource to a resource"),
    "empty module": (["module.a", "module.b"], "nothing in the state is in module.a"),
    "root module": (["module.a", "module"], "is not a resource or module address"),
    "into itself": (["module.a", "module.a.module.b"], "cannot move into itself"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_state_mv_refuses_what_is_no_rename(applied: dict, mesh_dir: Path, case: str) -> None:
    args, phrase = BAD[case]
    result = run("state", "mv", *args)
    assert result.exit_code == 1 and phrase in result.stderr, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert _state(mesh_dir) == applied  # nothing written


def test_state_mv_moves_a_whole_module(applied: dict, mesh_dir: Path) -> None:
    assert run("state", "mv", "kafka_scram_user.sales", 'module.lake["a"].kafka_scram_user.sales').exit_code == 0
    assert run("state", "mv", "kafka_scram_user.analytics", "module.lake.kafka_scram_user.sales").exit_code == 0
    before = _state(mesh_dir)
    taken = run("state", "mv", 'module.lake["a"]', "module.lake")
    assert taken.exit_code == 1 and "module.lake already holds module.lake.kafka_scram_user.sales" in taken.stderr
    assert _state(mesh_dir) == before
    moved = run("state", "mv", "module.lake", "module.sales_lake")
    assert moved.exit_code == 0, moved.output
    modules = {r["address"]: r["module"] for r in _state(mesh_dir)["resources"]}
    assert modules == {
        "module.sales_lake.kafka_scram_user.sales": "module.sales_lake",
        'module.lake["a"].kafka_scram_user.sales': 'module.lake["a"]',
    }


def test_state_mv_takes_the_lock(applied: dict, mesh_dir: Path) -> None:
    ws = Workspace(mesh_dir)
    ws.backend.lock("apply", 0)
    try:
        result = run("state", "mv", "kafka_scram_user.sales", "kafka_scram_user.sellers")
    finally:
        ws.backend.unlock()
    assert result.exit_code == 1 and "lock" in result.stderr, result.output
    assert _state(mesh_dir) == applied
    assert run("state", "mv", "kafka_scram_user.sales", "kafka_scram_user.sellers").exit_code == 0


def test_state_mv_help_has_examples() -> None:
    assert "meshctl state mv aws_s3_bucket.data aws_s3_bucket.raw" in run("state", "mv", "--help").stdout
