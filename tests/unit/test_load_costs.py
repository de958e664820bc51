"""What loading a large mesh must not cost: the whole-mesh module view when nothing reads
it (built once when something does), and the cyclic garbage collector's passes over the
objects a command keeps alive (paused for the command, restored after it)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from meshctl.cli.main import cli
from meshctl.config import modules
from meshctl.config.loader import LoadOptions, load
from meshctl.engine import collector
from tests.helpers import MINIMAL, write_mesh


@pytest.fixture
def views(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds of the module view."""
    built: list[int] = []
    real = modules.mesh_view

    def counting(mesh: modules.Mesh) -> modules.MeshView:
        built.append(1)
        return real(mesh)

    monkeypatch.setattr(modules, "mesh_view", counting)
    return built


def test_no_module_view_without_modules(tmp_path: Path, views: list[int]) -> None:
    loaded = load(write_mesh(tmp_path, {"main.hcl": MINIMAL}), LoadOptions(env={}))
    assert len(loaded.mesh.products) == 1
    assert views == []


def test_one_module_view_for_every_module_and_integration(tmp_path: Path, views: list[int]) -> None:
    (tmp_path / "vendor").mkdir()
    write_mesh(
        tmp_path,
        {
            "main.hcl": MINIMAL
            + """
            module "a" {
              source = "./vendor"
            }
            module "b" {
              source = "./vendor"
            }
            integration "cdc" {
              domain = "sales"
              vendor = "debezium"
              source = "./vendor"
            }
            integration "lake" {
              domain = "analytics"
              vendor = "debezium"
              source = "./vendor"
            }
            """.replace("\n            ", "\n"),
            "vendor/main.hcl": """
            variable "integration" {
              default = {}
            }
            output "topics" {
              value = [for p in mesh.domains["sales"].products : p.topic]
            }
            """,
        },
    )
    outputs = {str(k): v for k, v in load(tmp_path, LoadOptions(env={})).mesh.outputs.items()}
    assert outputs["module.a"] == outputs["module.b"] == {"topics": ["commerce.sales.orders.v1"]}
    assert outputs["module.integration_cdc"] == outputs["module.a"]
    assert views == [1]


def test_a_module_that_reads_no_mesh_builds_no_view(tmp_path: Path, views: list[int]) -> None:
    (tmp_path / "vendor").mkdir()
    write_mesh(
        tmp_path,
        {
            "main.hcl": MINIMAL + '\nmodule "a" {\n  source = "./vendor"\n}\n',
            "vendor/main.hcl": 'output "x" {\n  value = 1\n}\n',
        },
    )
    assert [v for v in load(tmp_path, LoadOptions(env={})).mesh.outputs.values()] == [{"x": 1}]
    assert views == []


# -- the garbage collector ------------------------------------------------------------------


@pytest.fixture
def automatic_collections() -> Iterator[list[int]]:
    """The generations of the automatic collections that start while the test runs, with a
    threshold so low that any allocation would start one while the collector is on."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    old = gc.get_threshold()
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*old)


def test_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # a caller that switched it off keeps it off
    finally:
        gc.enable()


def test_paused_restores_the_collector_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_command_runs_without_automatic_collections(tmp_path: Path, automatic_collections: list[int]) -> None:
    directory = write_mesh(tmp_path / "mesh", {"main.hcl": MINIMAL})
    enabled_during: list[bool] = []
    real_load = modules.expand_modules

    def spy(*args: object, **kwargs: object) -> list[modules.ModuleInstance]:
        enabled_during.append(gc.isenabled())
        gc.set_threshold(1)  # from here on, any allocation would start a collection were it on
        return real_load(*args, **kwargs)  # type: ignore[arg-type]  # the arguments load gave

    real_echo = click.echo

    def last_line(*args: object, **kwargs: object) -> None:  # validate's last step: stop counting
        gc.set_threshold(*threshold)
        automatic_collections.append(-1)
        real_echo(*args, **kwargs)  # type: ignore[arg-type]  # what validate gave

    threshold = gc.get_threshold()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(modules, "expand_modules", spy)
        mp.setattr(click, "echo", last_line)
        mp.setenv("MESHCTL_CACHE_DIR", str(tmp_path / "cache"))
        result = CliRunner().invoke(cli, ["validate", str(directory)])
    assert result.exit_code == 0, result.output
    assert enabled_during == [False]
    assert automatic_collections[0] == -1  # none while the command ran
    assert gc.isenabled()
