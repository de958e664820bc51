"""`import ADDRESS ID` refuses what it cannot adopt before it takes the lock or reads a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

CASES = {
    "not declared, with the closest address": (
        ["kafka_topic.commerce.sales.orders.v2", "commerce.sales.orders.v2"],
        "kafka_topic.commerce.sales.orders.v2 is not in the configuration "
        "(did you mean kafka_topic.commerce.sales.orders.v1?); declare it first, then import it",
    ),
    "another name": (
        ["kafka_topic.commerce.sales.orders.v1", "orders"],
        "kafka_topic.commerce.sales.orders.v1 is the resource named 'commerce.sales.orders.v1', not 'orders'",
    ),
    "unknown type": (["kafka_thing.x", "x"], "unknown resource type 'kafka_thing'"),
    "not an address": (["orders", "x"], "'orders' is not a resource address"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_import_refuses_what_it_cannot_adopt(mesh_dir: Path, case: str) -> None:
    args, message = CASES[case]
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run("import", *args)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert not (mesh_dir / ".meshctl" / "state.lock").exists() and not list((mesh_dir / ".meshctl").glob("*lock*"))


def test_the_state_lock_is_released_however_the_block_ends(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    ws = Workspace(mesh_dir, LoadOptions(env={}))
    with pytest.raises(RuntimeError), ws.locked("test") as state:
        assert ws.backend.holder() is not None and state.serial == 0
        raise RuntimeError("a step failed")
    assert ws.backend.holder() is None
