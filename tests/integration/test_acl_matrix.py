"""The ACLs meshctl writes, proven by producing and consuming as each principal."""

from __future__ import annotations

from pathlib import Path

from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.integration import kafkautil, mesh


def test_owner_writes_grantee_reads_others_are_refused(workdir: Path, prefix: str, broker: KafkaSandbox) -> None:
    p = prefix
    mesh.write(workdir, p)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    creds = {
        d: kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}{d}.properties")
        for d in ("sales", "analytics", "marketing")
    }
    for props in creds.values():  # the files name the cluster they were made for
        assert props["bootstrap.servers"] == broker.bootstrap_servers
    orders = f"{p}commerce.{p}sales.orders.v1"

    # The owner may write its product; a granted consumer may not; nor may anyone else.
    assert kafkautil.produce(creds["sales"], orders, b"order-1") is None
    for other in ("analytics", "marketing"):
        assert kafkautil.produce(creds[other], orders, idempotent=False) == "TOPIC_AUTHORIZATION_FAILED"
        # An idempotent producer is refused earlier (no producer id without WRITE anywhere).
        assert kafkautil.produce(creds[other], orders) is not None

    # The granted consumer reads in a group under its own prefix.
    assert kafkautil.consume(creds["analytics"], orders, kafkautil.unique_group(f"grp.{p}analytics.")) == b"order-1"
    # ... but not in a group outside its prefix,
    assert kafkautil.consume(creds["analytics"], orders, f"grp.{p}sales.stolen") == "GROUP_AUTHORIZATION_FAILED"
    # and an ungranted domain may not read it at all.
    assert kafkautil.consume(creds["marketing"], orders, kafkautil.unique_group(f"grp.{p}marketing.")) in (
        "TOPIC_AUTHORIZATION_FAILED",
        "GROUP_AUTHORIZATION_FAILED",
    )
