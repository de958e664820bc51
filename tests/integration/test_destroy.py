"""`meshctl destroy` and `-refresh=false` against the real broker: destroy refuses to delete a
topic holding records without the opt-in, deletes everything with it (topics, ACLs, SCRAM
users gone from the broker), leaves state empty, and an empty configuration then plans no
changes; a plan without refresh asks no server (the broker's address is made unreachable)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil


def _mesh(p: str) -> str:
    return f"""
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 1
}}
access "reads" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
"""


def test_destroy_guards_then_deletes_everything_and_plan_without_refresh_asks_nobody(
    workdir: Path, prefix: str, admin: AdminClient, kafka_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = prefix
    topic = f"{p}sales.orders.v1"
    write_mesh(workdir, {"main.hcl": _mesh(p)})
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    creds = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")
    assert kafkautil.produce(creds, topic, b"kept") is None
    users = {f"{p}sales", f"{p}analytics"}
    assert users <= set(kafkautil.scram_users(admin)) and kafkautil.acls(admin, {f"User:{u}" for u in users})

    # -refresh=false: no server is asked; with the broker unreachable it still plans, from state
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    offline = run("plan", "--no-color", "--detailed-exitcode", "-refresh=false", ".")
    assert offline.exit_code == 0, offline.output
    assert "No changes" in offline.stdout
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", kafka_env["MESHCTL_KAFKA_BOOTSTRAP_SERVERS"])

    refused = run("destroy", "--auto-approve", "--no-color", ".")
    assert refused.exit_code == 1
    assert f"kafka_topic.{topic}:" in refused.stderr and "1 record" in refused.stderr, refused.output
    assert topic in kafkautil.topics(admin, p)

    done = run("destroy", "--auto-approve", "--no-color", "--allow-delete", "kafka_topic", ".")
    assert done.exit_code == 0, done.output
    assert "Destroy complete!" in done.stdout
    assert topic not in kafkautil.topics(admin, p)
    assert not users & set(kafkautil.scram_users(admin))
    assert not kafkautil.acls(admin, {f"User:{u}" for u in users})
    assert json.loads((workdir / ".meshctl" / "state.json").read_text())["resources"] == []

    again = run("destroy", "--auto-approve", "--no-color", ".")
    assert again.exit_code == 0 and "No changes" in again.stdout
    (workdir / "main.hcl").write_text("")  # an empty configuration after the destroy: nothing to do
    empty = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert empty.exit_code == 0, empty.output
