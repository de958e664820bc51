"""`meshctl replay` refuses bad input with one message and exit 1, before any connection
(the broker address is unreachable here: an attempt to connect would fail differently)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import write_mesh

MESH = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
}
data_product "orders" {
  domain  = "sales"
  version = 2
  versioning { replaces = 1 }
}
"""


@pytest.fixture
def mesh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_mesh(tmp_path, {"main.hcl": MESH})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--source", "sales.orders.v9", "--into", "sales.orders.v2"], "not a product version of this mesh"),
        (["--source", "sales.orders", "--into", "sales.orders.v2"], "names no product version"),
        (["--source", "sales.orders.v1", "--into", "sales.orders.v2", "--since", "yesterday"], "neither a time"),
        (["--source", "sales.orders.v1", "--into", "sales.orders.v2", "--offsets", "0=1"], "not PARTITION:OFFSET"),
        (["--source", "sales.orders.v1", "--into", "sales.orders.v2"], "is not in state: run `meshctl apply` first"),
    ],
)
def test_bad_replays_are_one_message_and_exit_1(mesh: Path, args: list[str], says: str) -> None:
    result = run("replay", *args, ".")
    assert result.exit_code == 1, result.output
    assert says in result.stderr and "Traceback" not in result.output, result.output


def test_offsets_and_since_together_are_a_usage_error(mesh: Path) -> None:
    result = run(
        "replay", "--source", "sales.orders.v1", "--into", "sales.orders.v2", "--since", "1h", "--offsets", "0:1", "."
    )
    assert result.exit_code == 1 and "give one" in result.output
