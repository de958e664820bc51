"""Loading a directory: variables and their precedence, locals, block decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from tests.helpers import MINIMAL, write_mesh

VARS = """
variable "partitions" {
  type    = number
  default = 3
}
variable "team" {
  default = "from-default"
}
locals {
  owner = "${var.team}@acme.example"
  again = local.owner
}
domain "sales" {
  description = local.again
  owners { accountable = local.owner }
}
data_product "orders" {
  domain = "sales"
  topic { partitions = var.partitions }
}
"""


def _load(tmp_path: Path, files: dict[str, str], **opts: object):  # type: ignore[no-untyped-def]
    write_mesh(tmp_path, files)
    options = LoadOptions(env={}, **opts)  # type: ignore[arg-type]
    return load(tmp_path, options).mesh


def test_defaults_locals_and_references(tmp_path: Path) -> None:
    mesh = _load(tmp_path, {"main.hcl": VARS})
    assert mesh.domains["sales"].owners.accountable == "from-default@acme.example"  # type: ignore[union-attr]
    assert mesh.domains["sales"].description == "from-default@acme.example"
    assert mesh.products[0].topic.partitions == 3


def test_precedence_default_env_varfile_flag(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"main.hcl": VARS})
    varfile = tmp_path / "prod.vars"
    varfile.write_text('team = "from-file"\npartitions = 6\n')
    env = {"MESHCTL_VAR_team": "from-env", "MESHCTL_VAR_partitions": "4"}
    mesh = load(tmp_path, LoadOptions(env=env)).mesh
    assert mesh.domains["sales"].owners.accountable == "from-env@acme.example"  # type: ignore[union-attr]
    assert mesh.products[0].topic.partitions == 4  # a number variable parses the env string
    mesh = load(tmp_path, LoadOptions(env=env, var_files=[varfile])).mesh
    assert mesh.domains["sales"].owners.accountable == "from-file@acme.example"  # type: ignore[union-attr]
    mesh = load(tmp_path, LoadOptions(env=env, var_files=[varfile], vars=["team=from-flag"])).mesh
    assert mesh.domains["sales"].owners.accountable == "from-flag@acme.example"  # type: ignore[union-attr]
    assert mesh.products[0].topic.partitions == 6


def test_all_hcl_files_of_the_directory_are_read(tmp_path: Path) -> None:
    mesh = _load(
        tmp_path, {"a.hcl": MINIMAL, "b.hcl": 'domain "x" {\n owners { accountable = "x" }\n}\n', "c.txt": "junk"}
    )
    assert sorted(mesh.domains) == ["analytics", "commerce", "sales", "x"]


@pytest.mark.parametrize(
    "files, opts, expected",
    [
        ({"m.hcl": 'variable "x" {}\n'}, {}, 'm.hcl:1: error: variable "x" has no value'),
        ({"m.hcl": 'variable "x" {\n  type = number\n}\n'}, {"vars": ["x=abc"]}, "value of 'x' is not a valid number"),
        ({"m.hcl": 'variable "x" { default = 1 }\n'}, {"vars": ["y=1"]}, "no variable 'y' is declared"),
        ({"m.hcl": 'variable "x" { default = 1 }\n'}, {"vars": ["novalue"]}, "expected NAME=VALUE"),
        ({"m.hcl": "locals {\n  a = local.b\n  b = local.a\n}\n"}, {}, "cycle between locals"),
        (
            {"m.hcl": 'kafka {\n  sasl_password = "s3cret"\n}\n'},
            {},
            "m.hcl:2: error: sasl_password is written in the file",
        ),
        (
            {"m.hcl": 'kafka {\n  bootstrap_servers = "a"\n}\nkafka {\n}\n'},
            {},
            "m.hcl:4: error: more than one kafka block",
        ),
        ({"m.hcl": 'toppic "x" {\n}\n'}, {}, "m.hcl:1: error: unknown block type 'toppic'"),
        ({"m.hcl": 'name = "x"\n'}, {}, "m.hcl:1: error: unexpected attribute 'name' at the top level"),
        ({"m.hcl": "domain {\n}\n"}, {}, "m.hcl:1: error: domain block needs 1 label"),
    ],
)
def test_load_errors(mesh_dir: Path, files: dict[str, str], opts: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(mesh_dir, files, **opts)
    assert expected in info.value.format()


def test_sensitive_values_are_never_echoed(mesh_dir: Path) -> None:
    files = {"m.hcl": 'variable "pw" {\n  type = number\n  sensitive = true\n}\n'}
    for opts in ({"vars": ["pw=hunter2"]}, {"var_files": [mesh_dir / "v.vars"]}):
        (mesh_dir / "v.vars").write_text('pw = "hunter2"\n')
        with pytest.raises(ConfigError) as info:
            _load(mesh_dir, files, **opts)
        assert "hunter2" not in info.value.format()
        assert "pw" in info.value.format()


def test_several_problems_are_reported_together(mesh_dir: Path) -> None:
    files = {
        "a.hcl": 'domain "a" {\n  colour = "red"\n  owners { accountable = "x" }\n}\n',
        "b.hcl": 'domain "b" {\n  parent = 7\n  owners { accountable = "y" }\n  tags = {}\n}\n',
    }
    with pytest.raises(ConfigError) as info:
        _load(mesh_dir, files)
    lines = [d.format().splitlines()[0] for d in info.value.errors]
    assert lines == [
        "a.hcl:2: error: unknown attribute 'colour' in domain \"a\"",
        "b.hcl:4: error: unknown attribute 'tags' in domain \"b\"",
    ]
