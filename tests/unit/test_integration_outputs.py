"""Integration outputs without servers: the `output` block and its diagnostics, what it
compiles to (a managed topic and a LITERAL WRITE instead of the PREFIXED one), the delete
guards on its topic, what the plan lists as unmanaged under the namespace, and the s3-sink
module's dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.engine.run import compile_desired
from meshctl.errors import ConfigError
from meshctl.mesh.capacity import replication_errors
from meshctl.plan.build import Desired, build_plan
from meshctl.plan.diff import PlanOptions
from meshctl.plan.model import CREATE, DELETE, NOOP, Plan
from meshctl.plan.observed import Observed
from meshctl.state_model import ResourceState, State
from tests.helpers import write_mesh as _write_flat


def write_mesh(directory: Path, files: dict[str, str]) -> Path:
    """tests.helpers.write_mesh, with module folders."""
    for name in files:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
    return _write_flat(directory, files)


TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # diagnostics show paths relative to here


VENDOR = {"vendor/main.hcl": 'variable "integration" {}\n'}
MESH = """
domain "commerce" {
  owners { accountable = "c@acme.example" }
  policy {
    min_replication_factor = 1
    max_partitions         = 6
    max_retention          = "3d"
  }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
"""
INTEGRATION = """
integration "cdc" {
  domain = "sales"
  vendor = "debezium"
  source = "./vendor"
%s}
"""
TWO_OUTPUTS = """  output "changes" {
    partitions  = 3
    config      = { "retention.ms" = "3600000" }
    description = "row changes of the shop database"
  }
  output "heartbeats" {}
"""
CHANGES = "kafka_topic.commerce.sales.cdc.changes"
HEARTBEATS = "kafka_topic.commerce.sales.cdc.heartbeats"
PREFIXED = "kafka_acl.sales-cdc/topic/commerce.sales.cdc.*"


def _load(directory: Path, outputs: str, files: dict[str, str] | None = None) -> LoadedConfig:
    write_mesh(directory, {"main.hcl": MESH + INTEGRATION % outputs, **VENDOR, **(files or {})})
    return load(directory, LoadOptions(env={}))


def _error(directory: Path, outputs: str, files: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        _load(directory, outputs, files)
    return info.value.format()


def _desired(directory: Path, outputs: str, files: dict[str, str] | None = None) -> Desired:
    return compile_desired(_load(directory, outputs, files), State(), TODAY)


def _by_address(desired: Desired) -> dict[str, dict[str, object]]:
    return {r.address: dict(r.attributes) for r in desired.resources}


# -- the block and its diagnostics ------------------------------------------------------------

OUTPUT_ERRORS = {
    "a name Kafka's NAME_RE refuses": (
        '  output "Changes" {}\n',
        'main.hcl:21: error: invalid output name "Changes"',
    ),
    "two outputs of one name": (
        '  output "changes" {}\n  output "changes" {\n    partitions = 2\n  }\n',
        'main.hcl:22: error: duplicate output "changes" of integration "cdc"',
    ),
    "partitions over the domain's maximum": (
        '  output "changes" {\n    partitions = 12\n  }\n',
        "main.hcl:22: error: partitions 12 is over the maximum 6",
    ),
    "replication under the inherited minimum": (
        '  output "changes" {\n    replication_factor = 0\n  }\n',
        "main.hcl:22: error: replication_factor must be a whole number of at least 1",
    ),
    "retention over the cap": (
        '  output "changes" {\n    config = { "retention.ms" = "-1" }\n  }\n',
        "main.hcl:22: error: retention.ms infinite is over the maximum retention 3d",
    ),
    "an attribute outputs do not have": (
        '  output "changes" {\n    name = "elsewhere"\n  }\n',
        "main.hcl:22: error: unknown attribute 'name' in output \"changes\"",
    ),
    "a topic name longer than Kafka takes": (
        f'  output "{"x" * 240}" {{}}\n',
        f'main.hcl:21: error: output "{"x" * 240}" of integration "cdc" would be a topic name of 259 characters',
    ),
}


@pytest.mark.parametrize("case", sorted(OUTPUT_ERRORS))
def test_output_diagnostics_name_the_line(case: str, tmp_path: Path) -> None:
    outputs, expected = OUTPUT_ERRORS[case]
    text = _error(tmp_path, outputs)
    assert expected in text, text
    assert text.count("error:") == 1, text


def test_policy_errors_on_an_output_say_who_set_the_policy(tmp_path: Path) -> None:
    text = _error(tmp_path, '  output "changes" {\n    partitions = 12\n  }\n')
    assert 'max_partitions = 6 is set by domain "commerce" at main.hcl:5' in text
    assert 'change integration.cdc.output "changes" to meet the policy' in text


def test_the_longest_topic_name_kafka_takes_is_accepted(tmp_path: Path) -> None:
    name = "x" * (249 - len("commerce.sales.cdc."))
    desired = _desired(tmp_path, f'  output "{name}" {{}}\n')
    assert f"kafka_topic.commerce.sales.cdc.{name}" in _by_address(desired)


def test_an_output_replicated_above_the_minimum_is_within_policy(tmp_path: Path) -> None:
    desired = _desired(tmp_path, '  output "changes" {\n    replication_factor = 3\n  }\n')
    assert _by_address(desired)[CHANGES]["replication_factor"] == 3


# -- compile -----------------------------------------------------------------------------------


def test_outputs_are_managed_topics_with_a_literal_write_each(tmp_path: Path) -> None:
    desired = _desired(tmp_path, TWO_OUTPUTS)
    res = _by_address(desired)
    assert res[CHANGES] == {
        "name": "commerce.sales.cdc.changes",
        "partitions": 3,
        "replication_factor": 1,  # the policy's minimum, as for products
        "config": {"cleanup.policy": "delete", "retention.ms": "3600000"},
    }
    # The events defaults; retention capped by the policy as for products.
    assert res[HEARTBEATS]["config"] == {"cleanup.policy": "delete", "retention.ms": str(3 * 24 * 3600 * 1000)}
    topics = {r.address: r for r in desired.resources if r.type == "kafka_topic"}
    assert topics[CHANGES].source == "integration.cdc" and topics[CHANGES].domain == "sales"
    acls = {r.address: r for r in desired.resources if r.type == "kafka_acl" and r.source == "integration.cdc"}
    assert sorted(acls) == [
        "kafka_acl.sales-cdc/group/grp.sales-cdc.*",
        "kafka_acl.sales-cdc/topic/commerce.sales.cdc.changes",
        "kafka_acl.sales-cdc/topic/commerce.sales.cdc.heartbeats",
    ]
    write = acls["kafka_acl.sales-cdc/topic/commerce.sales.cdc.changes"]
    assert dict(write.attributes) == {
        "principal": "User:sales-cdc",
        "resource_type": "TOPIC",
        "resource_name": "commerce.sales.cdc.changes",
        "pattern_type": "LITERAL",
        "host": "*",
        "operations": ["DESCRIBE", "WRITE"],
    }
    assert set(write.depends_on) == {CHANGES, "kafka_scram_user.sales-cdc"} and write.domain == "sales"


def test_the_integration_principal_is_the_only_writer_of_its_outputs(tmp_path: Path) -> None:
    desired = _desired(tmp_path, TWO_OUTPUTS)
    writers = {
        str(r.attributes["principal"])
        for r in desired.resources
        if r.type == "kafka_acl"
        and "WRITE" in r.attributes["operations"]  # type: ignore[operator]
        and str(r.attributes["resource_name"]).startswith("commerce.sales.cdc")
    }
    assert writers == {"User:sales-cdc"}
    # Nobody else gets any ACL on them: grants name products, and an output is none.
    text = _error(
        tmp_path / "grant",
        TWO_OUTPUTS,
        {"grant.hcl": 'access "x" {\n  product  = "sales.cdc.changes"\n  consumer = "commerce"\n}\n'},
    )
    assert 'access "x" names an unknown data product "sales.cdc.changes"' in text


def test_without_outputs_the_prefixed_write_stays_exactly_as_before(tmp_path: Path) -> None:
    res = _by_address(_desired(tmp_path, ""))
    assert res[PREFIXED] == {
        "principal": "User:sales-cdc",
        "resource_type": "TOPIC",
        "resource_name": "commerce.sales.cdc.",
        "pattern_type": "PREFIXED",
        "host": "*",
        "operations": ["DESCRIBE", "WRITE"],
    }
    assert not [a for a in res if a.startswith("kafka_topic.commerce.sales.cdc")]


def test_the_example_mesh_compiles_its_integrations_unchanged() -> None:
    """No example integration declares outputs: each keeps its PREFIXED WRITE and gets no topic."""
    config = load(Path(__file__).parents[2] / "examples", LoadOptions(env={}, environment="dev"))
    desired = compile_desired(config, State(), TODAY)
    integrations = {i.address: i for i in config.mesh.integrations}
    assert integrations and not any(i.outputs for i in integrations.values())
    kafka = [r for r in desired.resources if r.source in integrations and r.type.startswith("kafka_")]
    assert not [r for r in kafka if r.type == "kafka_topic"]
    writes = sorted(
        (r.address, r.attributes["pattern_type"], tuple(r.attributes["operations"]))  # type: ignore[arg-type]
        for r in kafka
        if r.type == "kafka_acl" and "WRITE" in r.attributes["operations"]  # type: ignore[operator]
    )
    assert writes == [
        ("kafka_acl.analytics-archive/topic/analytics.archive.*", "PREFIXED", ("DESCRIBE", "WRITE")),
        ("kafka_acl.analytics-lake/topic/analytics.lake.*", "PREFIXED", ("DESCRIBE", "WRITE")),
        ("kafka_acl.analytics-snowflake/topic/analytics.snowflake.*", "PREFIXED", ("DESCRIBE", "WRITE")),
    ]


# -- the plan: adding outputs, guards on deleting them, what is unmanaged ----------------------


def _applied(desired: Desired) -> tuple[State, dict[str, dict[str, object]]]:
    """State and live objects as an apply of `desired` leaves them."""
    state, live = State(lineage="l", serial=3), {}
    for r in desired.resources:
        attrs = dict(r.attributes)
        state.resources[r.address] = ResourceState(
            r.type, r.name, attrs, r.source, r.depends_on, r.domain, r.module, r.protected_at
        )
        live[r.address] = dict(attrs)
    return state, live


def _plan(
    tmp_path: Path,
    applied: str,
    now: str,
    options: PlanOptions | None = None,
    records: dict[str, int] | None = None,
    extra_live: dict[str, dict[str, object]] | None = None,
) -> tuple[Plan, str]:
    prior, live = _applied(_desired(tmp_path / "applied", applied))
    live.update(extra_live or {})
    desired = replace(compile_desired(_load(tmp_path / "now", now), prior, TODAY), principal="meshctl")
    plan, diags = build_plan(desired, prior, Observed(live, None, records or {}), options or PlanOptions(), TODAY)
    return plan, "\n".join(d.format() for d in diags.items)


def _actions(plan: Plan) -> dict[str, tuple[str, ...]]:
    return {c.address: c.actions for c in plan.changes}


def test_adding_outputs_replaces_the_prefixed_write_by_literal_ones(tmp_path: Path) -> None:
    plan, errors = _plan(tmp_path, "", TWO_OUTPUTS)
    actions = _actions(plan)
    assert not errors
    assert actions[PREFIXED] == DELETE
    assert actions[CHANGES] == CREATE and actions[HEARTBEATS] == CREATE
    assert actions["kafka_acl.sales-cdc/topic/commerce.sales.cdc.changes"] == CREATE
    assert not [c for c in plan.changes if c.blocked]


def test_outputs_applied_as_configured_plan_nothing(tmp_path: Path) -> None:
    plan, errors = _plan(tmp_path, TWO_OUTPUTS, TWO_OUTPUTS)
    assert not errors and not plan.has_changes and not plan.unmanaged
    assert set(_actions(plan).values()) == {NOOP}


def test_removing_an_output_needs_the_topic_opt_in_and_shows_its_records(tmp_path: Path) -> None:
    only_changes = TWO_OUTPUTS.split('  output "heartbeats"')[0]
    plan, _ = _plan(tmp_path, TWO_OUTPUTS, only_changes, records={"commerce.sales.cdc.heartbeats": 7})
    (gone,) = [c for c in plan.changes if c.address == HEARTBEATS]
    assert gone.actions == DELETE and gone.holds_data
    assert "loses its records (7 records): pass --allow-delete kafka_topic" in gone.blocked
    acl = next(c for c in plan.changes if c.address == "kafka_acl.sales-cdc/topic/commerce.sales.cdc.heartbeats")
    assert acl.actions == DELETE and not acl.blocked
    allowed, _ = _plan(
        tmp_path / "allowed", TWO_OUTPUTS, only_changes, PlanOptions(allow_delete=frozenset({"kafka_topic"}))
    )
    assert not next(c for c in allowed.changes if c.address == HEARTBEATS).blocked


def test_removing_every_output_deletes_their_topics_only_with_the_opt_in(tmp_path: Path) -> None:
    plan, _ = _plan(tmp_path, TWO_OUTPUTS, "")
    actions = _actions(plan)
    assert actions[PREFIXED] == CREATE  # back to the namespace-wide write
    deleted = [c for c in plan.changes if c.type == "kafka_topic" and c.actions == DELETE]
    assert {c.address for c in deleted} == {CHANGES, HEARTBEATS}
    assert all("--allow-delete kafka_topic" in c.blocked for c in deleted)


def test_prevent_destroy_on_an_output_is_an_error_no_flag_lifts(tmp_path: Path) -> None:
    protected = TWO_OUTPUTS.replace(
        '  output "heartbeats" {}', '  output "heartbeats" {\n    lifecycle {\n      prevent_destroy = true\n    }\n  }'
    )
    desired = _desired(tmp_path / "d", protected)
    assert {r.address: r.protected_at for r in desired.resources if r.type == "kafka_topic" and r.protected_at} == {
        HEARTBEATS: "d/main.hcl:28"
    }
    plan, errors = _plan(tmp_path, protected, "", PlanOptions(True, True, True, frozenset({"all"})))
    assert f"main.hcl:28: error: {HEARTBEATS} has prevent_destroy set, but the plan would destroy it" in errors
    assert CHANGES not in errors


def test_undeclared_topics_under_the_namespace_are_listed_never_deleted(tmp_path: Path) -> None:
    stray = {
        "kafka_topic.commerce.sales.cdc.scratch": {"name": "commerce.sales.cdc.scratch", "partitions": 1},
        "kafka_topic.commerce.sales.tmp": {"name": "commerce.sales.tmp", "partitions": 1},
    }
    for outputs in (TWO_OUTPUTS, ""):
        plan, _ = _plan(tmp_path / str(len(outputs)), outputs, outputs, extra_live=stray)
        listed = {str(u["address"]): u for u in plan.unmanaged}
        assert set(listed) == set(stray)
        assert all(u["action"] == "none" and u["domain"] == "sales" for u in listed.values())
        assert listed["kafka_topic.commerce.sales.cdc.scratch"]["detail"] == (
            'inside the namespace of integration "cdc" of domain "sales" (commerce.sales.cdc.*); it holds data: '
            'left alone (declare it with an output block of integration "cdc" to manage it)'
        )
        assert listed["kafka_topic.commerce.sales.tmp"]["detail"].startswith(  # type: ignore[union-attr]
            'inside the namespace of domain "sales" (commerce.sales.*)'
        )
        assert not [c for c in plan.changes if c.address in stray]


def test_a_topic_made_out_of_band_then_declared_is_adopted_in_place(tmp_path: Path) -> None:
    live = {CHANGES: {"name": "commerce.sales.cdc.changes", "partitions": 3, "replication_factor": 1, "config": {}}}
    plan, _ = _plan(tmp_path, "", TWO_OUTPUTS, extra_live=live)
    assert _actions(plan)[CHANGES] != CREATE and "delete" not in _actions(plan)[CHANGES]


# -- modules: the s3-sink's dead-letter queue -----------------------------------------------------

SINK = """
aws {
  region        = "eu-west-1"
  account_id    = "123456789012"
  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
}
domain "commerce" {
  owners { accountable = "c@acme.example" }
}
domain "analytics" {
  parent = "commerce"
  owners { accountable = "a@acme.example" }
}
data_product "orders" {
  domain = "commerce"
}
access "a" {
  product  = "commerce.orders"
  consumer = "analytics"
}
integration "lake" {
  domain = "analytics"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["commerce.orders"]
%s  aws {
    trusted_principal = "arn:aws:iam::123456789012:role/connect-workers"
    external_id       = "ext"
  }
}
"""
DLQ = "kafka_topic.commerce.analytics.lake.dlq"


def _sink(directory: Path, inputs: str) -> LoadedConfig:
    write_mesh(directory, {"main.hcl": SINK % inputs})
    return load(directory, LoadOptions(env={}))


def _connector(config: LoadedConfig) -> dict[str, str]:
    (rendered,) = [o["connector_config"] for a, o in config.mesh.outputs.items() if "connector_config" in o]
    return dict(json.loads(str(rendered))["config"])


def test_the_s3_sinks_dead_letter_queue_is_a_managed_output(tmp_path: Path) -> None:
    config = _sink(tmp_path, "  inputs = { dead_letter_queue = true }\n")
    (lake,) = config.mesh.integrations
    assert [(o.name, o.module) for o in lake.outputs] == [("dlq", "module.integration_lake")]
    desired = compile_desired(config, State(), TODAY)
    res = _by_address(desired)
    assert res[DLQ]["partitions"] == 1 and res[DLQ]["config"]["cleanup.policy"] == "delete"  # type: ignore[index]
    acl = res["kafka_acl.analytics-lake/topic/commerce.analytics.lake.dlq"]
    assert (acl["pattern_type"], acl["operations"]) == ("LITERAL", ["DESCRIBE", "WRITE"])
    assert "kafka_acl.analytics-lake/topic/commerce.analytics.lake.*" not in res
    connector = _connector(config)
    # The connector writes exactly the topic meshctl manages, as the integration's principal.
    assert connector["errors.deadletterqueue.topic.name"] == res[DLQ]["name"]
    assert connector["errors.tolerance"] == "all"
    for client in ("consumer", "producer", "admin"):
        assert 'username=\\"analytics-lake\\"'.replace("\\", "") in connector[f"{client}.override.sasl.jaas.config"]


def test_without_a_dead_letter_queue_the_sink_is_as_before(tmp_path: Path) -> None:
    config = _sink(tmp_path, "")
    assert not config.mesh.integrations[0].outputs
    res = _by_address(compile_desired(config, State(), TODAY))
    assert DLQ not in res and "kafka_acl.analytics-lake/topic/commerce.analytics.lake.*" in res
    connector = _connector(config)
    assert not [k for k in connector if k.startswith(("errors.", "producer.", "admin."))]


def test_an_output_the_module_declares_too_is_a_duplicate_at_the_users_block(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _sink(tmp_path, '  inputs = { dead_letter_queue = true }\n  output "dlq" {}\n')
    text = info.value.format()
    assert 'main.hcl:26: error: output "dlq" of integration "lake" is declared by its module too' in text, text
    assert "module.integration_lake declares it at " in text and "s3-sink/main.hcl:" in text
    assert "hint: remove this output block" in text and text.count("error:") == 1


def test_a_module_output_is_checked_against_the_policy(tmp_path: Path) -> None:
    write_mesh(
        tmp_path,
        {
            "main.hcl": (SINK % "  inputs = { dead_letter_queue = true, dead_letter_queue_partitions = 9 }\n").replace(
                'domain "commerce" {\n', 'domain "commerce" {\n  policy { max_partitions = 4 }\n'
            )
        },
    )
    with pytest.raises(ConfigError) as info:
        load(tmp_path, LoadOptions(env={}))
    text = info.value.format()
    assert "s3-sink/main.hcl:" in text and "error: partitions 9 is over the maximum 4" in text


def test_integration_output_belongs_to_an_integrations_module(tmp_path: Path) -> None:
    files = {
        "main.hcl": 'domain "a" {\n  owners { accountable = "x" }\n}\nmodule "m" {\n  source = "./m"\n}\n',
        "m/main.hcl": 'integration_output "x" {}\n',
    }
    write_mesh(tmp_path, files)
    with pytest.raises(ConfigError) as info:
        load(tmp_path, LoadOptions(env={}))
    assert "m/main.hcl:1: error: module.m: integration_output belongs in a module used as an integration's source" in (
        info.value.format()
    )


def test_a_module_sees_the_integrations_output_topics(tmp_path: Path) -> None:
    files = {"vendor/main.hcl": 'variable "integration" {}\noutput "topics" {\n  value = var.integration.outputs\n}\n'}
    config = _load(tmp_path, TWO_OUTPUTS, files)
    (outputs,) = [o["topics"] for o in config.mesh.outputs.values() if "topics" in o]
    assert outputs == {"changes": "commerce.sales.cdc.changes", "heartbeats": "commerce.sales.cdc.heartbeats"}


@pytest.mark.parametrize("writes", ["cdc.changes", "cdc", "changes"])
def test_no_application_writes_an_integrations_output(tmp_path: Path, writes: str) -> None:
    """Applications write products of their own domain only, and an output is none: refused
    by the application rules as they are, with no rule of its own."""
    app = f'application "loader" {{\n  domain = "sales"\n  kind   = "producer"\n  writes = ["{writes}"]\n}}\n'
    text = _error(tmp_path, TWO_OUTPUTS, {"app.hcl": app})
    assert 'app.hcl:4: error: application "loader" writes' in text, text
    assert text.count("error:") == 1, text


def test_an_output_replicated_beyond_the_cluster_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = _load(tmp_path, '  output "changes" {\n    replication_factor = 3\n  }\n')
    desired = compile_desired(config, State(), TODAY)
    (err,) = replication_errors(list(desired.resources), 1, config.mesh)
    assert err.format().startswith("main.hcl:22: error: replication_factor 3 is more than the 1 broker(s)")
    assert "topic 'commerce.sales.cdc.changes'" in err.detail
