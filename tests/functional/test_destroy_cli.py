"""`meshctl destroy` through the CLI with providers in memory: the guards of apply (opt-ins
for objects that hold data, prevent_destroy, the confirmation, the lock), the scope, and
state written after it. Providers that hold what they are given: a plan with refresh reads
nothing from them (FakeKafka.refresh), so these runs plan from state with -refresh=false,
which is also what they prove needs no read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.fake_providers import FakeKafka, FakeProvider
from tests.helpers import MINIMAL, write_mesh

KAFKA = 'kafka {\n  bootstrap_servers = "127.0.0.1:9"\n}\n'
TOPIC = "kafka_topic.commerce.sales.orders.v1"


@pytest.fixture
def kafka(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKafka:
    fake = FakeKafka()
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    write_mesh(mesh_dir, {"main.hcl": KAFKA + MINIMAL})
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    return fake


def _recorded(mesh_dir: Path) -> list[str]:
    return [r["address"] for r in json.loads((mesh_dir / ".meshctl" / "state.json").read_text())["resources"]]


def test_destroy_refuses_a_topic_delete_without_its_opt_in(kafka: FakeKafka, mesh_dir: Path) -> None:
    before = _recorded(mesh_dir)
    assert TOPIC in before
    result = run("destroy", "--auto-approve", "--no-color", "-refresh=false", ".")
    assert result.exit_code == 1
    assert f"{TOPIC}:" in result.stderr and "--allow-delete kafka_topic" in result.stderr, result.stderr
    assert _recorded(mesh_dir) == before and [v for v, _ in kafka.batches].count("delete") == 0


def test_destroy_with_the_opt_in_deletes_everything_and_empties_state(kafka: FakeKafka, mesh_dir: Path) -> None:
    result = run("destroy", "--auto-approve", "--no-color", "-refresh=false", "--allow-delete-topics", ".")
    assert result.exit_code == 0, result.output
    assert "Destroy complete!" in result.stdout and "0 added, 0 changed" in result.stdout
    assert _recorded(mesh_dir) == []
    assert kafka.topics == {} and kafka.bindings == set() and kafka.users == set()
    # the configuration is unchanged: a plan wants everything back
    again = json.loads(run("plan", "--json", ".").stdout)
    assert again["summary"]["add"] >= 3
    # an empty configuration after a destroy: nothing to do
    write_mesh(mesh_dir, {"main.hcl": KAFKA})
    assert "No changes" in run("plan", "--no-color", ".").stdout


def test_destroy_asks_for_yes(kafka: FakeKafka, mesh_dir: Path) -> None:
    before = _recorded(mesh_dir)
    result = run("destroy", "--no-color", "-refresh=false", "--allow-delete", "all", ".", input="no\n")
    assert result.exit_code == 1 and "Destroy cancelled." in result.stdout
    assert "Do you really want to destroy" in result.stdout
    assert _recorded(mesh_dir) == before
    closed = run("destroy", "--no-color", "-refresh=false", "--allow-delete", "all", ".", input="")
    assert closed.exit_code == 1 and "--auto-approve" in closed.stderr
    assert _recorded(mesh_dir) == before


def test_destroy_of_a_domain_keeps_the_rest(kafka: FakeKafka, mesh_dir: Path) -> None:
    result = run(
        "destroy", "--auto-approve", "--no-color", "-refresh=false", "--allow-delete", "all", "--domain", "analytics"
    )
    assert result.exit_code == 0, result.output
    left = _recorded(mesh_dir)
    assert TOPIC in left and not any("analytics" in a for a in left), left


def test_destroy_target_takes_what_depends_on_it(kafka: FakeKafka, mesh_dir: Path) -> None:
    state = json.loads((mesh_dir / ".meshctl" / "state.json").read_text())
    dependents = {r["address"] for r in state["resources"] if TOPIC in r["depends_on"]}
    result = run(
        "destroy", "--auto-approve", "--no-color", "-refresh=false", "--allow-delete-topics", f"-target={TOPIC}"
    )
    assert result.exit_code == 0, result.output
    left = set(_recorded(mesh_dir))
    assert TOPIC not in left and not (dependents & left)
    assert "kafka_scram_user.analytics" in left


def test_destroy_refuses_prevent_destroy_before_any_request(kafka: FakeKafka, mesh_dir: Path) -> None:
    protected = MINIMAL.replace("  version = 1\n", "  version = 1\n  lifecycle {\n    prevent_destroy = true\n  }\n")
    write_mesh(mesh_dir, {"main.hcl": KAFKA + protected})
    applied = run("apply", "--auto-approve", "--no-color", "-refresh=false", ".")
    assert applied.exit_code == 0, applied.output
    batches = len(kafka.batches)
    result = run("destroy", "--auto-approve", "--no-color", "--allow-delete", "all", ".")
    assert result.exit_code == 1
    assert "prevent_destroy" in result.stderr and TOPIC in result.stderr and "main.hcl:" in result.stderr
    assert len(kafka.batches) == batches and TOPIC in _recorded(mesh_dir)


def test_destroy_waits_for_the_lock(kafka: FakeKafka, mesh_dir: Path) -> None:
    ws = Workspace(mesh_dir)
    ws.backend.lock("apply", 0)
    try:
        result = run("destroy", "--auto-approve", "--allow-delete", "all", "-refresh=false", ".")
    finally:
        ws.backend.unlock()
    assert result.exit_code == 1 and "lock" in result.stderr, result.output
    assert TOPIC in _recorded(mesh_dir) and not [v for v, _ in kafka.batches if v == "delete"]


def test_destroy_help_has_examples() -> None:
    text = run("destroy", "--help").stdout
    assert "Examples:" in text and "meshctl destroy --domain sales" in text


ENVIRONMENTS = """
environment "dev" {
  kafka {
    bootstrap_servers = "dev-broker:9092"
  }
}
environment "prod" {
  kafka {
    bootstrap_servers = "prod-broker:9092"
  }
}
"""


def test_destroy_keeps_to_the_selected_environment(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = {env: {"kafka": FakeKafka(), "registry": FakeProvider("registry")} for env in ("dev", "prod")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: fakes[self.environment]))
    write_mesh(mesh_dir, {"main.hcl": ENVIRONMENTS + MINIMAL})
    for env in ("dev", "prod"):
        applied = run("-C", ".", "apply", "-e", env, "--auto-approve", "-refresh=false", ".")
        assert applied.exit_code == 0, applied.output
    states = {env: mesh_dir / ".meshctl" / "env" / env / "state.json" for env in ("dev", "prod")}
    prod_before = states["prod"].read_text()
    assert run("destroy", "--auto-approve", "-refresh=false", "--allow-delete", "all").exit_code == 1  # -e needed
    done = run("destroy", "-e", "dev", "--auto-approve", "-refresh=false", "--allow-delete", "all")
    assert done.exit_code == 0, done.output
    assert json.loads(states["dev"].read_text())["resources"] == []
    assert states["prod"].read_text() == prod_before
    assert [verb for verb, _ in fakes["prod"]["kafka"].batches] == ["apply"] * len(fakes["prod"]["kafka"].batches)
    assert "delete" in [verb for verb, _ in fakes["dev"]["kafka"].batches]
