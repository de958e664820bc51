"""Nothing runs from the mesh directory, and `validate` writes nothing into it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from meshctl import __version__
from meshctl.config import ast_json
from meshctl.config.parse_cache import entry_key, mesh_key
from tests.cli import run
from tests.helpers import MINIMAL, write_mesh
from tests.hostile import Payload, plant_pickles, tree

OTHER = 'domain "ops" {\n  owners { accountable = "ops@acme.example" }\n}\n'
VALID = "Success! The configuration is valid: 4 domains, 1 data products, 1 access grants"


@pytest.fixture
def user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("MESHCTL_CACHE_DIR", str(root))
    monkeypatch.delenv("MESHCTL_PARSE_CACHE", raising=False)
    return root


@pytest.fixture
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("marker") / "pwned"


def test_the_planted_payload_is_live(tmp_path: Path) -> None:
    """The attack below is real: loading the planted bytes does run code."""
    canary = tmp_path / "canary"
    pickle.loads(pickle.dumps(Payload(canary)))  # noqa: S301  (our own payload, to prove it works)
    assert canary.exists()


def test_validate_ignores_pickles_at_every_old_cache_path(
    mesh_dir: Path, user_cache: Path, marker: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "ops.hcl": OTHER})
    state_dir = tmp_path_factory.mktemp("state")
    plant_pickles(mesh_dir, [mesh_dir / ".meshctl", state_dir], marker)
    for args in (("validate", "."), ("validate", "."), ("validate", "--state-dir", str(state_dir), ".")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert VALID in result.stdout
        assert not marker.exists()
    # A pickle where a JSON entry belongs in the user cache is a miss too.
    entry_dir = user_cache / "hcl" / mesh_key(mesh_dir)
    for entry in entry_dir.glob("*.json"):
        entry.write_bytes(pickle.dumps(Payload(marker)))
    assert VALID in run("validate", ".").stdout
    assert not marker.exists()


def test_validate_leaves_the_mesh_directory_byte_for_byte_unchanged(mesh_dir: Path, user_cache: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "ops.hcl": OTHER})
    (mesh_dir / ".meshctl").mkdir()
    (mesh_dir / ".meshctl" / "state.json").write_text("{}\n")
    before = tree(mesh_dir)
    cold = run("validate", ".")
    warm = run("validate", ".")
    as_json = run("validate", "--json", ".")
    assert (cold.exit_code, warm.exit_code, as_json.exit_code) == (0, 0, 0)
    assert cold.stdout == warm.stdout and VALID in cold.stdout
    assert tree(mesh_dir) == before
    entries = sorted(p.name for p in (user_cache / "hcl" / mesh_key(mesh_dir)).iterdir())
    assert entries == sorted(f"{entry_key(n, (mesh_dir / n).read_text())}.json" for n in ("main.hcl", "ops.hcl"))


def test_a_crafted_json_entry_is_ignored(mesh_dir: Path, user_cache: Path, marker: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "ops.hcl": OTHER})
    entry_dir = user_cache / "hcl" / mesh_key(mesh_dir)
    entry_dir.mkdir(parents=True)
    crafted = {
        "format": ast_json.FORMAT,
        "meshctl": __version__,
        "file": "ops.hcl",
        "body": {
            "attributes": [["py/reduce", 1, ["exec", 1, f"open({str(marker)!r}, 'w').close()"]]],
            "blocks": [["domain", ["intruder"], 1, {"attributes": [], "blocks": [], "__class__": "os.system"}]],
        },
    }
    path = entry_dir / f"{entry_key('ops.hcl', OTHER)}.json"
    path.write_text(json.dumps(crafted))
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert VALID in result.stdout  # 4 domains: ops from the file, no "intruder"
    assert not marker.exists()
    assert json.loads(path.read_text())["body"]["blocks"][0][1] == ["ops"]  # replaced by the real parse


def test_the_cache_can_be_turned_off(mesh_dir: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "ops.hcl": OTHER})
    monkeypatch.setenv("MESHCTL_PARSE_CACHE", "off")
    assert VALID in run("validate", ".").stdout
    assert not (user_cache / "hcl").exists()


@pytest.mark.parametrize(
    "template",
    [
        "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
        "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch MARKER') }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
        "{{ c(['touch', 'MARKER']) }}{% endif %}{% endfor %}",
    ],
)
def test_a_module_template_cannot_run_code(mesh_dir: Path, marker: Path, template: str) -> None:
    """A module's jinja2 template comes from the repository too: it renders in a sandbox."""
    module = mesh_dir / "modules" / "note"
    module.mkdir(parents=True)
    (module / "main.hcl").write_text('output "text" {\n  value = templatefile("note.j2", {})\n}\n')
    (module / "note.j2").write_text(template.replace("MARKER", str(marker)))
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "note.hcl": 'module "note" {\n  source = "./modules/note"\n}\n'})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "template note.j2" in result.stderr and "unsafe" in result.stderr
    assert "Traceback" not in result.output
    assert not marker.exists()
