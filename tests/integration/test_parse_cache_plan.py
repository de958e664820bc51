"""`plan` against the real broker runs nothing planted in the mesh and writes nothing into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.parse_cache import mesh_key
from tests.cli import run
from tests.hostile import plant_pickles, tree
from tests.integration import mesh

pytestmark = pytest.mark.integration


def test_plan_ignores_planted_pickles_and_leaves_the_mesh_unchanged(
    workdir: Path, prefix: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_cache = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("MESHCTL_CACHE_DIR", str(user_cache))
    monkeypatch.delenv("MESHCTL_PARSE_CACHE")
    marker = tmp_path_factory.mktemp("marker") / "pwned"
    mesh.write(workdir, prefix)
    plant_pickles(workdir, [workdir / ".meshctl"], marker)
    before = tree(workdir)
    outputs = []
    for _ in range(2):  # cold, then from the cache
        result = run("plan", "--no-color", ".")
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert f"# kafka_topic.{prefix}commerce.{prefix}sales.orders.v1 will be created" in outputs[0]
    assert outputs[0] == outputs[1]
    assert not marker.exists()
    assert tree(workdir) == before
    assert len(list((user_cache / "hcl" / mesh_key(workdir)).glob("*.json"))) == 1
