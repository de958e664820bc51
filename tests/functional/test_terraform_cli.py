"""The commands and spellings a Terraform user types: `-refresh=false`, `-target=ADDR`,
`-C DIR`/`-chdir=DIR`, through the CLI with the broker in memory of test_rotation."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
import pytest

from meshctl.cli.main import cli
from tests.cli import run
from tests.functional.test_rotation import MESH, FakeScramBroker
from tests.functional.test_rotation import broker as broker  # the fixture  # noqa: F401
from tests.helpers import write_mesh

OPS = 'domain "ops" {\n  owners { accountable = "o@acme.example" }\n}\n'


def _applied() -> None:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output


def _no_server(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Kafka client (and any AWS or registry client) fails the test if made at all."""
    asked: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        asked.append("client")
        raise AssertionError("a server was asked something under -refresh=false")

    monkeypatch.setattr("meshctl.engine.workspace.KafkaClient", refuse)
    monkeypatch.setattr("meshctl.engine.workspace.RegistryClient", refuse)
    return asked


@pytest.mark.parametrize("spelling", [["-refresh=false"], ["--refresh=false"], ["--refresh", "false"]])
def test_plan_without_refresh_asks_no_server(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch, spelling: list[str]
) -> None:
    _applied()
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS})
    asked = _no_server(monkeypatch)
    result = run("plan", *spelling, "--json", ".")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {c["address"]: c["change"]["actions"] for c in doc["resource_changes"]} == {
        "kafka_scram_user.ops": ["create"]
    }
    assert asked == []
    assert "-refresh=false: planning from state alone" in result.stderr


def test_plan_without_refresh_trusts_state_and_misses_drift(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _applied()
    broker.passwords.pop("analytics")  # deleted out of band
    assert "kafka_scram_user.analytics" in run("plan", "--no-color", ".").stdout  # a refreshing plan sees it
    _no_server(monkeypatch)
    result = run("plan", "--no-color", "-refresh=false", ".")
    assert result.exit_code == 0, result.output
    assert "No changes" in result.stdout, result.stdout


def test_apply_without_refresh_applies_the_state_only_plan(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _applied()
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS})
    before = broker.requests
    result = run("apply", "--auto-approve", "--no-color", "-refresh=false", ".")
    assert result.exit_code == 0, result.output
    assert "ops" in broker.passwords and "1 added" in result.stdout
    assert broker.upserts[-1] == "ops" and broker.requests >= before


def test_refresh_takes_a_boolean(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH})
    result = run("plan", "-refresh=maybe", ".")
    assert result.exit_code == 1 and "'maybe' is not a valid boolean" in result.output
    assert "Traceback" not in result.output


def test_single_dash_target_and_replace(broker: FakeScramBroker, mesh_dir: Path) -> None:
    _applied()
    write_mesh(mesh_dir, {"main.hcl": MESH + OPS})
    one = run("plan", "--json", "-target=kafka_scram_user.ops", ".")
    assert one.exit_code == 0, one.output
    assert [c["address"] for c in json.loads(one.stdout)["resource_changes"]] == ["kafka_scram_user.ops"]
    bad = run("plan", "-target=no such thing", ".")
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    rotate = run("plan", "--json", "-replace=kafka_scram_user.sales", "-target=kafka_scram_user.sales", ".")
    assert rotate.exit_code == 0, rotate.output
    changes = {c["address"]: c["change"]["actions"] for c in json.loads(rotate.stdout)["resource_changes"]}
    assert changes == {"kafka_scram_user.sales": ["create", "delete"]} or changes == {
        "kafka_scram_user.sales": ["delete", "create"]
    }


@pytest.mark.parametrize("spelling", [["-C", "mesh"], ["--chdir", "mesh"], ["-chdir=mesh"], ["--chdir=mesh"]])
def test_chdir_before_the_command_sets_the_directory_and_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_mesh(tmp_path / "mesh", {"main.hcl": MESH, "team.tfvars": 'x = "1"\n'})
    result = run(*spelling, "validate")
    assert result.exit_code == 0, result.output
    assert "2 domain" in result.stdout or "domains" in result.stdout, result.stdout


def test_chdir_to_a_missing_directory_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("-C", "nowhere", "validate")
    assert result.exit_code == 1 and "'nowhere' does not exist" in result.output
    assert "Traceback" not in result.output


def test_help_shows_examples_of_the_new_spellings() -> None:
    assert "-refresh=false" in run("plan", "--help").stdout
    assert "-refresh=false" in run("apply", "--help").stdout
    assert "-chdir=" in run("--help").stdout


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        return [found for name, sub in command.commands.items() for found in _commands(sub, (*path, name))]
    return [(path, command)]


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _commands(cli)])
def test_every_command_has_examples_in_its_help(path: str) -> None:
    shown = run(*path.split(), "--help")
    assert shown.exit_code == 0
    assert "Examples:" in shown.stdout and f"meshctl {path}" in shown.stdout, shown.stdout


def _examples(help_text: str) -> list[list[str]]:
    """The command lines of a help's Examples section, as argument lists (comments, pipes and
    redirections cut off)."""
    lines = help_text.split("Examples:", 1)[1].split("Options:", 1)[0].splitlines()
    out = []
    for line in lines:
        words = shlex.split(line.strip(), comments=True)
        if words[:1] == ["meshctl"]:
            cut = next((i for i, w in enumerate(words) if w in (">", "|", "&&", ">>")), len(words))
            out.append(words[1:cut])
    return out


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _commands(cli)])
def test_every_example_in_a_help_parses(path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example's options exist where it puts them: the example with --help added parses and
    shows help (a misplaced option, say `meshctl -e prod show`, fails with "No such option")."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mesh").mkdir()
    examples = _examples(run(*path.split(), "--help").stdout)
    assert examples, path
    for args in examples:
        args = [a for a in args if not a.startswith(("-chdir=", "--chdir="))]
        if args[:1] == ["-C"]:
            args = args[2:]
        shown = run(*args, "--help")
        assert shown.exit_code == 0 and "Usage:" in shown.stdout, (args, shown.output)
