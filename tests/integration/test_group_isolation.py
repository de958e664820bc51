"""Consumer groups between relatives, proven with real consumers on the real broker.

A parent, a child, the child's sibling and an integration on the parent each join groups
under their own prefix (and really consume a record) and under every relative's prefix
(refused by the broker with GROUP_AUTHORIZATION_FAILED). The mesh is first applied the
way an earlier meshctl named groups (`<domain path>.`), where the parent could join its
child's groups; the next plan replaces those ACLs, and the hole is gone.
"""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourceType,
)
from confluent_kafka.admin import ResourcePatternType as Pattern

from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

DENIED = "GROUP_AUTHORIZATION_FAILED"


def _mesh(p: str) -> dict[str, str]:
    def domain(name: str, parent: str = "") -> str:
        parent_line = f'  parent = "{p}{parent}"\n' if parent else ""
        return f'domain "{p}{name}" {{\n{parent_line}  owners {{ accountable = "o@acme.example" }}\n}}\n'

    def grant(consumer: str, product: str) -> str:
        name = f"{consumer}_{product.replace('.', '_')}"
        return f'access "{name}" {{\n  product  = "{p}{product}"\n  consumer = "{p}{consumer}"\n}}\n'

    return {
        "main.hcl": 'kafka {\n  request_timeout = "20s"\n}\n'
        + domain("commerce")
        + domain("sales", "commerce")
        + domain("billing", "commerce")
        + f'data_product "orders" {{\n  domain = "{p}sales"\n  topic {{\n    partitions = 1\n  }}\n}}\n'
        + f'data_product "invoices" {{\n  domain = "{p}billing"\n  topic {{\n    partitions = 1\n  }}\n}}\n'
        + grant("commerce", "sales.orders")
        + grant("billing", "sales.orders")
        + grant("sales", "billing.invoices")
        + f'integration "lake" {{\n  domain = "{p}commerce"\n  vendor = "any"\n  source = "./vendor"\n'
        f'  reads  = ["{p}sales.orders"]\n}}\n',
        "vendor/main.hcl": 'variable "integration" {}\n',
    }


def _group_acls(admin: AdminClient, principals: set[str]) -> set[tuple[str, str]]:
    return {(who, name) for who, rtype, name, _, _ in kafkautil.acls(admin, principals) if rtype == "GROUP"}


def _to_tree_named_groups(workdir: Path, admin: AdminClient, old: dict[str, str]) -> None:
    """Make the applied mesh look as an earlier meshctl left it: GROUP ACLs on `<domain path>.`
    on the broker and in state, nothing under `grp.`."""
    state_file = workdir / ".meshctl" / "state.json"
    state = json.loads(state_file.read_text())
    new: list[AclBinding] = []
    for r in state["resources"]:
        attrs = r["attributes"]
        if r["type"] != "kafka_acl" or attrs["resource_type"] != "GROUP":
            continue
        user = attrs["principal"].removeprefix("User:")
        new += [_binding(attrs["principal"], attrs["resource_name"], op) for op in attrs["operations"]]
        attrs["resource_name"] = old[user]
        r["name"] = f"{user}/group/{old[user]}*"
        r["address"] = f"kafka_acl.{r['name']}"
    state_file.write_text(json.dumps(state))
    _wait(admin.delete_acls([_filter(b) for b in new]))
    _wait(admin.create_acls([_binding(b.principal, old[b.principal.removeprefix("User:")], b.operation) for b in new]))


def _binding(principal: str, name: str, op: object) -> AclBinding:
    operation = op if isinstance(op, AclOperation) else AclOperation[str(op)]
    return AclBinding(ResourceType.GROUP, name, Pattern.PREFIXED, principal, "*", operation, AclPermissionType.ALLOW)


def _filter(b: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type
    )


def _wait(futures: object) -> None:
    for fut in futures.values() if isinstance(futures, dict) else futures:  # type: ignore[attr-defined]
        fut.result(timeout=20)


