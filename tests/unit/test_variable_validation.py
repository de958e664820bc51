"""`validation` blocks of variables: several per variable, checked with the final value, the
error at the block's line naming the variable and where its value came from, never showing a
sensitive value."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError

MESH = """variable "env" {
  type    = string
  default = "prod"
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod, got ${var.env}."
  }
  validation {
    condition     = length(var.env) < 5
    error_message = "env is too long."
  }
}

variable "token" {
  type      = string
  sensitive = true
  default   = "tok-default-value"
  validation {
    condition     = startswith(var.token, "tok-")
    error_message = "token ${var.token} must start with tok-."
  }
}
"""


def _errors(mesh_dir: Path, text: str = MESH, **options: object) -> list[str]:
    (mesh_dir / "main.hcl").write_text(text)
    try:
        load(mesh_dir, LoadOptions(env={}, **options))  # type: ignore[arg-type]  # test options by name
    except ConfigError as exc:
        return [d.format() for d in exc.diagnostics]
    return []


def test_valid_values_pass(mesh_dir: Path) -> None:
    assert _errors(mesh_dir) == []
    assert _errors(mesh_dir, vars=["env=dev"]) == []


def test_each_failing_block_is_one_error_at_its_line(mesh_dir: Path) -> None:
    errors = _errors(mesh_dir, vars=["env=staging"])
    assert errors == [
        'main.hcl:4: error: variable "env" has an invalid value: env must be dev or prod, got staging.\n'
        "  the value came from --var env\n  hint: this is the variable's validation block",
        'main.hcl:8: error: variable "env" has an invalid value: env is too long.\n'
        "  the value came from --var env\n  hint: this is the variable's validation block",
    ]


@pytest.mark.parametrize(
    "options, origin",
    [
        ({"env": {"MESHCTL_VAR_env": "qa"}}, "environment MESHCTL_VAR_env"),
        ({"vars": ["env=qa"]}, "--var env"),
    ],
)
def test_the_error_says_where_the_value_came_from(mesh_dir: Path, options: dict[str, object], origin: str) -> None:
    (mesh_dir / "main.hcl").write_text(MESH)
    with pytest.raises(ConfigError) as info:
        load(mesh_dir, LoadOptions(**{"env": {}, **options}))  # type: ignore[arg-type]
    assert f"the value came from {origin}" in info.value.diagnostics[0].format()


def test_a_var_file_and_a_default_are_named(mesh_dir: Path) -> None:
    (mesh_dir / "prod.vars").write_text('\n\nenv = "qa"\n')
    errors = _errors(mesh_dir, var_files=[mesh_dir / "prod.vars"])
    assert "the value came from --var-file (" in errors[0] and "prod.vars:3)" in errors[0]
    bad_default = MESH.replace('default = "prod"', 'default = "nope"')
    assert "the value came from default" in _errors(mesh_dir, bad_default)[0]


def test_an_environment_blocks_variables_are_named(mesh_dir: Path) -> None:
    text = MESH + 'environment "staging" {\n  variables = { env = "stage" }\n}\n'
    errors = _errors(mesh_dir, text, environment="staging")
    assert 'the value came from environment "staging" variables' in errors[0]


def test_a_sensitive_value_is_never_shown(mesh_dir: Path) -> None:
    errors = _errors(mesh_dir, vars=["token=wrong-s3cr3t-token"])
    assert len(errors) == 1
    assert errors[0].startswith('main.hcl:18: error: variable "token" has an invalid value:')
    assert "not shown" in errors[0] and "wrong-s3cr3t-token" not in errors[0]


@pytest.mark.parametrize(
    "validation, message",
    [
        ('condition = 1\n    error_message = "x"', "a validation condition must be true or false"),
        ('condition = var.other == 1\n    error_message = "x"', "its validation condition failed to evaluate"),
        ('error_message = "x"', "missing required attribute 'condition' in a validation block"),
        ("condition = true", "missing required attribute 'error_message'"),
        ('condition = true\n    error_message = "x"\n    extra = 1', "unknown attribute 'extra' in a validation block"),
    ],
)
def test_a_malformed_validation_block_is_an_error(mesh_dir: Path, validation: str, message: str) -> None:
    text = f'variable "n" {{\n  default = 1\n  validation {{\n    {validation}\n  }}\n}}\n'
    errors = _errors(mesh_dir, text)
    assert any(message in e and e.startswith("main.hcl:") for e in errors), errors


def test_no_validation_runs_on_a_value_of_the_wrong_type(mesh_dir: Path) -> None:
    text = (
        'variable "n" {\n  type = number\n  default = "x"\n'
        '  validation {\n    condition = var.n > 1\n    error_message = "small"\n  }\n}\n'
    )
    errors = _errors(mesh_dir, text)
    assert len(errors) == 1 and 'variable "n" must be a number' in errors[0]
