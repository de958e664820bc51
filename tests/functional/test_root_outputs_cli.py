"""Root `output` blocks at the CLI: `meshctl output` (text, --json, --name) and the "Outputs:"
apply prints at its end; a sensitive output is (sensitive) unless asked for by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.fake_providers import FakeKafka, FakeProvider
from tests.helpers import MINIMAL, write_mesh

KAFKA = 'kafka {\n  bootstrap_servers = "127.0.0.1:9"\n}\n'
SECRET = "tok-s3cr3t-out-value"
OUTPUTS = """
variable "token" {
  sensitive = true
}
locals {
  products = [{ name = "orders", v = 1 }, { name = "refunds", v = 2 }]
}
output "product_names" {
  value       = local.products[*].name
  description = "every product"
}
output "domain" {
  value = upper("sales")
}
output "token_header" {
  value     = "Bearer ${var.token}"
  sensitive = true
}
"""


@pytest.fixture
def mesh(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MESHCTL_VAR_token", SECRET)
    write_mesh(mesh_dir, {"main.hcl": KAFKA + MINIMAL + OUTPUTS})
    return mesh_dir


def test_output_lists_values_and_masks_the_sensitive(mesh: Path) -> None:
    result = run("output", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == 'domain = "SALES"\nproduct_names = ["orders", "refunds"]\ntoken_header = (sensitive)\n'


def test_output_json_masks_the_sensitive_and_name_shows_it(mesh: Path) -> None:
    shown = json.loads(run("output", "--json", ".").stdout)
    assert shown == {"domain": "SALES", "product_names": ["orders", "refunds"], "token_header": "(sensitive)"}
    assert run("output", "--name", "token_header", ".").stdout == f"Bearer {SECRET}\n"
    assert run("output", "--name", "product_names", ".").stdout.startswith("[\n")
    missing = run("output", "--name", "domian", ".")
    assert missing.exit_code == 1 and "did you mean domain?" in missing.stderr


def test_apply_ends_with_the_outputs(mesh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKafka()
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        'Outputs:\n\ndomain = "SALES"\nproduct_names = ["orders", "refunds"]\ntoken_header = (sensitive)\n'
    )
    assert SECRET not in result.output
    assert SECRET not in (mesh / ".meshctl" / "state.json").read_text()


def test_an_output_reading_a_sensitive_variable_must_say_so(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHCTL_VAR_token", SECRET)
    unmarked = OUTPUTS.replace('"Bearer ${var.token}"\n  sensitive = true\n', '"Bearer ${var.token}"\n')
    assert unmarked != OUTPUTS
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "outputs.hcl": unmarked})
    result = run("validate", ".")
    assert result.exit_code == 1
    line = (mesh_dir / "outputs.hcl").read_text().splitlines().index('  value     = "Bearer ${var.token}"') + 1
    assert f'outputs.hcl:{line}: error: output "token_header" reads the sensitive var.token' in result.stderr
    assert SECRET not in result.output


@pytest.mark.parametrize(
    "block, message",
    [
        ('output "x" {\n  description = "d"\n}\n', "missing required attribute 'value' in output \"x\""),
        ('output "x" {\n  value = 1\n  colour = 2\n}\n', "unknown attribute 'colour' in output \"x\""),
        ('output "x" {\n  value = 1\n}\noutput "x" {\n  value = 2\n}\n', 'duplicate output "x"'),
        ('output "x" {\n  value = var.nope\n}\n', "reference to undeclared value 'nope'"),
        ("output {\n  value = 1\n}\n", "output block needs 1 label(s): name"),
    ],
)
def test_a_malformed_output_is_an_error_at_its_line(mesh_dir: Path, block: str, message: str) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "outputs.hcl": block})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "outputs.hcl:" in result.stderr and message in result.stderr, result.stderr
