"""The wheel is what users install: build it from a clean copy of the repository, install it
into a fresh virtual environment (no system site-packages, dependencies from the package
index) and run the installed `meshctl` there, far from this checkout.

The built-in modules must be inside the wheel (the repository's top-level modules/ folder,
shipped as meshctl.builtin_modules); the sandbox, its Maven POMs, the tests and the
benchmarks must not be.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
JUNK = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".sandbox", ".meshctl")
TIMEOUT = 900  # seconds: a cold pip cache downloads boto3 and confluent-kafka


def _env() -> dict[str, str]:
    """The caller's environment without anything that would let the dev checkout leak in."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MESHCTL_MODULES_PATH", "PYTHONSTARTUP"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _ok(args: list[str | Path], cwd: Path) -> str:
    done = _run(args, cwd)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy: a checkout's own build/ folder can hold files the sources no longer have."""
    source = tmp_path_factory.mktemp("source") / "meshctl"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*JUNK))
    out = tmp_path_factory.mktemp("dist")
    _ok([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, source], out)
    (built,) = out.glob("meshctl-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the wheel and its dependencies; returns its bin/."""
    home = tmp_path_factory.mktemp("venv")
    _ok([sys.executable, "-m", "venv", home / "env"], home)
    bin_dir = home / "env" / "bin"
    _ok([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], home)
    return bin_dir


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy, ignore=shutil.ignore_patterns(".meshctl"))
    return copy


def builtin_module_files() -> list[str]:
    """Every file of every built-in module, relative to modules/."""
    root = ROOT / "modules"
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(p.relative_to(root).as_posix() for p in files)


def test_the_wheel_holds_meshctl_and_the_builtin_modules_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    module_files = builtin_module_files()
    assert {"domain-baseline/main.hcl", "s3-sink/connector.json.j2"} <= set(module_files)
    missing = [f for f in module_files if f"meshctl/builtin_modules/{f}" not in names]
    assert not missing, f"built-in module files not in the wheel: {missing}"
    sources = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "meshctl").rglob("*.py"))
    assert [s for s in sources if s not in names] == [], "a meshctl package is missing from the wheel"
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"meshctl", wheel.name.split("-py3")[0] + ".dist-info"}, top
    shipped_elsewhere = [
        n for n in names if n.endswith(".xml") or "sandbox" in n or "/tests/" in n or n.startswith("meshctl/tests")
    ]
    assert shipped_elsewhere == []


def test_the_installed_meshctl_runs_from_the_venv_without_the_sandbox(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util, meshctl\n"
        "from meshctl.config.modules import packaged_modules_dir\n"
        "print(meshctl.__file__); print(packaged_modules_dir())\n"
        "print(importlib.util.find_spec('meshctl_sandbox'), importlib.util.find_spec('meshctl.sandbox'))\n"
    )
    package, modules, sandboxes = _ok([venv / "python", "-c", probe], tmp_path).splitlines()
    home = venv.parent.resolve()
    assert Path(package).resolve().is_relative_to(home), package
    assert Path(modules).resolve().is_relative_to(home), modules
    assert sorted(p.name for p in Path(modules).iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "data-product",
        "domain-baseline",
        "file-sink",
        "s3-sink",
        "snowflake-s3-stage",
    ]
    assert sandboxes == "None None"


def test_the_installed_meshctl_validates_the_examples_with_every_builtin_module(
    venv: Path, examples: Path, tmp_path: Path
) -> None:
    used = {m for p in examples.glob("*.hcl") for m in re.findall(r'source\s*=\s*"([^"]+)"', p.read_text())}
    builtins = {f.split("/", 1)[0] for f in builtin_module_files() if "/" in f}
    assert builtins <= used, f"examples/ should use every built-in module; unused: {sorted(builtins - used)}"
    installed = _ok([venv / "meshctl", "validate", examples], tmp_path)
    # examples/ declares dev and prod: validate checks each environment.
    assert installed.startswith("Success! Environment dev is valid") and "Environment prod is valid" in installed
    from_checkout = _ok([sys.executable, "-m", "meshctl", "validate", examples], tmp_path)
    assert installed == from_checkout  # the same resources: every module was found and expanded


