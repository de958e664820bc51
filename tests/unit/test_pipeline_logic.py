"""Pure logic behind pipelines and the drift cron: drift, discovery, scope, saved plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.hcl import parse
from meshctl.config.loader import LoadOptions, load
from meshctl.engine.discover import discover
from meshctl.plan.drift import detect_drift
from meshctl.plan.jsonformat import plan_from_json, plan_to_json
from meshctl.plan.model import Plan, ResourceChange
from meshctl.plan.planfile import Fingerprint, fingerprint
from meshctl.plan.scope import Scope, narrow, unmatched_targets
from meshctl.render.markdown import render_markdown
from meshctl.resources import Resource
from meshctl.state_model import ResourceState, State


def _topic(name: str, **config: str) -> dict:
    return {"name": name, "partitions": 1, "replication_factor": 1, "config": {"cleanup.policy": "delete", **config}}


def _state(*entries: tuple[str, str, dict, str]) -> State:
    state = State(lineage="l", serial=3)
    for type_, name, attrs, domain in entries:
        state.resources[f"{type_}.{name}"] = ResourceState(type_, name, attrs, f"x.{name}", (), domain)
    return state


def test_drift_changed_deleted_and_unmanaged() -> None:
    state = _state(
        ("kafka_topic", "c.s.a.v1", _topic("c.s.a.v1"), "s"),
        ("kafka_topic", "c.s.b.v1", _topic("c.s.b.v1"), "s"),
        (
            "kafka_scram_user",
            "s",
            {"name": "s", "mechanism": "SCRAM-SHA-512", "iterations": 8192, "password": "sha256:x"},
            "s",
        ),
    )
    actual = {
        "kafka_topic.c.s.a.v1": _topic("c.s.a.v1", **{"retention.ms": "1"}),
        "kafka_scram_user.s": {"name": "s", "mechanism": "SCRAM-SHA-512", "iterations": 8192},
    }
    inventory = {
        **actual,
        "kafka_topic.c.s.scratch": {"name": "c.s.scratch", "partitions": 1, "replication_factor": 1},
        "kafka_topic.other.topic": {"name": "other.topic", "partitions": 1, "replication_factor": 1},
        "kafka_acl.s/topic/other.topic": {
            "principal": "User:s",
            "resource_type": "TOPIC",
            "resource_name": "other.topic",
            "operations": ["READ"],
        },
        "kafka_acl.stranger/topic/c.s.a.v1": {
            "principal": "User:stranger",
            "resource_type": "TOPIC",
            "resource_name": "c.s.a.v1",
            "operations": ["READ"],
        },
    }
    report = detect_drift(state, actual, inventory, {"c": "c.", "s": "c.s."}, set(state.resources))
    kinds = [(i.kind, i.address, i.domain) for i in report.items]
    assert kinds == [
        ("changed", "kafka_topic.c.s.a.v1", "s"),
        ("deleted", "kafka_topic.c.s.b.v1", "s"),
        ("unmanaged", "kafka_acl.s/topic/other.topic", "s"),
        ("unmanaged", "kafka_acl.stranger/topic/c.s.a.v1", "s"),  # a stranger's access to a managed topic
        ("unmanaged", "kafka_topic.c.s.scratch", "s"),  # the deepest namespace wins
    ]
    assert report.managed == 3 and report.has_drift  # the user's password fingerprint is not drift


def test_no_drift_when_live_matches_state() -> None:
    state = _state(("kafka_topic", "c.a.v1", _topic("c.a.v1"), "c"))
    live = {"kafka_topic.c.a.v1": _topic("c.a.v1")}
    assert not detect_drift(state, live, live, {"c": "c."}, set(state.resources)).has_drift


def _inventory() -> dict[str, dict]:
    topics = {
        "retail.store.sales.v1": {"cleanup.policy": "delete", "retention.ms": "60000"},
        "retail.store.sales.v2": {"cleanup.policy": "delete"},
        "retail.prices.v1": {"cleanup.policy": "compact"},
        "retail.raw": {},
        "retail.weird.v1": {"cleanup.policy": "compact,delete"},
        "Bad.thing.v1": {},
    }
    inv: dict[str, dict] = {
        f"kafka_topic.{n}": {"name": n, "partitions": 2, "replication_factor": 1, "config": c}
        for n, c in topics.items()
    }
    inv["kafka_acl.finance/topic/retail.store.sales.v2"] = {
        "principal": "User:finance",
        "resource_type": "TOPIC",
        "resource_name": "retail.store.sales.v2",
        "operations": ["DESCRIBE", "READ"],
    }
    inv["kafka_acl.store/topic/retail.store.sales.v2"] = {
        "principal": "User:store",
        "resource_type": "TOPIC",
        "resource_name": "retail.store.sales.v2",
        "operations": ["DESCRIBE", "WRITE"],
    }
    return inv


def test_discover_writes_hcl_that_loads(tmp_path: Path) -> None:
    found = discover(_inventory())
    assert (found.domains, found.products, found.grants) == (3, 4, 1)  # retail, store, finance
    assert found.skipped == [
        "Bad.thing.v1: not named <domain path>.<product>.v<N>",
        "retail.raw: not named <domain path>.<product>.v<N>",
    ]
    for name, text in found.files.items():
        (tmp_path / name).write_text(text)
        parse(text, name)  # each file parses on its own
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    assert mesh.path("store") == "retail.store"
    prices = mesh.product("retail.prices")
    assert prices is not None and prices.kind == "fat_object" and "cleanup.policy" not in prices.topic.config
    assert [p.version for p in mesh.versions("store.sales")] == [1, 2]
    weird = mesh.product("retail.weird")
    assert weird is not None and weird.topic.config == {"cleanup.policy": "compact,delete"}
    assert mesh.access[0].consumer == "finance" and mesh.access[0].version == 2
    assert "# guessed: User:finance only reads" in found.files["domains.hcl"]
    assert "cleanup.policy = compact,delete is neither compact nor delete" in found.files["products.hcl"]


def test_discover_with_a_prefix() -> None:
    found = discover(_inventory(), "retail.store.")
    assert found.products == 2


def _resources() -> list[Resource]:
    return [
        Resource("kafka_scram_user", "a", {"name": "a"}, "domain.a", (), "a"),
        Resource("kafka_scram_user", "b", {"name": "b"}, "domain.b", (), "b"),
        Resource("kafka_topic", "a.t.v1", {"name": "a.t.v1"}, "data_product.a.t.v1", (), "a"),
        Resource(
            "kafka_acl", "b/topic/a.t.v1", {}, "access.b_reads_t", ("kafka_topic.a.t.v1", "kafka_scram_user.b"), "b"
        ),
    ]


@pytest.mark.parametrize(
    "scope, expected",
    [
        (Scope(), {"kafka_scram_user.a", "kafka_scram_user.b", "kafka_topic.a.t.v1", "kafka_acl.b/topic/a.t.v1"}),
        (Scope(domains=frozenset({"a"})), {"kafka_scram_user.a", "kafka_topic.a.t.v1"}),
        (
            Scope(targets=("access.b_reads_t",)),
            {"kafka_acl.b/topic/a.t.v1", "kafka_topic.a.t.v1", "kafka_scram_user.b"},
        ),
        (Scope(targets=("kafka_topic.a.t.v1",)), {"kafka_topic.a.t.v1"}),
        (Scope(targets=("data_product.a",)), {"kafka_topic.a.t.v1"}),
    ],
)
def test_scope(scope: Scope, expected: set[str]) -> None:
    prior = _state(("kafka_topic", "b.gone.v1", _topic("b.gone.v1"), "b"))
    desired, narrowed = narrow(_resources(), prior, scope)
    assert {r.address for r in desired} == expected
    assert ("kafka_topic.b.gone.v1" in narrowed.resources) == (scope.everything or "b" in scope.domains)


def _in_modules() -> list[Resource]:
    def bucket(module: str, name: str) -> Resource:
        return Resource("aws_s3_bucket", name, {}, f"{module}.resource.aws_s3_bucket.{name}", module=module)

    return [
        bucket('module.base["a"]', "data"),
        bucket('module.base["b"]', "data"),
        bucket("module.lake", 'logs["eu"]'),
        bucket("module.lake", 'logs["us"]'),
    ]


OLD = 'module.base["b"].aws_s3_bucket.old'  # in state only: gone from the configuration


@pytest.mark.parametrize(
    "target, expected",
    [
        ("module.base", ['module.base["a"].aws_s3_bucket.data', 'module.base["b"].aws_s3_bucket.data', OLD]),
        ('module.base["b"]', ['module.base["b"].aws_s3_bucket.data', OLD]),
        ('module.base["\\u0062"].aws_s3_bucket', ['module.base["b"].aws_s3_bucket.data', OLD]),
        (
            "module.lake.aws_s3_bucket.logs",
            ['module.lake.aws_s3_bucket.logs["eu"]', 'module.lake.aws_s3_bucket.logs["us"]'],
        ),
        ('module.lake.aws_s3_bucket.logs["us"]', ['module.lake.aws_s3_bucket.logs["us"]']),
        ('module.lake.resource.aws_s3_bucket.logs["eu"]', ['module.lake.aws_s3_bucket.logs["eu"]']),  # the block
        ("module.bas", []),
        ("module.lake.aws_s3_bucket.log", []),
        ('module.base["a"', []),  # no address, no block: nothing
    ],
)
def test_a_module_target_chooses_every_instance_inside_it(target: str, expected: list[str]) -> None:
    prior = State()
    prior.resources[OLD] = ResourceState("aws_s3_bucket", "old", {}, "x", module='module.base["b"]')
    desired, narrowed = narrow(_in_modules(), prior, Scope(targets=(target,)))
    assert [r.address for r in desired] + list(narrowed.resources) == expected
    assert bool(unmatched_targets(_in_modules(), prior, (target,))) == (not expected)


def test_fingerprint_names_what_changed() -> None:
    a = fingerprint({"a.hcl": "x", "b.hcl": "y"}, _resources())
    b = fingerprint({"a.hcl": "x2", "c.hcl": "z"}, _resources())
    assert a.differences(b) == ["a.hcl changed", "b.hcl was removed", "c.hcl was added"]
    c = fingerprint({"a.hcl": "x", "b.hcl": "y"}, _resources()[:2])
    assert a.differences(c) == ["variables or the environment give different resources"]
    assert a.differences(Fingerprint(dict(a.files), a.resources)) == []


def test_json_plan_round_trips() -> None:
    plan = Plan(
        changes=[
            ResourceChange(
                "kafka_topic.t",
                "kafka_topic",
                "t",
                "data_product.x.t.v1",
                ("delete", "create"),
                {"name": "t", "partitions": 3},
                {"name": "t", "partitions": 1},
                ("kafka_scram_user.x",),
                "fewer partitions",
                "needs --allow-replace",
                "x",
            ),
        ],
        forgotten=["kafka_acl.gone"],
        state_serial=4,
        state_lineage="abc",
    )
    assert plan_from_json(plan_to_json(plan)) == plan


def test_markdown_without_changes() -> None:
    assert (
        render_markdown(plan_to_json(Plan())) == "### meshctl plan: no changes\n\nThe mesh matches the configuration.\n"
    )
