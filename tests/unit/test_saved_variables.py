"""Saved plans carry non-sensitive variable values; sensitive ones are asked for again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.plan import planfile
from meshctl.plan.jsonformat import plan_to_json
from meshctl.plan.model import Plan
from tests.helpers import write_mesh

MESH = """
variable "team" {
  type = string
}
variable "size" {
  type    = number
  default = 3
}
variable "token" {
  type      = string
  sensitive = true
}
domain "x" {
  description = "${var.token}"
  owners { accountable = "${var.team}@acme.example" }
}
"""


def _load(tmp_path: Path, **options: object):  # type: ignore[no-untyped-def]
    write_mesh(tmp_path, {"main.hcl": MESH})
    return load(tmp_path, LoadOptions(env={}, **options))  # type: ignore[arg-type]


def test_each_value_knows_where_it_came_from(tmp_path: Path) -> None:
    (tmp_path / "v.vars").write_text('team = "ops"\n')
    config = _load(tmp_path, vars=["token=s3cret"], var_files=[tmp_path / "v.vars"])
    got = {n: (v.value, v.sensitive, v.origin) for n, v in config.variables.items()}
    assert got == {
        "team": ("ops", False, "--var-file"),
        "size": (3, False, "default"),
        "token": ("s3cret", True, "--var token"),
    }


def test_saved_values_fill_in_below_what_the_user_gives(tmp_path: Path) -> None:
    config = _load(tmp_path, vars=["token=t", "size=5"], saved_variables={"team": "ops", "size": 4})
    assert (config.variables["team"].value, config.variables["team"].origin) == ("ops", "saved plan")
    assert (config.variables["size"].value, config.variables["size"].origin) == (5, "--var size")


def test_a_saved_value_never_stands_in_for_a_sensitive_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, saved_variables={"team": "ops", "token": "leaked"}, saved_sensitive=frozenset({"token"}))
    (first, *_) = caught.value.errors
    assert first.summary == 'variable "token" is sensitive: the saved plan does not store its value'
    assert first.hint == "give it again when applying the plan: with --var, a --var-file or MESHCTL_VAR_token"
    assert str(first.source).endswith("main.hcl:8")


def test_the_environment_gives_a_sensitive_value_again(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"main.hcl": MESH})
    options = LoadOptions(
        env={"MESHCTL_VAR_token": "t"}, saved_variables={"team": "ops"}, saved_sensitive=frozenset({"token"})
    )
    config = load(tmp_path, options)
    assert config.variables["token"].origin == "environment MESHCTL_VAR_token"


def test_a_saved_plan_file_keeps_values_and_only_the_names_of_sensitive_ones(tmp_path: Path) -> None:
    path = tmp_path / "mesh.plan"
    fp = planfile.Fingerprint({"main.hcl": "0" * 64}, "1" * 64)
    doc = plan_to_json(Plan(state_serial=3, state_lineage="L"))
    planfile.save(path, doc, fp, tmp_path, {}, {"team": "ops", "size": 4}, frozenset({"token"}))
    meta = json.loads(path.read_text())["meshctl_saved_plan"]
    assert meta["variables"] == {"team": "ops", "size": 4}
    assert meta["sensitive_variables"] == ["token"]
    saved = planfile.load(path)
    assert saved.variables == {"team": "ops", "size": 4}
    assert saved.sensitive == frozenset({"token"})
    assert (saved.plan.state_serial, saved.plan.state_lineage) == (3, "L")


def test_a_variable_without_a_value_is_one_error_however_often_it_is_referenced(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, vars=["token=t"])
    assert [(d.summary, str(d.source).rsplit("/", 1)[-1]) for d in caught.value.errors] == [
        ('variable "team" has no value', "main.hcl:1")
    ]
