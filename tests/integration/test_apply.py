"""Plan and apply against the real broker, verified with a raw AdminClient."""

from __future__ import annotations

import json
import re
from pathlib import Path

from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from meshctl.engine.workspace import Workspace
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil, mesh


def _apply(*extra: str) -> None:
    result = run("apply", "--auto-approve", "--no-color", *extra, ".")
    assert result.exit_code == 0, result.output
    assert "Apply complete!" in result.output


def _plan_exit(*extra: str) -> tuple[int, str]:
    """Exit code and output, with runs of spaces squashed so alignment does not matter."""
    result = run("plan", "--no-color", "--detailed-exitcode", *extra, ".")
    return result.exit_code, re.sub(r"(?<=\S) {2,}", " ", result.stdout)


def test_apply_creates_exactly_the_expected_objects(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    mesh.write(workdir, p)
    _apply()

    assert kafkautil.topics(admin, p) == {
        f"{p}commerce.{p}sales.orders.v1": (3, 1),
        f"{p}commerce.{p}sales.customers.v1": (1, 1),
        f"{p}commerce.{p}sales.refunds.v1": (1, 1),
    }
    configs = kafkautil.topic_configs(admin, sorted(kafkautil.topics(admin, p)))
    assert configs == {
        f"{p}commerce.{p}sales.orders.v1": {"cleanup.policy": "delete", "retention.ms": "86400000"},
        f"{p}commerce.{p}sales.customers.v1": {"cleanup.policy": "compact"},
        f"{p}commerce.{p}sales.refunds.v1": {"cleanup.policy": "delete", "retention.ms": "604800000"},  # a week
    }
    users = kafkautil.scram_users(admin)
    for domain in ("commerce", "sales", "analytics", "marketing"):
        assert users[f"{p}{domain}"] == ["SCRAM_SHA_512"]

    principals = {f"User:{p}{d}" for d in ("commerce", "sales", "analytics", "marketing")}
    orders, customers, refunds = (f"{p}commerce.{p}sales.{n}.v1" for n in ("orders", "customers", "refunds"))
    expected = set()
    for topic in (orders, customers, refunds):
        expected |= {(f"User:{p}sales", "TOPIC", topic, "LITERAL", op) for op in ("WRITE", "DESCRIBE")}
    expected |= {(f"User:{p}analytics", "TOPIC", orders, "LITERAL", op) for op in ("READ", "DESCRIBE")}
    expected |= {(f"User:{p}marketing", "TOPIC", customers, "LITERAL", op) for op in ("READ", "DESCRIBE")}
    expected |= {(f"User:{p}analytics", "GROUP", f"grp.{p}analytics.", "PREFIXED", op) for op in ("READ", "DESCRIBE")}
    expected |= {(f"User:{p}marketing", "GROUP", f"grp.{p}marketing.", "PREFIXED", op) for op in ("READ", "DESCRIBE")}
    assert kafkautil.acls(admin, principals) == expected

    # Credentials: one 0600 file per principal, and the password is in neither state nor output.
    cred = workdir / ".meshctl" / "credentials" / f"{p}sales.properties"
    assert cred.stat().st_mode & 0o777 == 0o600
    password = kafkautil.read_properties(cred)["sasl.password"]
    assert password not in (workdir / ".meshctl" / "state.json").read_text()

    code, output = _plan_exit()
    assert (code, output) == (0, "No changes. Your mesh matches the configuration.\n")


def test_state_records_serial_lineage_and_sources(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    _apply()
    state = json.loads((workdir / ".meshctl" / "state.json").read_text())
    assert state["version"] == 1 and state["serial"] >= 1 and len(state["lineage"]) == 36
    by_address = {r["address"]: r for r in state["resources"]}
    topic = by_address[f"kafka_topic.{prefix}commerce.{prefix}sales.orders.v1"]
    assert topic["source"] == f"data_product.{prefix}sales.orders.v1"
    assert (workdir / ".meshctl" / "state.json").stat().st_mode & 0o777 == 0o600


def test_config_change_is_an_in_place_update(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    _apply()
    mesh.write(workdir, prefix, orders_retention="172800000", orders_partitions=6)
    code, output = _plan_exit()
    assert code == 2
    topic = f"{prefix}commerce.{prefix}sales.orders.v1"
    assert f"# kafka_topic.{topic} will be updated in-place" in output
    assert '~ "retention.ms" = "86400000" -> "172800000"' in output
    assert "~ partitions = 3 -> 6" in output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in output
    _apply()
    assert kafkautil.topics(admin, topic)[topic] == (6, 1)
    assert kafkautil.topic_configs(admin, [topic])[topic]["retention.ms"] == "172800000"
    assert _plan_exit()[0] == 0


def test_partition_decrease_is_a_replace_refused_without_opt_in(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix, orders_partitions=4)
    _apply()
    mesh.write(workdir, prefix, orders_partitions=2)
    topic = f"{prefix}commerce.{prefix}sales.orders.v1"
    code, output = _plan_exit()
    assert code == 2
    assert f"# kafka_topic.{topic} must be replaced" in output
    assert '-/+ resource "kafka_topic"' in output
    assert "Kafka cannot reduce a topic's partitions (4 -> 2)" in output
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in output
    refused = run("apply", "--auto-approve", "--no-color", ".")
    assert refused.exit_code == 1
    assert "--allow-replace" in refused.output
    assert kafkautil.topics(admin, topic)[topic] == (4, 1)  # untouched
    _apply("--allow-replace")
    assert kafkautil.topics(admin, topic)[topic] == (2, 1)
    assert _plan_exit()[0] == 0


def test_removed_grant_removes_its_acls(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    _apply()
    analytics = f"User:{prefix}analytics"
    assert kafkautil.acls(admin, {analytics})
    mesh.write(workdir, prefix, grant_analytics=False)
    code, output = _plan_exit()
    assert code == 2
    assert f"# kafka_acl.{prefix}analytics/topic/{prefix}commerce.{prefix}sales.orders.v1 will be destroyed" in output
    assert f"# kafka_acl.{prefix}analytics/group/grp.{prefix}analytics.* will be destroyed" in output
    _apply()
    assert kafkautil.acls(admin, {analytics}) == set()
    assert _plan_exit()[0] == 0


def test_topic_deletion_needs_an_explicit_flag(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    _apply()
    refunds = f"{prefix}commerce.{prefix}sales.refunds.v1"
    mesh.write(workdir, prefix, with_refunds=False)
    code, output = _plan_exit()
    assert code == 2 and f"kafka_topic.{refunds} will be destroyed" in output
    assert "--allow-delete-topics" in output
    assert run("apply", "--auto-approve", ".").exit_code == 1
    assert refunds in kafkautil.topics(admin, prefix)
    _apply("--allow-delete-topics")
    assert refunds not in kafkautil.topics(admin, prefix)
    assert _plan_exit()[0] == 0


def test_drift_made_by_hand_is_planned_back(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    _apply()
    topic = f"{prefix}commerce.{prefix}sales.orders.v1"
    resource = ConfigResource(
        ResourceType.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("segment.bytes", "10485760", incremental_operation=AlterConfigOpType.SET),
        ],
    )
    for fut in admin.incremental_alter_configs([resource]).values():
        fut.result(timeout=10)
    code, output = _plan_exit()
    assert code == 2
    assert '~ "retention.ms" = "3600000" -> "86400000"' in output
    assert '- "segment.bytes" = "10485760" -> null' in output
    _apply()
    assert kafkautil.topic_configs(admin, [topic])[topic] == {"cleanup.policy": "delete", "retention.ms": "86400000"}


def test_json_plan_has_terraform_shape(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    result = run("plan", "--json", ".")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["format_version"] == "1.0"
    changes = {c["address"]: c for c in doc["resource_changes"]}
    topic = changes[f"kafka_topic.{prefix}commerce.{prefix}sales.orders.v1"]
    assert topic["type"] == "kafka_topic"
    assert topic["change"]["actions"] == ["create"]
    assert topic["change"]["before"] is None
    assert topic["change"]["after"]["partitions"] == 3
    assert doc["summary"] == {"add": len(changes), "change": 0, "destroy": 0, "blocked": 0}


def test_refresh_makes_the_same_number_of_requests_for_any_size(
    workdir: Path, prefix: str, broker: KafkaSandbox
) -> None:
    mesh.write(workdir, prefix)
    _apply()
    small = Workspace(workdir)
    small.run().plan()
    bigger_dir = workdir / "bigger"
    files = mesh.mesh_files(prefix)
    extra = "".join(
        f'data_product "extra{i}" {{\n  domain = "{prefix}sales"\n}}\n'
        f'access "extra{i}" {{\n  product = "{prefix}sales.extra{i}"\n  consumer = "{prefix}analytics"\n}}\n'
        for i in range(25)
    )
    files["extra.hcl"] = extra

    write_mesh(bigger_dir, files)
    big = Workspace(bigger_dir, state_dir=workdir / ".meshctl")
    plan = big.run().plan()
    assert len(plan.actionable) == 75  # 25 topics, 25 owner ACLs, 25 grants
    # describe_cluster, metadata, describe_configs, describe_acls, describe_user_scram_credentials
    assert small.admin_requests() == big.admin_requests() == 5
    # and one login per principal with a stored password, to see that it still logs in (in parallel)
    assert small.providers["kafka"].client.logins == big.providers["kafka"].client.logins == 4  # type: ignore[attr-defined]


def _grown_mesh(p: str, products: int) -> dict[str, str]:
    """`products` products in domains of 10, each topic with a config of its own and read by
    another domain: every kind refresh reads (topics, configs, ACLs, SCRAM users) grows with
    it. A bigger mesh holds a smaller one as it is (domain d reads from domain d + 1)."""
    files = {}
    for d in range(products // 10):
        blocks = [f'domain "{p}d{d}" {{\n  owners {{ accountable = "d{d}@acme.example" }}\n}}\n']
        for n in range(d * 10, d * 10 + 10):
            blocks.append(
                f'data_product "p{n}" {{\n  domain = "{p}d{d}"\n  topic {{\n    partitions = 1\n'
                f'    config     = {{ "retention.ms" = "{86400000 * (1 + n % 7)}" }}\n  }}\n}}\n'
                f'access "a{n}" {{\n  product  = "{p}d{d}.p{n}"\n  consumer = "{p}d{d - 1 if d else 1}"\n}}\n'
            )
        files[f"d{d}.hcl"] = "".join(blocks)
    return files


def test_refresh_requests_stay_the_same_from_20_to_200_products(workdir: Path, prefix: str) -> None:
    """No per-resource round trip: plans of 20 products and of 200 (ten times the topics, their
    configs, the ACLs and the SCRAM users) make the same admin requests, before the 180 new
    products exist and after. Logins are the one thing per principal (the check that a stored
    password still logs in, made in parallel)."""
    write_mesh(workdir, _grown_mesh(prefix, 20))
    _apply()
    small = Workspace(workdir)
    assert small.run().plan().actionable == []

    write_mesh(workdir, _grown_mesh(prefix, 200))  # the same 20 and 180 more, in 18 more domains
    growing = Workspace(workdir)
    creates = growing.run().plan().actionable
    assert len(creates) == 180 + 180 + 180 + 17 + 18  # topics, owners' ACLs, grants, consumer groups' ACLs, users
    assert {c.actions for c in creates} == {("create",)}
    _apply()
    big = Workspace(workdir)
    assert big.run().plan().actionable == []
    # describe_cluster, metadata, describe_configs, describe_acls, describe_user_scram_credentials
    assert small.admin_requests() == growing.admin_requests() == big.admin_requests() == 5
    logins = [ws.providers["kafka"].client.logins for ws in (small, growing, big)]  # type: ignore[attr-defined]
    assert logins == [2, 2, 20]


def test_apply_asks_for_yes_and_reports_progress_on_stderr(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    declined = run("apply", "--no-color", ".", input="no\n")
    assert declined.exit_code == 1
    assert "Only 'yes' will be accepted to approve." in declined.stdout
    assert "Apply cancelled." in declined.stdout
    assert kafkautil.topics(admin, prefix) == {}
    accepted = run("apply", "--no-color", ".", input="yes\n")
    assert accepted.exit_code == 0, accepted.output
    topic = f"{prefix}commerce.{prefix}sales.orders.v1"
    assert f"kafka_topic.{topic}: Creating..." in accepted.stderr
    assert re.search(rf"\[\d+/\d+\] kafka_topic\.{re.escape(topic)}: Creation complete after", accepted.stderr)
    assert "Apply complete! Resources: 14 added, 0 changed, 0 destroyed." in accepted.stdout
    assert f"{prefix}commerce.{prefix}sales.orders.v1" in kafkautil.topics(admin, prefix)


def test_no_answer_on_stdin_is_refused(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    result = run("apply", ".", input="")
    assert result.exit_code == 1
    assert "use --auto-approve in pipelines" in result.stderr
