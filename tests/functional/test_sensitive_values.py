"""A sensitive variable's value never reaches state or a saved plan (both plain text): a
resource attribute that would hold it is refused before anything is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

SECRET = "retention-kept-s3cr3t"

MESH = (
    MINIMAL.replace('"retention.ms" = "86400000"', '"retention.ms" = "86400000", "x.note" = "keep ${var.note}"')
    + 'variable "note" {\n  sensitive = true\n}\n'
)


def test_a_sensitive_value_in_an_attribute_is_refused(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "x.note" in MESH
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # refused before any connection
    monkeypatch.setenv("MESHCTL_VAR_note", SECRET)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    result = run("plan", "--out", "saved.plan", ".")
    assert result.exit_code == 1
    assert (
        "error: kafka_topic.commerce.sales.orders.v1 (from data_product.sales.orders.v1): config.x.note would hold "
        "the value of the sensitive var.note, and state and saved plans are plain text" in result.stderr
    )
    assert SECRET not in result.output
    assert not (mesh_dir / "saved.plan").exists() and not (mesh_dir / ".meshctl" / "state.json").exists()
