"""Migration, design section 8: a mesh without application blocks compiles exactly as before
applications existed. The example mesh's resources (every address, attribute, source,
dependency and domain) are compared with a snapshot taken before the application compiler."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

from meshctl.config.loader import LoadOptions, load
from meshctl.engine.run import compile_desired
from meshctl.state_model import State

EXAMPLES = Path(__file__).parents[2] / "examples"
SNAPSHOT = Path(__file__).parent / "golden" / "example_resources.json"
DEPLOYERS = ("arn:aws:iam::123456789012:role/meshctl-deployer",)


def _without_applications(directory: Path) -> Path:
    """A copy of the example mesh without the files that declare applications (an example of
    them may join examples/) or a Kafka Connect worker (examples/connect.hcl: the connectors
    meshctl deploys): the snapshot is of the mesh before applications."""
    copy = Path(tempfile.mkdtemp(prefix="meshctl-golden-"))
    shutil.copytree(EXAMPLES, copy, dirs_exist_ok=True)
    for path in copy.glob("*.hcl"):
        if re.search(r'^(application\s+"|kafka_connect\s+\{)', path.read_text(), flags=re.M):
            path.unlink()
    return copy


def example_resources() -> dict[str, object]:
    directory = _without_applications(EXAMPLES)
    try:
        config = load(directory, LoadOptions(env={}, environment="dev"))  # dev: the mesh as it was
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    desired = compile_desired(config, State(), date(2026, 12, 3), DEPLOYERS)
    return {
        r.address: {
            "attributes": r.attributes,
            "source": r.source,
            "depends_on": list(r.depends_on),
            "domain": r.domain,
            "module": r.module,
        }
        for r in desired.resources
    }


def test_the_example_mesh_compiles_to_the_snapshot() -> None:
    got = json.loads(json.dumps(example_resources(), sort_keys=True))
    want = json.loads(SNAPSHOT.read_text())
    assert sorted(got) == sorted(want)
    for address in want:
        assert got[address] == want[address], address


if __name__ == "__main__":  # regenerate, only for a deliberate change: python -m tests.unit.test_golden_example
    SNAPSHOT.write_text(json.dumps(example_resources(), indent=1, sort_keys=True) + "\n")
