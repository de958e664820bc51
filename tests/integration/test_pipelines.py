"""CI pipelines and the drift cron: saved plans, drift, scoped plans, adoption, JSON
that stays JSON. Against the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from tests.cli import run
from tests.integration import mesh


def _apply(*extra: str) -> None:
    result = run("apply", "--auto-approve", "--no-color", *extra)
    assert result.exit_code == 0, result.output


def _wait(futures: dict) -> None:
    for f in futures.values():
        f.result(timeout=20)


def test_a_saved_plan_applies_exactly_and_a_stale_one_is_refused(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    result = run("plan", "--out", "first.plan", ".")
    assert result.exit_code == 0
    assert "Saved the plan to first.plan" in result.stderr
    stale_later = run("plan", "--out", "second.plan", ".")
    assert stale_later.exit_code == 0

    applied = run("apply", "first.plan")  # no prompt: the plan was reviewed when it was made
    assert applied.exit_code == 0, applied.output
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    refused = run("apply", "second.plan")
    assert refused.exit_code == 1
    assert "the saved plan is stale: the state moved from serial 0 to" in refused.stderr

    mesh.write(workdir, prefix, orders_partitions=6)
    assert run("plan", "--out", "third.plan", ".").exit_code == 0
    mesh.write(workdir, prefix, orders_partitions=9)
    refused = run("apply", "third.plan")
    assert refused.exit_code == 1
    assert "the configuration changed since it was made (main.hcl changed)" in refused.stderr
    assert "plan again" in refused.stderr


def test_drift_made_by_hand_is_reported_with_exit_2(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    mesh.write(workdir, p)
    _apply(".")
    result = run("drift", ".")
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        0,
        "No drift. The 14 managed resources match what meshctl recorded.",
    )
    orders = f"{p}commerce.{p}sales.orders.v1"
    # A changed config, an extra ACL, a deleted ACL and an unmanaged topic in a managed namespace.
    change = ConfigResource(
        ResourceType.TOPIC,
        orders,
        incremental_configs=[ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)],
    )
    _wait(admin.incremental_alter_configs([change]))
    extra = AclBinding(
        ResourceType.TOPIC,
        f"{p}commerce.{p}sales.refunds.v1",
        ResourcePatternType.LITERAL,
        f"User:{p}marketing",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    _wait(admin.create_acls([extra]))
    gone = AclBindingFilter(
        ResourceType.TOPIC,
        orders,
        ResourcePatternType.LITERAL,
        f"User:{p}analytics",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    _wait(admin.delete_acls([gone]))
    _wait(admin.create_topics([NewTopic(f"{p}commerce.{p}sales.scratch", 1, 1)]))

    report = run("drift", "--json", ".")
    assert report.exit_code == 2
    doc = json.loads(report.stdout)
    assert doc["format_version"] == "1.0" and doc["drift"] is True
    kinds = {(r["kind"], r["address"]) for r in doc["resources"]}
    assert kinds == {
        ("changed", f"kafka_topic.{orders}"),
        ("changed", f"kafka_acl.{p}analytics/topic/{orders}"),  # READ deleted, DESCRIBE left
        ("unmanaged", f"kafka_acl.{p}marketing/topic/{p}commerce.{p}sales.refunds.v1"),
        ("unmanaged", f"kafka_topic.{p}commerce.{p}sales.scratch"),
    }
    text = run("drift", "--no-color", ".")
    assert text.exit_code == 2
    assert "Drift detected: 2 changed, 0 deleted, 2 unmanaged (of 14 managed resources)." in text.stdout
    assert '"retention.ms" = "86400000" -> "3600000"' in " ".join(text.stdout.split())
    # plan agrees: what drifted in managed resources is a change to make
    assert run("plan", "--detailed-exitcode", ".").exit_code == 2


def test_a_deleted_resource_is_drift(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    _apply(".")
    refunds = f"{prefix}commerce.{prefix}sales.refunds.v1"
    _wait(admin.delete_topics([refunds]))
    doc = json.loads(run("drift", "--json", ".").stdout)
    assert ("deleted", f"kafka_topic.{refunds}") in {(r["kind"], r["address"]) for r in doc["resources"]}


def test_domain_scope_never_plans_outside_its_subtree(workdir: Path, prefix: str) -> None:
    p = prefix
    mesh.write(workdir, p)
    _apply(".")
    # Changes in two subtrees: sales (a topic) and analytics (a grant removed).
    mesh.write(workdir, p, orders_partitions=6, grant_analytics=False)
    scoped = json.loads(run("plan", "--json", "--full", "--domain", f"{p}sales", ".").stdout)
    changed = [c for c in scoped["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert [c["address"] for c in changed] == [f"kafka_topic.{p}commerce.{p}sales.orders.v1"]
    assert all(c["meshctl"]["domain"] == f"{p}sales" for c in scoped["resource_changes"])
    _apply("--domain", f"{p}sales", ".")
    rest = json.loads(run("plan", "--json", ".").stdout)
    left = {c["address"] for c in rest["resource_changes"] if c["change"]["actions"] != ["no-op"]}
    assert left == {
        f"kafka_acl.{p}analytics/topic/{p}commerce.{p}sales.orders.v1",
        f"kafka_acl.{p}analytics/group/grp.{p}analytics.*",
    }
    # A parent domain's scope takes in its children (unchanged there: listed with --full).
    parent = json.loads(run("plan", "--json", "--full", "--domain", f"{p}commerce", ".").stdout)
    assert {c["meshctl"]["domain"] for c in parent["resource_changes"]} == {f"{p}commerce", f"{p}sales"}
    assert run("plan", "--domain", "nope", ".").exit_code == 1


def test_target_plans_one_block_and_its_dependencies(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    doc = json.loads(run("plan", "--json", "--target", "access.analytics_orders", ".").stdout)
    assert {c["address"] for c in doc["resource_changes"]} == {
        f"kafka_acl.{prefix}analytics/topic/{prefix}commerce.{prefix}sales.orders.v1",
        f"kafka_topic.{prefix}commerce.{prefix}sales.orders.v1",
        f"kafka_scram_user.{prefix}analytics",
    }


def test_plan_json_stays_json_with_progress_on(workdir: Path, prefix: str, kafka_env: dict[str, str]) -> None:
    mesh.write(workdir, prefix)
    proc = subprocess.run(
        [sys.executable, "-m", "meshctl", "plan", "--json", "."],
        capture_output=True,
        text=True,
        env={**os.environ, **kafka_env},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "refreshing from Kafka" in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["add"] == 14


def test_markdown_plan_for_a_pull_request(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    _apply(".")
    mesh.write(workdir, prefix, orders_partitions=2, grant_analytics=False)
    md = run("plan", "--markdown", ".").stdout
    assert md.startswith("### meshctl plan: 1 to add, 0 to change, 3 to destroy\n")
    assert f"| {prefix}analytics | 0 | 0 | 2 |" in md
    assert f"| {prefix}sales | 1 | 0 | 1 |" in md
    assert "> [!CAUTION]" in md and f"`kafka_topic.{prefix}commerce.{prefix}sales.orders.v1` is replaced" in md
    assert md.count("<details>") == 2 and "```diff" in md


def test_discover_writes_files_that_plan_to_no_changes(
    tmp_path: Path, prefix: str, admin: AdminClient, kafka_env: dict[str, str], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A cluster made by hand, following the conventions: adopt it without changing it."""
    p = prefix
    monkeypatch.chdir(tmp_path)
    topics = {
        f"{p}retail.{p}store.sales.v1": ("delete", 3),
        f"{p}retail.{p}store.sales.v2": ("delete", 3),
        f"{p}retail.{p}store.stock.v1": ("compact", 1),
        f"{p}retail.prices.v1": ("compact", 2),
    }
    _wait(
        admin.create_topics(
            [
                NewTopic(n, parts, 1, config={"cleanup.policy": policy, "retention.ms": "3600000"})
                for n, (policy, parts) in topics.items()
            ]
        )
    )
    users = [f"{p}retail", f"{p}store", f"{p}finance"]
    _wait(
        admin.alter_user_scram_credentials(
            [
                UserScramCredentialUpsertion(
                    u, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), b"pw-" + u.encode()
                )
                for u in users
            ]
        )
    )

    def allow(principal: str, rtype: ResourceType, name: str, pattern: ResourcePatternType, ops: list) -> list:
        return [AclBinding(rtype, name, pattern, f"User:{principal}", "*", op, AclPermissionType.ALLOW) for op in ops]

    W, R, D = AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE
    bindings = []
    for name in topics:
        owner = f"{p}store" if f".{p}store." in name else f"{p}retail"
        bindings += allow(owner, ResourceType.TOPIC, name, ResourcePatternType.LITERAL, [W, D])
    bindings += allow(
        f"{p}finance", ResourceType.TOPIC, f"{p}retail.{p}store.sales.v2", ResourcePatternType.LITERAL, [R, D]
    )
    bindings += allow(f"{p}finance", ResourceType.GROUP, f"grp.{p}finance.", ResourcePatternType.PREFIXED, [R, D])
    _wait(admin.create_acls(bindings))

    result = run("import", "--discover", f"{p}retail.", "--dir", "adopted")
    assert result.exit_code == 0, result.output
    assert "3 domains, 4 data products, 1 access grants" in result.stdout
    products = (tmp_path / "adopted" / "products.hcl").read_text()
    assert 'kind    = "fat_object"' in products and "# kind from cleanup.policy = compact" in products
    assert "# guessed: User:" in (tmp_path / "adopted" / "domains.hcl").read_text()  # finance only reads
    plan = run("plan", "--detailed-exitcode", "--no-color", "adopted")
    assert plan.exit_code == 0, plan.output
    assert plan.stdout == "No changes. Your mesh matches the configuration.\n"
    again = run("import", "--discover", f"{p}retail.", "--dir", "adopted")
    assert again.exit_code == 1 and "pass --force" in again.stderr


def test_import_one_resource(workdir: Path, prefix: str, admin: AdminClient) -> None:
    mesh.write(workdir, prefix)
    orders = f"{prefix}commerce.{prefix}sales.orders.v1"
    _wait(admin.create_topics([NewTopic(orders, 3, 1, config={"cleanup.policy": "delete"})]))
    missing = run("import", f"kafka_topic.{orders}x", orders)
    assert missing.exit_code == 1 and "is not in the configuration" in missing.stderr
    result = run("import", f"kafka_topic.{orders}", orders)
    assert result.exit_code == 0, result.output
    listed = run("state", "list", ".").stdout.splitlines()
    assert listed == [f"kafka_topic.{orders}"]
    shown = json.loads(run("state", "show", f"kafka_topic.{orders}", ".").stdout)
    assert shown["attributes"]["partitions"] == 3 and shown["domain"] == f"{prefix}sales"
    plan = run("plan", "--no-color", ".")
    assert f"kafka_topic.{orders} will be updated in-place" in plan.stdout  # retention.ms to add
    assert run("state", "rm", f"kafka_topic.{orders}", ".").exit_code == 0
    assert run("state", "list", ".").stdout == ""
