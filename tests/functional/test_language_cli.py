"""Issue 13's language at the CLI: auto-loaded var files and their precedence, validation
blocks, functions misused (one `file:line` error, exit 1, no traceback)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

# The validation always fails and its message shows the value that won, and where it came from.
REVEAL = """
variable "team" {
  default = "from-default"
  validation {
    condition     = var.team == "never"
    error_message = "team is ${var.team}"
  }
}
"""


def _winner(*args: str) -> tuple[str, str]:
    result = run("validate", *args, ".")
    assert result.exit_code == 1
    line = next(x for x in result.stderr.splitlines() if "has an invalid value" in x)
    origin = next(x for x in result.stderr.splitlines() if "the value came from" in x)
    return line.split("team is ")[1], origin.split("the value came from ")[1]


def test_auto_var_files_load_in_order_below_the_command_line(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + REVEAL})
    assert _winner() == ("from-default", "default")
    monkeypatch.setenv("MESHCTL_VAR_team", "from-env")
    assert _winner() == ("from-env", "environment MESHCTL_VAR_team")
    (mesh_dir / "meshctl.meshvars").write_text('team = "from-meshvars"\n')
    assert _winner() == ("from-meshvars", "auto var file (meshctl.meshvars:1)")
    (mesh_dir / "b.auto.meshvars").write_text('team = "from-b"\n')
    (mesh_dir / "a.auto.meshvars").write_text('team = "from-a"\n')
    assert _winner() == ("from-b", "auto var file (b.auto.meshvars:1)")  # name order: b after a
    (mesh_dir / "given.vars").write_text('\nteam = "from-var-file"\n')
    assert _winner("--var-file", "given.vars") == ("from-var-file", "--var-file (given.vars:2)")
    assert _winner("--var-file", "given.vars", "--var", "team=from-flag") == ("from-flag", "--var team")


def test_an_auto_var_file_is_not_configuration_and_not_hcl_named(mesh_dir: Path) -> None:
    """A `.meshvars` file holds only NAME = VALUE lines; a block in it is an error at its line."""
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + REVEAL, "x.auto.meshvars": 'team = "t"\ndomain "x" {}\n'})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "x.auto.meshvars:2: error: a var file holds only NAME = VALUE lines" in result.stderr
    assert "Traceback" not in result.output


def test_an_auto_var_file_for_an_undeclared_variable_is_an_error(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    (mesh_dir / "meshctl.meshvars").write_text('\nnope = "x"\n')
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "meshctl.meshvars:2: error: auto var file: no variable 'nope' is declared" in result.stderr


def test_an_auto_var_file_linking_out_of_the_mesh_is_refused(
    mesh_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "credentials"
    outside.write_text("aws_secret_access_key = s3cr3t-outside-value\n")
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    os.symlink(outside, mesh_dir / "creds.auto.meshvars")
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "auto var file creds.auto.meshvars is a symbolic link leading outside the mesh directory" in result.stderr
    assert "s3cr3t-outside-value" not in result.output


def test_a_failed_validation_is_one_error_with_exit_1(mesh_dir: Path) -> None:
    mesh = MINIMAL.replace("partitions = 3", "partitions = var.partitions") + (
        'variable "partitions" {\n  type = number\n  default = 3\n'
        "  validation {\n    condition = var.partitions >= 1 && var.partitions <= 12\n"
        '    error_message = "partitions must be between 1 and 12."\n  }\n}\n'
    )
    write_mesh(mesh_dir, {"main.hcl": mesh})
    assert run("validate", ".").exit_code == 0
    result = run("validate", "--var", "partitions=40", ".")
    assert result.exit_code == 1
    assert (
        'main.hcl:26: error: variable "partitions" has an invalid value: partitions must be between 1 and 12.'
        in result.stderr
    )
    assert "the value came from --var partitions" in result.stderr
    assert "Traceback" not in result.output


def test_a_sensitive_value_failing_validation_is_not_shown(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = MINIMAL + (
        'variable "api_key" {\n  sensitive = true\n'
        "  validation {\n    condition = length(var.api_key) >= 32\n"
        '    error_message = "api_key ${var.api_key} is too short."\n  }\n}\n'
    )
    write_mesh(mesh_dir, {"main.hcl": mesh})
    monkeypatch.setenv("MESHCTL_VAR_api_key", "short-s3cr3t")
    result = run("validate", ".")
    assert result.exit_code == 1
    assert 'variable "api_key" has an invalid value' in result.stderr
    assert "short-s3cr3t" not in result.output


@pytest.mark.parametrize(
    "expr, message",
    [
        ('regex("^[a-z]+$", "ABC")', "in regex(): pattern did not match any part of the given string"),
        ('file("/etc/passwd")', "in file(): '/etc/passwd' is absolute"),
        ('fileset("..", "*")', "in fileset(): '..' goes up with '..'"),
        ("one([1, 2])", "in one(): must be a list with no more than one element"),
    ],
)
def test_a_misused_function_is_one_error_at_its_line(mesh_dir: Path, expr: str, message: str) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + f"locals {{\n  x = {expr}\n}}\n"})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert f"main.hcl:24: error: {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.output


MODULE = """
variable "cfg" {
  type = object({ name = string, size = optional(number, 3) })
  validation {
    condition     = var.cfg.size <= 10
    error_message = "size must be at most 10."
  }
}
output "shown" {
  value = "${var.cfg.name}:${var.cfg.size}"
}
"""


@pytest.mark.parametrize(
    "cfg, expected",
    [
        ('{ name = "a" }', 'm = "a:3"\nmodule.m.shown\n'),
        ('{ name = "a", size = 40 }', 'error: variable "cfg" has an invalid value: size must be at most 10.'),
        (
            '{ nmae = "a" }',
            'error: module.m: input "cfg" has an invalid value: var.cfg.nmae: attribute is not declared',
        ),
    ],
)
def test_module_inputs_have_object_types_and_validation(mesh_dir: Path, cfg: str, expected: str) -> None:
    write_mesh(
        mesh_dir,
        {
            "main.hcl": MINIMAL
            + f'module "m" {{\n  source = "./mod"\n  cfg = {cfg}\n}}\n'
            + 'output "m" {\n  value = module.m.shown\n}\n'
        },
    )
    write_mesh(mesh_dir / "mod", {"main.hcl": MODULE})
    result = run("output", ".")
    if expected.startswith("error"):
        assert result.exit_code == 1 and expected in result.stderr, result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout == expected


def test_a_module_template_linking_out_of_the_module_is_refused(
    mesh_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "id_rsa"
    outside.write_text("-----BEGIN s3cr3t-key-----\n")
    module = 'output "t" {\n  value = templatefile("t.j2", {})\n}\n'
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + 'module "m" {\n  source = "./mod"\n}\n'})
    write_mesh(mesh_dir / "mod", {"main.hcl": module})
    os.symlink(outside, mesh_dir / "mod" / "t.j2")
    result = run("output", ".")
    assert result.exit_code == 1
    assert "in templatefile(): 't.j2' is a symbolic link leading outside the mesh directory" in result.stderr
    assert "s3cr3t-key" not in result.output
