"""The CLI without a broker: validate, variables from every source, JSON diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

VARIABLE = (
    'variable "team" {\n  type = string\n}\ndomain "x" {\n  owners { accountable = "${var.team}@acme.example" }\n}\n'
)


def test_validate_summarises_the_mesh(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run("validate", ".")
    assert result.exit_code == 0
    assert result.stdout == (
        "Success! The configuration is valid: 3 domains, 1 data products, 1 access grants -> 7 resources.\n"
    )


def test_the_example_mesh_validates() -> None:
    examples = Path(__file__).parents[2] / "examples"
    result = run("validate", str(examples))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("how", ["flag", "file", "env"])
def test_variables_from_each_source(mesh_dir: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mesh(mesh_dir, {"main.hcl": VARIABLE})
    assert run("validate", ".").exit_code == 1  # no value anywhere
    args = ["validate", "."]
    if how == "flag":
        args += ["--var", "team=sales"]
    elif how == "file":
        (mesh_dir / "prod.vars").write_text('team = "sales"\n')
        args += ["--var-file", "prod.vars"]
    else:
        monkeypatch.setenv("MESHCTL_VAR_team", "sales")
    assert run(*args).exit_code == 0


def test_missing_variable_says_how_to_set_it(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": VARIABLE})
    result = run("validate", ".")
    assert 'main.hcl:1: error: variable "team" has no value' in result.stderr
    assert "hint: pass --var team=..., set MESHCTL_VAR_team, or give it a default" in result.stderr


def test_validate_json(mesh_dir: Path) -> None:
    write_mesh(
        mesh_dir, {"main.hcl": MINIMAL + 'access "self" {\n  product = "sales.orders"\n  consumer = "sales"\n}\n'}
    )
    doc = json.loads(run("validate", "--json", ".").stdout)
    assert doc["format_version"] == "1.0" and doc["valid"] is True
    assert doc["diagnostics"][0]["summary"] == 'access "self" grants "sales" its own product'
    assert doc["diagnostics"][0]["range"] == {"filename": "main.hcl", "line": 23}


def test_an_empty_directory_is_one_clear_error(mesh_dir: Path) -> None:
    result = run("plan", ".")
    assert result.exit_code == 1
    assert result.stderr == "error: no *.hcl files in .\n"


def test_no_bootstrap_servers_is_one_clear_error(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run("plan", ".")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no Kafka bootstrap servers configured")


def test_a_bad_properties_file_names_file_and_line(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + 'kafka {\n  properties_file = "client.properties"\n}\n'})
    (mesh_dir / "client.properties").write_text("# ok\nbootstrap.servers=x:9092\nnot a property\n")
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "client.properties:3: error: expected key=value" in result.stderr


def test_fmt_check_and_write(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"a.hcl": 'domain "x" {\n    owners { accountable = "x" }\n}\n', "b.hcl": MINIMAL})
    check = run("fmt", "--check", ".")
    assert check.exit_code == 3
    assert check.stdout == "a.hcl\n"
    assert (mesh_dir / "a.hcl").read_text().startswith('domain "x" {\n    owners')  # --check changes nothing
    assert run("fmt", ".").exit_code == 0
    assert (mesh_dir / "a.hcl").read_text() == 'domain "x" {\n  owners { accountable = "x" }\n}\n'
    assert run("fmt", "--check", ".").exit_code == 0


def test_fmt_refuses_a_file_that_does_not_parse(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"a.hcl": 'domain "x" {\n'})
    result = run("fmt", ".")
    assert result.exit_code == 1 and "a.hcl:1: error: unclosed block" in result.stderr


def test_graph_is_dot_with_the_tree_and_consumers(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    dot = run("graph", ".").stdout
    assert dot.startswith("digraph mesh {") and dot.rstrip().endswith("}")
    assert '"domain:commerce" -> "domain:sales" [arrowhead = none, style = bold];' in dot
    assert '"domain:sales" -> "product:data_product.sales.orders.v1" [label = "owns"];' in dot
    assert '"product:data_product.sales.orders.v1" -> "domain:analytics"' in dot
