"""Escalation out of band, the pure parts: what meshctl owns, which live ACLs reach it, what
the plan deletes and lists, how it is explained and drawn; ACL listings grouped into
addresses that cannot hide one binding behind another."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.plan.drift import detect_drift
from meshctl.plan.jsonformat import plan_from_json, plan_to_json
from meshctl.plan.model import Plan, ResourceChange
from meshctl.plan.outside import NOT_GRANTED, Territory, claim, escalations, explain, outside, territory
from meshctl.providers.kafka.client import Acl
from meshctl.providers.kafka.provider import group_acls
from meshctl.render.markdown import render_markdown
from meshctl.render.text import render_plan
from meshctl.state_model import ResourceState, State
from tests.helpers import MINIMAL, write_mesh

NAMESPACES = {"commerce": "commerce.", "sales": "commerce.sales.", "analytics": "analytics."}
ORDERS = "commerce.sales.orders.v1"


def _acl(principal: str, name: str, pattern: str = "LITERAL", rtype: str = "TOPIC", host: str = "*", ops=("READ",)):  # type: ignore[no-untyped-def]
    return {
        "principal": principal,
        "resource_type": rtype,
        "resource_name": name,
        "pattern_type": pattern,
        "host": host,
        "operations": list(ops),
    }


def _territory(protected: tuple[str, ...] = ("User:meshctl",)) -> Territory:
    resources = [
        ("kafka_topic", {"name": ORDERS}, "sales"),
        ("kafka_topic", {"name": "legacy.orders"}, "sales"),  # a managed topic outside any namespace
        ("kafka_scram_user", {"name": "sales"}, "sales"),
        ("kafka_scram_user", {"name": "analytics-snowflake"}, "analytics"),
        ("kafka_acl", _acl("User:analytics", "grp.analytics.", "PREFIXED", "GROUP"), "analytics"),
    ]
    return territory(resources, NAMESPACES, protected)


@pytest.mark.parametrize(
    ("acl", "domains"),
    [
        (_acl("User:mallory", ORDERS), {"sales"}),  # a stranger on a managed topic
        (_acl("User:mallory", "legacy.orders"), {"sales"}),  # a managed topic anywhere
        (_acl("User:mallory", "commerce.sales.scratch"), {"sales"}),  # inside the deepest namespace
        (_acl("User:mallory", "commerce.", "PREFIXED"), {"commerce", "sales"}),  # a prefix over namespaces
        (_acl("User:mallory", "commerce.sales.ord", "PREFIXED"), {"sales"}),  # a prefix inside one
        (_acl("User:mallory", "comm", "PREFIXED"), {"commerce", "sales"}),
        (_acl("User:mallory", "*"), {"commerce", "sales", "analytics"}),  # the wildcard resource
        (_acl("User:*", ORDERS), {"sales"}),  # the wildcard principal
        (_acl("User:mallory", ORDERS, host="10.0.0.5"), {"sales"}),  # for one host
        (_acl("Group:ops", ORDERS), {"sales"}),  # another principal type
        (_acl("User:mallory", "grp.analytics.x", rtype="GROUP"), {"analytics"}),  # a managed group
        (_acl("User:mallory", "grp.", "PREFIXED", "GROUP"), {"analytics"}),
        (_acl("User:sales", "analytics.x.v1", ops=("WRITE",)), {"analytics"}),  # a managed principal elsewhere
        (_acl("User:sales", "unrelated"), {"sales"}),  # a managed principal, nothing meshctl owns
        (_acl("User:analytics-snowflake", "kafka-cluster", rtype="CLUSTER", ops=("ALTER",)), {"analytics"}),
    ],
)
def test_acls_that_reach_what_meshctl_owns(acl: dict, domains: set[str]) -> None:
    claimed = claim(_territory(), acl)
    assert claimed is not None
    assert claimed[0] == domains
    assert claimed[1].startswith(NOT_GRANTED + ": " + acl["principal"])


@pytest.mark.parametrize(
    "acl",
    [
        _acl("User:mallory", "unrelated"),  # nothing meshctl owns
        _acl("User:mallory", "commerce", "LITERAL"),  # not inside `commerce.`
        _acl("User:mallory", "commerce.sales.x", "PREFIXED", "TRANSACTIONAL_ID"),  # not a topic or group
        _acl("User:mallory", "kafka-cluster", rtype="CLUSTER", ops=("ALTER",)),  # a stranger's cluster right
        _acl("User:meshctl", "commerce.", "PREFIXED", ops=("ALL",)),  # meshctl's own principal
        _acl("User:meshctl", ORDERS),
    ],
)
def test_acls_left_alone(acl: dict) -> None:
    assert claim(_territory(), acl) is None


def test_outside_plans_deletes_and_lists_what_holds_data() -> None:
    t = _territory()
    live = {
        f"kafka_acl.sales/topic/{ORDERS}": _acl("User:sales", ORDERS, ops=("DESCRIBE", "WRITE")),  # managed
        f"kafka_acl.mallory/topic/{ORDERS}": _acl("User:mallory", ORDERS, ops=("READ", "WRITE")),
        "kafka_acl.eve/topic/commerce.*": _acl("User:eve", "commerce.", "PREFIXED", ops=("ALL",)),
        "kafka_acl.sales/topic/analytics.x.v1": _acl("User:sales", "analytics.x.v1", ops=("WRITE",)),
        "kafka_acl.meshctl/topic/commerce.*": _acl("User:meshctl", "commerce.", "PREFIXED"),
        f"kafka_topic.{ORDERS}": {"name": ORDERS, "partitions": 1, "replication_factor": 1},
        "kafka_topic.commerce.sales.scratch": {"name": "commerce.sales.scratch", "partitions": 1},
        "kafka_topic.elsewhere": {"name": "elsewhere", "partitions": 1},
        "schema_subject.analytics.x.v1-value": {"subject": "analytics.x.v1-value"},
    }
    known = {f"kafka_acl.sales/topic/{ORDERS}", f"kafka_topic.{ORDERS}"}
    deletes, found = outside(t, live, known)
    assert [(c.address, c.actions, c.domain, c.source) for c in deletes] == [
        ("kafka_acl.eve/topic/commerce.*", ("delete",), "commerce", "domain.commerce"),
        (f"kafka_acl.mallory/topic/{ORDERS}", ("delete",), "sales", "domain.sales"),
        ("kafka_acl.sales/topic/analytics.x.v1", ("delete",), "analytics", "domain.analytics"),
    ]
    mallory = deletes[1]
    assert mallory.before == live[f"kafka_acl.mallory/topic/{ORDERS}"] and mallory.after is None
    assert (
        mallory.reason
        == f"{NOT_GRANTED}: User:mallory READ, WRITE on topic '{ORDERS}', which reaches objects of domain \"sales\""
    )
    assert [(u.address, u.domain, u.deleted) for u in found] == [
        ("kafka_acl.eve/topic/commerce.*", "commerce", True),
        (f"kafka_acl.mallory/topic/{ORDERS}", "sales", True),
        ("kafka_acl.sales/topic/analytics.x.v1", "analytics", True),
        ("kafka_topic.commerce.sales.scratch", "sales", False),
        ("schema_subject.analytics.x.v1-value", "analytics", False),
    ]
    assert "left alone" in found[3].detail
    # A --domain plan deletes only what reaches nothing outside its subtree.
    deletes, found = outside(t, live, known, frozenset({"sales"}))
    assert [c.address for c in deletes] == [f"kafka_acl.mallory/topic/{ORDERS}"]
    assert [u.address for u in found] == [f"kafka_acl.mallory/topic/{ORDERS}", "kafka_topic.commerce.sales.scratch"]


def _user_change(before: dict, actions: tuple[str, ...] = ("update",)) -> ResourceChange:
    after = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    return ResourceChange("kafka_scram_user.sales", "kafka_scram_user", "sales", "domain.sales", actions, before, after)


def test_escalations_next_to_managed_resources_are_explained() -> None:
    base = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    assert escalations(base) == [] and explain(_user_change(base)).reason == ""
    changed = explain(_user_change({**base, "authenticates": False, "other_mechanisms": ["SCRAM-SHA-256"]}))
    assert changed.reason == (
        "the stored password no longer logs in (changed out of band): apply sets it again; "
        "a SCRAM-SHA-256 credential was added next to the managed one: apply removes it"
    )
    role = escalations({"name": "r", "attached_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]})
    assert role == [
        "managed policies attached out of band (arn:aws:iam::aws:policy/AdministratorAccess): apply detaches them"
    ]
    # A replace keeps its own reason: the escalation goes with the old object.
    replace = _user_change({**base, "authenticates": False}, ("delete", "create"))
    assert explain(replace) == replace


def test_group_acls_give_every_binding_its_own_address() -> None:
    def b(principal: str, name: str, pattern: str = "LITERAL", host: str = "*", op: str = "READ", perm: str = "ALLOW"):  # type: ignore[no-untyped-def]
        return Acl(principal, host, "GROUP", name, pattern, op, perm)

    groups = group_acls(
        [
            b("User:sales", "g*"),  # a LITERAL group named `g*` spells the PREFIXED `g`'s address
            b("User:sales", "g", "PREFIXED"),
            b("User:sales", "g", "PREFIXED", op="DESCRIBE"),
            b("User:sales", "h@10.0.0.1"),  # a group named `h@10.0.0.1`, any host
            b("User:sales", "h", host="10.0.0.1"),  # group `h` for one host
            b("Group:ops", "g", "PREFIXED"),
            b("User:ops", "g", "PREFIXED", perm="DENY"),  # takes access away: not listed
        ]
    )
    plain = {a: v for a, v in groups.items() if "#" not in a}
    assert plain["kafka_acl.sales/group/g*"] == {
        "principal": "User:sales",
        "resource_type": "GROUP",
        "resource_name": "g",
        "pattern_type": "PREFIXED",
        "host": "*",
        "operations": ["DESCRIBE", "READ"],
    }
    assert plain["kafka_acl.sales/group/h@10.0.0.1"]["host"] == "*"
    assert plain["kafka_acl.Group:ops/group/g*"]["principal"] == "Group:ops"
    suffixed = {(v["resource_name"], v["pattern_type"], v["host"]) for a, v in groups.items() if "#" in a}
    assert suffixed == {("g*", "LITERAL", "*"), ("h", "LITERAL", "10.0.0.1")}
    assert len(groups) == 5 and not any(v["principal"] == "User:ops" for v in groups.values())
    assert group_acls(list(reversed([b("User:sales", "g*"), b("User:sales", "g", "PREFIXED")]))) == group_acls(
        [b("User:sales", "g*"), b("User:sales", "g", "PREFIXED")]
    )  # the same addresses whatever order the broker lists them in


def _plan_with_unmanaged() -> Plan:
    t = _territory()
    live = {
        f"kafka_acl.mallory/topic/{ORDERS}": _acl("User:mallory", ORDERS),
        "kafka_topic.commerce.sales.scratch": {"name": "commerce.sales.scratch", "partitions": 1},
    }
    deletes, found = outside(t, live, set())
    return Plan(changes=deletes, unmanaged=[u.to_json() for u in found])


def test_unmanaged_objects_in_every_plan_rendering() -> None:
    plan = _plan_with_unmanaged()
    doc = plan_to_json(plan)
    assert doc["unmanaged"] == [
        {
            "address": f"kafka_acl.mallory/topic/{ORDERS}",
            "type": "kafka_acl",
            "domain": "sales",
            "detail": f"{NOT_GRANTED}: User:mallory READ on topic '{ORDERS}', which reaches objects of domain "
            '"sales"',
            "action": "delete",
            "live": _acl("User:mallory", ORDERS),
        },
        {
            "address": "kafka_topic.commerce.sales.scratch",
            "type": "kafka_topic",
            "domain": "sales",
            "detail": 'inside the namespace of domain "sales" (commerce.sales.*); it holds data: left alone',
            "action": "none",
            "live": {"name": "commerce.sales.scratch", "partitions": 1},
        },
    ]
    [change] = doc["resource_changes"]  # type: ignore[misc]
    assert change["change"]["actions"] == ["delete"] and change["meshctl"]["reason"].startswith(NOT_GRANTED)
    text = render_plan(doc, color=False)
    assert text.startswith(
        "Unmanaged objects in managed namespaces:\n"
        f"  - kafka_acl.mallory/topic/{ORDERS}  # {NOT_GRANTED}: User:mallory READ on topic '{ORDERS}'"
    )
    assert "  ? kafka_topic.commerce.sales.scratch  # inside the namespace" in text
    assert f"  # kafka_acl.mallory/topic/{ORDERS} will be destroyed" in text
    assert text.rstrip().endswith("Plan: 0 to add, 0 to change, 1 to destroy.")
    md = render_markdown(doc)
    assert "#### Unmanaged objects in managed namespaces" in md
    assert f"| `kafka_acl.mallory/topic/{ORDERS}` | sales | **delete** | {NOT_GRANTED}:" in md
    assert "| `kafka_topic.commerce.sales.scratch` | sales | none | inside the namespace" in md
    assert plan_from_json(doc).unmanaged == doc["unmanaged"]  # a saved plan keeps the section


def test_no_changes_still_lists_what_is_left_alone() -> None:
    live = {"kafka_topic.commerce.sales.scratch": {"name": "commerce.sales.scratch", "partitions": 1}}
    _, found = outside(_territory(), live, set())
    doc = plan_to_json(Plan(unmanaged=[u.to_json() for u in found]))
    text = render_plan(doc, color=False)
    assert text.startswith(
        "No changes. Your mesh matches the configuration.\n\nUnmanaged objects in managed namespaces:"
    )
    assert "| `kafka_topic.commerce.sales.scratch` | sales | none |" in render_markdown(doc)
    assert plan_to_json(Plan())["unmanaged"] == []
    assert render_plan(plan_to_json(Plan()), color=False) == "No changes. Your mesh matches the configuration.\n"


def test_drift_reports_escalations_with_the_plans_rules() -> None:
    state = State(lineage="l", serial=1)
    user = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192, "password": "sha256:x"}
    state.resources["kafka_scram_user.sales"] = ResourceState(
        "kafka_scram_user", "sales", user, "domain.sales", (), "sales"
    )
    live_user = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192, "authenticates": False}
    actual = {"kafka_scram_user.sales": live_user}
    inventory = {
        **actual,
        f"kafka_acl.mallory/topic/{ORDERS}": _acl("User:mallory", ORDERS),
        "kafka_acl.meshctl/topic/commerce.*": _acl("User:meshctl", "commerce.", "PREFIXED"),
        "kafka_acl.trudy/topic/*": _acl("User:trudy", "*"),
    }
    report = detect_drift(state, actual, inventory, NAMESPACES, set(state.resources), _territory())
    assert [(i.kind, i.address, i.domain) for i in report.items] == [
        ("changed", "kafka_scram_user.sales", "sales"),
        ("unmanaged", f"kafka_acl.mallory/topic/{ORDERS}", "sales"),
        ("unmanaged", "kafka_acl.trudy/topic/*", "commerce"),  # filed under the domain nearest the root
    ]
    assert report.items[0].detail.startswith("the stored password no longer logs in")
    assert report.items[1].detail.endswith("; `meshctl plan` deletes it")
    scoped = detect_drift(
        state, actual, inventory, NAMESPACES, set(state.resources), _territory(), frozenset({"sales"})
    )
    assert [i.address for i in scoped.items if i.kind == "unmanaged"] == [f"kafka_acl.mallory/topic/{ORDERS}"]


def test_keep_acls_of_takes_principals_only(tmp_path: Path) -> None:
    kafka = 'kafka {\n  keep_acls_of = ["User:lag-exporter", "connect"]\n}\n'
    write_mesh(tmp_path, {"main.hcl": kafka + MINIMAL})
    with pytest.raises(ConfigError) as info:
        load(tmp_path, LoadOptions(cache_dir=tmp_path / "cache"))
    assert "main.hcl:2: error: kafka.keep_acls_of: 'connect' is not a Kafka principal" in info.value.format()
    write_mesh(tmp_path, {"main.hcl": kafka.replace('"connect"', '"Group:connect"') + MINIMAL})
    assert load(tmp_path, LoadOptions(cache_dir=tmp_path / "cache")).mesh.kafka.keep_acls_of == (
        "User:lag-exporter",
        "Group:connect",
    )
