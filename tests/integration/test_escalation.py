"""Escalation made out of band, against the real broker and moto: foreign ACLs on managed
topics, groups and namespaces, extra ACLs of managed principals, a SCRAM password changed by
an admin, an extra SCRAM mechanism, a managed IAM policy attached to a domain role and an
extra inline policy. Each is reported by drift, shown and planned back by plan, reverted by
apply (checked with a raw AdminClient, a real client login and boto3), and a second plan is
clean."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil, mesh
from tests.integration.test_aws import MESH as AWS_MESH


def _wait(futures: dict) -> None:
    for f in futures.values():
        f.result(timeout=20)


def _apply() -> str:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    return result.stdout


def _plan(*extra: str) -> tuple[int, str]:
    result = run("plan", "--no-color", "--detailed-exitcode", *extra, ".")
    return result.exit_code, re.sub(r"(?<=\S) {2,}", " ", result.stdout)


def _acl(
    principal: str, rtype: ResourceType, name: str, pattern: ResourcePatternType, op: AclOperation, host: str = "*"
):  # type: ignore[no-untyped-def]
    return AclBinding(rtype, name, pattern, principal, host, op, AclPermissionType.ALLOW)


def _all_acls(admin: AdminClient) -> set[tuple[str, str, str, str, str, str]]:
    flt = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    return {
        (b.principal, b.host, b.restype.name, b.name, b.resource_pattern_type.name, b.operation.name)
        for b in admin.describe_acls(flt).result(timeout=10)
    }


@pytest.fixture
def foreign(admin: AdminClient) -> Iterator[list[AclBinding]]:
    """ACLs a test creates out of band; whatever apply did not delete is removed afterwards, so
    a wildcard never outlives the test on the shared broker."""
    made: list[AclBinding] = []
    yield made
    if made:
        _wait(admin.delete_acls([AclBindingFilter(*_filter_args(b)) for b in made]))


def _filter_args(b: AclBinding) -> tuple:
    return (b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type)


def test_foreign_acls_are_reported_planned_and_deleted(
    workdir: Path, prefix: str, admin: AdminClient, foreign: list[AclBinding]
) -> None:
    p = prefix
    files = mesh.mesh_files(p)
    # A lag exporter's ACLs are the platform's business, not an escalation: declared as such.
    files["main.hcl"] = files["main.hcl"].replace(
        'request_timeout = "20s"', f'request_timeout = "20s"\n  keep_acls_of = ["User:{p}exporter"]'
    )
    write_mesh(workdir, files)
    _apply()
    orders, customers, refunds = (f"{p}commerce.{p}sales.{n}.v1" for n in ("orders", "customers", "refunds"))
    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    literal, prefixed = ResourcePatternType.LITERAL, ResourcePatternType.PREFIXED
    read, write, all_ = AclOperation.READ, AclOperation.WRITE, AclOperation.ALL
    foreign += [
        _acl(f"User:{p}mallory", topic, orders, literal, read),  # a stranger on a managed topic
        _acl(f"User:{p}mallory", topic, orders, literal, write),
        _acl(f"User:{p}eve", topic, f"{p}commerce.", prefixed, all_),  # a prefix covering a namespace
        _acl(f"User:{p}eve", group, f"{p}commerce.", prefixed, read),  # and its consumer groups
        _acl("User:*", topic, customers, literal, read),  # a wildcard principal
        _acl(f"User:{p}trudy", topic, "*", literal, read),  # a wildcard resource
        _acl(f"User:{p}mallory", topic, refunds, literal, read, host="10.1.2.3"),  # for one host only
        _acl(f"User:{p}marketing", topic, orders, literal, write),  # a managed principal writes another's topic
        _acl(f"User:{p}analytics", topic, f"{p}elsewhere", literal, write),  # a managed principal, anywhere
    ]
    kept = [
        _acl("User:admin", topic, f"{p}commerce.", prefixed, AclOperation.DESCRIBE),  # meshctl's own principal
        _acl(f"User:{p}mallory", topic, f"{p}unrelated", literal, read),  # nothing meshctl owns
        _acl(f"User:{p}exporter", group, "*", literal, AclOperation.DESCRIBE),  # kept by the configuration
        _acl(f"User:{p}exporter", topic, "*", literal, AclOperation.DESCRIBE),
    ]
    _wait(admin.create_acls(foreign + kept))
    foreign += kept  # removed after the test too
    scratch = f"{p}commerce.{p}sales.scratch"
    _wait(admin.create_topics([NewTopic(scratch, 1, 1)]))

    expected = {
        f"kafka_acl.{p}mallory/topic/{orders}",
        f"kafka_acl.{p}eve/topic/{p}commerce.*",
        f"kafka_acl.{p}eve/group/{p}commerce.*",
        f"kafka_acl.*/topic/{customers}",
        f"kafka_acl.{p}trudy/topic/*",
        f"kafka_acl.{p}mallory/topic/{refunds}@10.1.2.3",
        f"kafka_acl.{p}marketing/topic/{orders}",
        f"kafka_acl.{p}analytics/topic/{p}elsewhere",
    }

    # drift: every escalation, exit 2, text and JSON
    report = run("drift", "--json", ".")
    assert report.exit_code == 2
    doc = json.loads(report.stdout)
    unmanaged = {r["address"]: r for r in doc["resources"] if r["kind"] == "unmanaged"}
    # The wildcard ACL reaches other tests' namespaces too: only this mesh's view is checked.
    assert set(unmanaged) == expected | {f"kafka_topic.{scratch}"}
    assert unmanaged[f"kafka_acl.{p}mallory/topic/{orders}"]["domain"] == f"{p}sales"
    assert unmanaged[f"kafka_acl.{p}mallory/topic/{orders}"]["live"]["operations"] == ["READ", "WRITE"]
    assert unmanaged[f"kafka_acl.{p}eve/topic/{p}commerce.*"]["domain"] == f"{p}commerce"
    assert "not granted by the configuration" in unmanaged[f"kafka_acl.{p}trudy/topic/*"]["detail"]
    assert unmanaged[f"kafka_acl.{p}analytics/topic/{p}elsewhere"]["domain"] == f"{p}analytics"
    assert "left alone" in unmanaged[f"kafka_topic.{scratch}"]["detail"]
    text = run("drift", "--no-color", ".")
    assert text.exit_code == 2
    assert f"? kafka_acl.{p}mallory/topic/{orders}  # not granted by the configuration" in text.stdout
    assert "admin/" not in text.stdout and "unrelated" not in text.stdout

    # plan: the section, and a delete per foreign ACL, in text, JSON and Markdown
    code, out = _plan()
    assert code == 2
    assert "Unmanaged objects in managed namespaces:" in out
    assert out.index("Unmanaged objects in managed namespaces:") < out.index("meshctl will perform")
    for address in expected:
        assert f"- {address} # not granted by the configuration" in out
        assert f"# {address} will be destroyed" in out
    assert f'? kafka_topic.{scratch} # inside the namespace of domain "{p}sales"' in out
    assert f"Plan: 0 to add, 0 to change, {len(expected)} to destroy." in out
    assert "admin/" not in out and "unrelated" not in out and "exporter" not in out

    plan_doc = json.loads(run("plan", "--json", ".").stdout)
    deletes = {c["address"]: c for c in plan_doc["resource_changes"] if c["change"]["actions"] == ["delete"]}
    assert set(deletes) == expected
    hosted = deletes[f"kafka_acl.{p}mallory/topic/{refunds}@10.1.2.3"]
    assert hosted["change"]["before"]["host"] == "10.1.2.3" and hosted["change"]["after"] is None
    assert hosted["meshctl"]["reason"].startswith("not granted by the configuration")
    listed = {u["address"]: u["action"] for u in plan_doc["unmanaged"]}
    assert listed == {**dict.fromkeys(expected, "delete"), f"kafka_topic.{scratch}": "none"}

    md = run("plan", "--markdown", ".").stdout
    assert "#### Unmanaged objects in managed namespaces" in md
    assert f"| `kafka_acl.{p}eve/topic/{p}commerce.*` | {p}commerce | **delete** |" in md
    assert f"| `kafka_topic.{scratch}` | {p}sales | none |" in md

    # a domain's plan touches only what reaches nothing but its subtree
    scoped = json.loads(run("plan", "--json", "--domain", f"{p}analytics", ".").stdout)
    assert {c["address"] for c in scoped["resource_changes"] if c["change"]["actions"] == ["delete"]} == {
        f"kafka_acl.{p}analytics/topic/{p}elsewhere"
    }

    # apply deletes them; meshctl's own principal and unrelated ACLs stay, and so does the topic
    _apply()
    live = _all_acls(admin)
    kept_ids = {id(b) for b in kept}
    for b in foreign:
        row = (b.principal, b.host, b.restype.name, b.name, b.resource_pattern_type.name, b.operation.name)
        assert (row in live) == (id(b) in kept_ids), row
    assert scratch in kafkautil.topics(admin, p)
    code, out = _plan()
    assert code == 0, out
    assert out.startswith("No changes.") and f"kafka_topic.{scratch}" in out


def _scram(user: str, mechanism: ScramMechanism, password: str) -> UserScramCredentialUpsertion:
    return UserScramCredentialUpsertion(user, ScramCredentialInfo(mechanism, 8192), password.encode())


def test_scram_changed_out_of_band_is_reset(workdir: Path, prefix: str, admin: AdminClient, broker) -> None:  # type: ignore[no-untyped-def]
    p = prefix
    mesh.write(workdir, p)
    _apply()
    sales, analytics = f"{p}sales", f"{p}analytics"
    stored = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{sales}.properties")
    orders = f"{p}commerce.{p}sales.orders.v1"
    assert kafkautil.produce(stored, orders) is None

    # An admin sets another password on sales, and adds a SCRAM-SHA-256 credential to analytics.
    # Marketing's password changes too, but meshctl holds none for it any more (as for a principal
    # adopted with `import`): it cannot tell, so it must not reset a password clients may use.
    (workdir / ".meshctl" / "credentials" / f"{p}marketing.properties").unlink()
    _wait(
        admin.alter_user_scram_credentials(
            [
                _scram(sales, ScramMechanism.SCRAM_SHA_512, "chosen-by-someone-else"),
                _scram(analytics, ScramMechanism.SCRAM_SHA_256, "a-second-way-in"),
                _scram(f"{p}marketing", ScramMechanism.SCRAM_SHA_512, "known-to-marketing-only"),
            ]
        )
    )
    assert kafkautil.produce(stored, orders) is not None  # the stored password no longer works

    report = run("drift", "--json", ".")
    assert report.exit_code == 2
    changed = {r["address"]: r for r in json.loads(report.stdout)["resources"] if r["kind"] == "changed"}
    assert set(changed) == {f"kafka_scram_user.{sales}", f"kafka_scram_user.{analytics}"}
    assert changed[f"kafka_scram_user.{sales}"]["live"]["authenticates"] is False
    assert "no longer logs in" in changed[f"kafka_scram_user.{sales}"]["detail"]
    assert changed[f"kafka_scram_user.{analytics}"]["live"]["other_mechanisms"] == ["SCRAM-SHA-256"]
    text = run("drift", "--no-color", ".").stdout
    assert "Drift detected: 2 changed, 0 deleted, 0 unmanaged" in text
    assert "chosen-by-someone-else" not in text + report.stdout

    code, out = _plan()
    assert code == 2
    assert f"# kafka_scram_user.{sales} will be updated in-place" in out
    assert "the stored password no longer logs in (changed out of band): apply sets it again" in out
    assert "- authenticates = false" in out
    assert "a SCRAM-SHA-256 credential was added next to the managed one: apply removes it" in out
    assert '- other_mechanisms = ["SCRAM-SHA-256"]' in out
    doc = json.loads(run("plan", "--json", ".").stdout)
    updates = {c["address"] for c in doc["resource_changes"] if c["change"]["actions"] == ["update"]}
    assert updates == {f"kafka_scram_user.{sales}", f"kafka_scram_user.{analytics}"}
    md = run("plan", "--markdown", ".").stdout
    assert "- authenticates = false" in md and "other_mechanisms" in md
    debug = run("--debug", "drift", "--no-color", ".")  # librdkafka's and meshctl's logs too
    assert debug.exit_code == 2
    for output in (text, report.stdout, out, json.dumps(doc), md, debug.output):
        assert stored["sasl.password"] not in output and "chosen-by-someone-else" not in output

    _apply()
    assert kafkautil.produce(stored, orders) is None  # the stored password logs in again
    assert kafkautil.scram_users(admin)[analytics] == ["SCRAM_SHA_512"]
    assert _plan()[0] == 0

    # A store that cannot be read is one clear error, not a traceback.
    cred = workdir / ".meshctl" / "credentials" / f"{sales}.properties"
    cred.unlink()
    cred.mkdir()
    broken = run("plan", ".")
    assert broken.exit_code == 1
    assert f"error: cannot read the stored password of User:{sales} at " in broken.stderr
    assert "to check that it still logs in: [Errno 21] Is a directory" in broken.stderr
    assert "Traceback" not in broken.output


def test_attached_and_extra_iam_policies_are_removed(
    workdir: Path, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    write_mesh(workdir, {"main.hcl": AWS_MESH})
    _apply()
    iam = boto3.client("iam")
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    # moto serves AWS's own managed policies only when told to at start: the same policy, made here.
    admin_access = iam.create_policy(PolicyName="AdministratorAccess", PolicyDocument=json.dumps(everything))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName="mesh-sales", PolicyArn=admin_access)
    backdoor = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="mesh-sales", PolicyName="backdoor", PolicyDocument=json.dumps(backdoor))

    report = run("drift", "--json", ".")
    assert report.exit_code == 2
    changed = {r["address"]: r for r in json.loads(report.stdout)["resources"] if r["kind"] == "changed"}
    role = changed["aws_iam_role.sales"]
    assert role["live"]["attached_policies"] == [admin_access]
    assert set(role["live"]["inline_policies"]) == {"data", "backdoor"}
    assert "AdministratorAccess" in role["detail"]
    assert "aws_iam_role.sales" in run("drift", "--no-color", ".").stdout

    code, out = _plan()
    assert code == 2
    assert "# aws_iam_role.sales will be updated in-place" in out
    assert f"managed policies attached out of band ({admin_access}): apply detaches them" in out
    assert f'- attached_policies = ["{admin_access}"]' in out
    assert '- "backdoor" (policy removed)' in out
    doc = json.loads(run("plan", "--json", ".").stdout)
    [change] = [c for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert change["change"]["before"]["attached_policies"] == [admin_access]
    assert "attached_policies" not in change["change"]["after"]
    assert "AdministratorAccess" in run("plan", "--markdown", ".").stdout

    _apply()
    assert iam.list_attached_role_policies(RoleName="mesh-sales")["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName="mesh-sales")["PolicyNames"] == ["data"]
    assert _plan()[0] == 0