def test_no_principal_joins_a_relatives_consumer_groups(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    (workdir / "vendor").mkdir()
    write_mesh(workdir, _mesh(p))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    users = {"commerce": f"{p}commerce", "sales": f"{p}sales", "billing": f"{p}billing", "lake": f"{p}commerce-lake"}
    creds = {
        who: kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{user}.properties")
        for who, user in users.items()
    }
    orders, invoices = f"{p}commerce.{p}sales.orders.v1", f"{p}commerce.{p}billing.invoices.v1"
    reads = {"commerce": orders, "sales": invoices, "billing": orders, "lake": orders}
    assert kafkautil.produce(creds["sales"], orders, b"order-1") is None
    assert kafkautil.produce(creds["billing"], invoices, b"invoice-1") is None
    record = {orders: b"order-1", invoices: b"invoice-1"}

    # An existing apply with tree-shaped group names: the parent could join its child's groups.
    tree = {
        users["commerce"]: f"{p}commerce.",
        users["sales"]: f"{p}commerce.{p}sales.",
        users["billing"]: f"{p}commerce.{p}billing.",
        users["lake"]: f"{p}commerce.lake.",
    }
    _to_tree_named_groups(workdir, admin, tree)
    hole = kafkautil.unique_group(f"{p}commerce.{p}billing.")
    assert kafkautil.consume(creds["commerce"], orders, hole) == b"order-1"

    # The next plan replaces each old GROUP ACL with the one under `grp.<principal>.`.
    plan = run("plan", "--no-color", ".")
    assert plan.exit_code == 0, plan.output
    for user, old in tree.items():
        assert f"# kafka_acl.{user}/group/{old}* will be destroyed" in plan.stdout, plan.stdout
        assert f"# kafka_acl.{user}/group/grp.{user}.* will be created" in plan.stdout
    assert "Plan: 4 to add, 0 to change, 4 to destroy." in plan.stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert _group_acls(admin, {f"User:{u}" for u in users.values()}) == {
        (f"User:{u}", f"grp.{u}.") for u in users.values()
    }
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    # Each principal consumes in a group under its own prefix ...
    for who, user in users.items():
        group = kafkautil.unique_group(f"grp.{user}.")
        assert kafkautil.consume(creds[who], reads[who], group) == record[reads[who]], who
    # ... and is refused by the broker under any relative's prefix: parent and child, siblings,
    # the integration and its domain, the integration and the domain's child.
    for who, other in permutations(users, 2):
        group = kafkautil.unique_group(f"grp.{users[other]}.")
        assert kafkautil.consume(creds[who], reads[who], group) == DENIED, (who, other)
    # The old names are closed too: the parent no longer joins groups under its child's path.
    assert kafkautil.consume(creds["commerce"], orders, kafkautil.unique_group(f"{p}commerce.{p}billing.")) == DENIED
    assert kafkautil.consume(creds["commerce"], orders, kafkautil.unique_group(f"{p}commerce.lake.")) == DENIED


def test_a_domain_named_like_meshctls_own_principal_is_refused(
    workdir: Path, broker: KafkaSandbox, admin: AdminClient
) -> None:
    user = broker.admin_user
    before = kafkautil.scram_users(admin)[user]
    write_mesh(workdir, {"main.hcl": f'domain "{user}" {{\n  owners {{ accountable = "o@acme.example" }}\n}}\n'})
    for command in ("plan", "apply"):
        result = run(command, "--auto-approve", ".") if command == "apply" else run(command, ".")
        assert result.exit_code == 1, result.output
        assert f"error: domain.{user} would be the principal User:{user}, which meshctl itself connects as" in (
            result.stderr
        )
    assert kafkautil.scram_users(admin)[user] == before  # its credentials were not touched
    assert not (workdir / ".meshctl" / "credentials" / f"{user}.properties").exists()
