"""Failures: a broker lost mid-apply, a held lock, bad credentials, no broker at all."""

from __future__ import annotations

import json
import re
from pathlib import Path

from confluent_kafka.admin import AdminClient

from meshctl.engine.workspace import Workspace
from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult
from meshctl_sandbox.kafka import KafkaSandbox, free_port
from tests.cli import run
from tests.integration import kafkautil, mesh


class StopBrokerAfterFirstWave:
    """Apply hooks that stop the broker as soon as the first batch has finished."""

    def __init__(self, broker: KafkaSandbox):
        self.broker = broker
        self.completed: list[str] = []
        self.failed: list[str] = []

    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None:
        pass

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None:
        (self.completed if result.ok else self.failed).append(change.address)
        if self.broker.is_running():
            self.broker.stop()

    def change_skipped(self, change: ResourceChange, because: str) -> None:
        self.failed.append(change.address)


def test_broker_lost_mid_apply_leaves_true_state_and_rerun_converges(
    workdir: Path, prefix: str, broker: KafkaSandbox
) -> None:
    mesh.write(workdir, prefix)
    ws = Workspace(workdir)
    state = ws.read_state()
    ws_run = ws.run(state)
    plan = ws_run.plan()
    hooks = StopBrokerAfterFirstWave(broker)
    result = ws_run.apply(plan, hooks)
    assert not result.ok
    users = {c.address for c in plan.actionable if c.type == "kafka_scram_user"}
    # The first wave (principals and topics) finished before the broker went away ...
    first_wave = {c.address for c in plan.actionable if c.type in ("kafka_scram_user", "kafka_topic")}
    assert set(hooks.completed) == first_wave
    assert users <= first_wave
    # ... and state holds exactly those, with the ACLs failed and not recorded.
    recorded = {r["address"] for r in json.loads((workdir / ".meshctl" / "state.json").read_text())["resources"]}
    assert recorded == first_wave
    acls = {c.address for c in plan.actionable if c.type == "kafka_acl"}
    assert set(result.failed) | set(result.skipped) == acls
    assert all("cannot reach Kafka" in e or "Kafka" in e for e in result.failed.values())

    broker.start(timeout=120)
    # The next plan shows exactly what is left: the ACLs.
    code_output = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert code_output.exit_code == 2
    assert f"Plan: {len(acls)} to add, 0 to change, 0 to destroy." in code_output.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_second_apply_is_refused_while_the_lock_is_held(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    holder = Workspace(workdir).backend
    info = holder.lock("apply")
    try:
        result = run("apply", "--auto-approve", ".")
    finally:
        holder.unlock()
    assert result.exit_code == 1
    assert f"the state is locked by {info.who} (apply, since {info.created}, lock ID {info.id})" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / ".meshctl" / "state.json").exists()
    assert run("apply", "--auto-approve", ".").exit_code == 0  # released: the next one proceeds


def test_wrong_password_is_one_clear_sentence(workdir: Path, prefix: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mesh.write(workdir, prefix)
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_PASSWORD", "not-the-password")
    result = run("plan", ".")
    assert result.exit_code == 1
    assert re.search(r"error: Kafka at 127\.0\.0\.1:\d+ refused the credentials of admin", result.output)
    assert "not-the-password" not in result.output
    assert "Traceback" not in result.output


def test_unreachable_broker_names_the_address(workdir: Path, prefix: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mesh.write(workdir, prefix)
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", address)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert f"error: cannot reach Kafka at {address} (bootstrap_servers)" in result.output
    assert "Traceback" not in result.output


def test_a_principal_without_rights_is_told_what_it_lacks(
    workdir: Path,
    prefix: str,
    monkeypatch,
    admin: AdminClient,  # type: ignore[no-untyped-def]
) -> None:
    mesh.write(workdir, prefix)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    creds = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{prefix}sales.properties")
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_USERNAME", creds["sasl.username"])
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_PASSWORD", creds["sasl.password"])
    # Another mesh, planned with a domain's credentials: meshctl refuses to manage its own principal.
    other = workdir / "other"
    other.mkdir()
    mesh.write(other, f"{prefix}o")
    result = run("plan", str(other))
    assert result.exit_code == 1
    assert f"User:{prefix}sales is not authorized to DESCRIBE the cluster on Kafka at" in result.output
    assert creds["sasl.password"] not in result.output