def test_the_installed_meshctl_names_the_builtin_modules_when_a_source_is_unknown(venv: Path, tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "main.hcl").write_text('module "x" {\n  source = "no-such-module"\n}\n')
    done = _run([venv / "meshctl", "validate", mesh], tmp_path)
    assert done.returncode == 1, done
    assert "no module 'no-such-module'" in done.stdout + done.stderr
    modules = "data-product, domain-baseline, file-sink, s3-sink, snowflake-s3-stage"
    assert f"built-in modules: {modules}" in done.stdout + done.stderr


def test_the_wheel_holds_every_render_template_and_the_installed_meshctl_renders_the_report_page(
    wheel: Path, venv: Path, tmp_path: Path
) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (ROOT / "meshctl" / "render" / "templates").iterdir() if p.is_file())
    assert "report.html.j2" in templates
    assert [t for t in templates if f"meshctl/render/templates/{t}" not in names] == []
    # From the installed package, far from this checkout: the template is found through the
    # package loader, not through a path that only exists in the repository.
    probe = (
        "from meshctl.render.report_html import render_report_html\n"
        "doc = {'format_version': '1.0', 'generated_at': 'now', 'environment': 'default',\n"
        "       'throughput_basis': 'none', 'window_seconds': None, 'summary': {'products': 0},\n"
        "       'products': [], 'domains': []}\n"
        "print(render_report_html(doc))\n"
    )
    page = _ok([venv / "python", "-c", probe], tmp_path)
    assert page.startswith("<!DOCTYPE html>") and "No data products in this report." in page


def test_the_installed_meshctl_keeps_the_examples_copy_and_exception(
    venv: Path, examples: Path, tmp_path: Path
) -> None:
    """examples/governance.hcl: a copy with its approval and an exception in force, in each environment."""
    assert re.search(r'^copy\s+"customers"', (examples / "governance.hcl").read_text(), flags=re.M)
    doc = json.loads(_ok([venv / "meshctl", "validate", "--json", examples], tmp_path))
    assert doc["valid"] is True and doc["error_count"] == 0, doc["diagnostics"]
    assert doc["environments"] == {"dev": {"valid": True}, "prod": {"valid": True}}
    assert [(e["name"], e["target"], e["file"]) for e in doc["exceptions"]] == [
        ("ledger_exactly_once", "data_product.payments.transactions.v1", "examples/governance.hcl")
    ]
    # Without its approval, the copy is refused: the policy in domains.hcl asks for one.
    text = (examples / "governance.hcl").read_text()
    (examples / "governance.hcl").write_text(text.replace('by     = "head-of-commerce@acme.example"', 'by = "x@y"'))
    refused = _run([venv / "meshctl", "validate", examples], tmp_path)
    assert refused.returncode == 1
    assert 'error: copy "customers": "x@y" is not accountable or responsible at "commerce"' in refused.stderr


def test_the_installed_meshctl_exports_the_examples_with_its_declared_dependencies(
    venv: Path, examples: Path, tmp_path: Path
) -> None:
    """`meshctl export` writes YAML with PyYAML: an install_requires dependency, not a test one."""
    out = tmp_path / "catalog"
    done = _ok([venv / "meshctl", "export", "-e", "prod", "--out", out, examples], tmp_path)
    assert done.startswith("Wrote 8 files to "), done
    odcs = sorted(p.name for p in (out / "odcs").iterdir())
    assert "sales.orders.v2.odcs.yaml" in odcs and len(odcs) == 7
    assert (out / "backstage" / "catalog-info.yaml").read_text().count("kind: API\n") == 7
