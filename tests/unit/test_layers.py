"""The layers are the import contracts in pyproject.toml, checked by `lint-imports` (`make lint`
runs it): they are the one statement of which package may import which. These tests run them on
the package, then on copies of it with an import planted that each contract exists to refuse, so
every contract is shown able to fail, and check that no contract is kept by ignoring an import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import meshctl

PROJECT = Path(meshctl.__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")  # import-linter, in the test extra


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` in `root`, which it puts first on the path: it reads root/meshctl."""
    env = {**os.environ, "COLUMNS": "400"}  # one line per contract
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def _contract_name(contract_id: str) -> str:
    return next(str(c["name"]) for c in _contracts() if c["id"] == contract_id)


def test_the_package_keeps_every_import_contract() -> None:
    result = _lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def test_no_contract_is_kept_by_an_exemption() -> None:
    """An upward import is removed by moving code down, never by ignoring it or skipping a package."""
    exemptions = ("ignore_imports", "skip_descendants", "exhaustive_ignores")
    assert [(c["id"], key) for c in _contracts() for key in exemptions if c.get(key)] == []


# (contract id, [(file under the package root, import planted in it)], what the report names)
PLANTED = {
    "mesh imports the engine": (
        "pipeline",
        [("meshctl/mesh/model.py", "import meshctl.engine.run")],
        "meshctl.mesh.model -> meshctl.engine.run",
    ),
    "plan imports compile, its independent sibling": (
        "pipeline",
        [("meshctl/plan/build.py", "from meshctl.compile import kafka")],
        "meshctl.plan.build -> meshctl.compile.kafka",
    ),
    "the floor imports the mesh": (
        "pipeline",
        [("meshctl/naming.py", "import meshctl.mesh.model")],
        "meshctl.naming -> meshctl.mesh.model",
    ),
    "the state model imports the state backends": (
        "pipeline",
        [("meshctl/state_model.py", "from meshctl.state import local")],
        "meshctl.state_model -> meshctl.state.local",
    ),
    "a module no layer names": (
        "pipeline",
        [("meshctl/newcomer.py", "")],
        "- meshctl.newcomer",
    ),
    "the CLI imports a provider": (
        "providers-behind-engine",
        [("meshctl/cli/hooks.py", "import meshctl.providers.base")],
        "meshctl.cli.hooks -> meshctl.providers.base",
    ),
    "the CLI imports a state backend": (
        "backends-behind-engine",
        [("meshctl/cli/state_cmds.py", "import meshctl.state.local")],
        "meshctl.cli.state_cmds -> meshctl.state.local",
    ),
    "a renderer opens an AWS session": (
        "render-draws",
        [("meshctl/render/text.py", "import meshctl.aws_session")],
        "meshctl.render.text -> meshctl.aws_session",
    ),
    "the plan imports boto3": (
        "boto3-edge",
        [("meshctl/plan/build.py", "import boto3")],
        "meshctl.plan.build -> boto3",
    ),
    "compile imports botocore": (
        "no-client-below-edges",
        [("meshctl/compile/aws.py", "import botocore.exceptions")],
        "meshctl.compile.aws -> botocore",
    ),
    "a provider talks to Kafka outside its client": (
        "kafka-edge",
        [("meshctl/providers/kafka/provider.py", "import confluent_kafka")],
        "meshctl.providers.kafka.provider -> confluent_kafka",
    ),
    "the loader parses HCL itself": (
        "hcl-adapter",
        [("meshctl/config/loader.py", "import hcl2")],
        "meshctl.config.loader -> hcl2",
    ),
    "two floor modules import each other": (
        "acyclic",
        [("meshctl/naming.py", "import meshctl.iam.policy"), ("meshctl/iam/policy.py", "import meshctl.naming")],
        "No cycles are allowed in meshctl.",
    ),
    "a run imports the workspace that makes it": (
        "acyclic",
        [("meshctl/engine/run.py", "from meshctl.engine import workspace")],
        "No cycles are allowed in meshctl.engine.",
    ),
    "the version module imports a layer": (
        "root-module",
        [("meshctl/__init__.py", "import meshctl.errors")],
        "meshctl -> meshctl.errors",
    ),
    "the product imports the dev sandbox": (
        "no-sandbox",
        [("meshctl/compile/kafka.py", "import meshctl_sandbox")],
        "meshctl.compile.kafka -> meshctl_sandbox",
    ),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_import_breaks_its_contract(case: str, tmp_path: Path) -> None:
    contract_id, plants, reported = PLANTED[case]
    shutil.copytree(PROJECT / "meshctl", tmp_path / "meshctl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    for name, line in plants:
        path = tmp_path / name
        path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert f"{_contract_name(contract_id)} BROKEN" in result.stdout
    assert reported in result.stdout


def test_every_contract_has_a_planted_import_that_breaks_it() -> None:
    assert {contract_id for contract_id, _, _ in PLANTED.values()} == {str(c["id"]) for c in _contracts()}
