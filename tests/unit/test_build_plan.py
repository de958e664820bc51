"""The whole plan, without servers: build_plan(desired, prior, observed, options, today) is a
pure function, so every decision it makes is a row in a table here: create, update, replace
and delete; the guards on records, retirement and consumer positions; the registry's verdict
on a schema change; moves; protection; scope; and what no configuration declares."""

from __future__ import annotations

import builtins
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.engine.run import compile_desired
from meshctl.plan.build import Desired, build_plan, facts_wanted, scope_plan
from meshctl.plan.diff import PlanOptions
from meshctl.plan.jsonformat import plan_from_json, plan_to_json
from meshctl.plan.model import CREATE, DELETE, NOOP, REPLACE, UPDATE, Plan
from meshctl.plan.observed import GroupLag, Observed, SchemaVerdict
from meshctl.plan.scope import Scope
from meshctl.state_model import ResourceState, State
from tests.helpers import write_mesh

TODAY = date(2026, 6, 1)
SCHEMA = '{"type": "record", "name": "O", "fields": [{"name": "id", "type": "string"}]}'
ADDS_REQUIRED = (
    '{"type": "record", "name": "O", "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "int"}]}'
)
ADDS_OPTIONAL = (
    '{"type": "record", "name": "O", "fields": [{"name": "id", "type": "string"},'
    ' {"name": "n", "type": "int", "default": 0}]}'
)

DOMAINS = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
"""
ACCESS = """
access "a" {
  product  = "sales.orders"
  consumer = "analytics"
}
"""


def _product(partitions: int = 3, extra: str = "") -> str:
    return f"""
data_product "orders" {{
  domain  = "sales"
  version = 1
  schema {{ file = "o.avsc" }}
  topic {{
    partitions = {partitions}
{extra}  }}
}}
"""


BASE = DOMAINS + _product() + ACCESS
RETIRING = (
    DOMAINS
    + _product()
    + """
data_product "orders" {
  domain  = "sales"
  version = 2
  schema { file = "o.avsc" }
  lifecycle {
    replaces = 1
    sunset   = "2026-05-01"
  }
}
"""
    + ACCESS
)
MIGRATING = RETIRING.replace('sunset   = "2026-05-01"', 'sunset   = "2026-07-01"')
BUCKET = 'resource "aws_s3_bucket" "%s" {\n  bucket = "acme-data"\n}\n'
MOVED = "moved {\n  from = aws_s3_bucket.old\n  to   = aws_s3_bucket.data\n}\n"

T = "kafka_topic.sales.orders.v1"
S = "schema_subject.sales.orders.v1-value"
OWNER = "kafka_acl.sales/topic/sales.orders.v1"
GRANT = "kafka_acl.analytics/topic/sales.orders.v1"
STRANGER = "kafka_acl.stranger/topic/sales.orders.v1"
EVERYTHING = PlanOptions(True, True, True, frozenset({"all"}))


@dataclass(frozen=True)
class Case:
    config: str = BASE  # the configuration now
    applied: str | None = BASE  # the configuration last applied (None: nothing was)
    schema: str = SCHEMA  # the schema file now (the applied one is SCHEMA)
    state: Callable[[State], None] = lambda state: None  # edits to what state recorded
    live: Callable[[dict], None] = lambda live: None  # edits to what refresh saw
    records: Mapping[str, int] = field(default_factory=dict)
    positions: Mapping[str, tuple[GroupLag, ...]] = field(default_factory=dict)
    verdict: bool | None = None  # the registry's verdict on every schema the plan would register
    brokers: int | None = None
    options: PlanOptions = PlanOptions()
    principal: str = "meshctl"
    sensitive: tuple[tuple[str, str], ...] = ()
    # expected
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    blocked: Mapping[str, str] = field(default_factory=dict)  # address -> phrase ("": not blocked)
    reasons: Mapping[str, str] = field(default_factory=dict)  # address -> action_reason
    errors: tuple[str, ...] = ()  # phrases of the diagnostics (none when empty)
    absent: tuple[str, ...] = ()  # addresses the plan must not mention


def _set(address: str, **attrs: object) -> Callable[[dict], None]:
    return lambda live: live[address].update(attrs)


def _add(address: str, attrs: dict) -> Callable[[dict], None]:
    return lambda live: live.__setitem__(address, attrs)


def _protect(address: str) -> Callable[[State], None]:
    def edit(state: State) -> None:
        state.resources[address] = replace(state.resources[address], protected_at="main.hcl:9")

    return edit


def _retired(state: State) -> None:
    state.retired["sales.orders.v1"] = "2026-01-01"


CASES: dict[str, Case] = {
    # create, update, replace, delete
    "nothing applied: everything is created": Case(
        applied=None, actions={T: CREATE, S: CREATE, OWNER: CREATE, GRANT: CREATE, "kafka_scram_user.sales": CREATE}
    ),
    "applied as configured: nothing to do": Case(actions={T: NOOP, S: NOOP, OWNER: NOOP, GRANT: NOOP}),
    "more partitions: an update in place": Case(
        config=DOMAINS + _product(6) + ACCESS, actions={T: UPDATE}, blocked={T: ""}, reasons={T: ""}
    ),
    "a config change: an update in place": Case(
        config=DOMAINS + _product(3, '    config = { "retention.ms" = "1000" }\n') + ACCESS, actions={T: UPDATE}
    ),
    "fewer partitions: a replace that needs an opt-in": Case(
        config=DOMAINS + _product(1) + ACCESS,
        actions={T: REPLACE},
        blocked={T: "--allow-replace"},
        reasons={T: "replace_because_cannot_update"},
    ),
    "fewer partitions with --allow-replace": Case(
        config=DOMAINS + _product(1) + ACCESS,
        options=PlanOptions(allow_replace=True),
        actions={T: REPLACE},
        blocked={T: ""},
    ),
    "a product removed: topic and subject deletes are guarded, the grant's is not": Case(
        config=DOMAINS,
        records={"sales.orders.v1": 12},
        actions={T: DELETE, S: DELETE, GRANT: DELETE},
        blocked={T: "its records (12 records): pass --allow-delete kafka_topic", S: "--allow-delete schema_subject"},
        reasons={T: "delete_because_no_resource_config", GRANT: "delete_because_no_resource_config"},
    ),
    "a product removed, with a topic whose records were not counted": Case(
        config=DOMAINS, actions={T: DELETE}, blocked={T: "loses its records: pass --allow-delete kafka_topic"}
    ),
    "a product removed, topic deletes allowed": Case(
        config=DOMAINS,
        options=PlanOptions(allow_delete=frozenset({"kafka_topic"})),
        actions={T: DELETE, S: DELETE},
        blocked={T: "", S: "--allow-delete schema_subject"},
    ),
    "a product removed, every delete allowed": Case(config=DOMAINS, options=EVERYTHING, blocked={T: "", S: ""}),
    # retirement: records present, unknown, none; consumer positions
    "a retired version with an empty topic goes with its lifecycle": Case(
        config=RETIRING,
        applied=RETIRING,
        records={"sales.orders.v1": 0},
        actions={T: DELETE, S: DELETE},
        blocked={T: "", S: ""},
        reasons={T: "delete_because_retired", S: "delete_because_retired"},
    ),
    "a retired version whose topic holds records needs the topic opt-in": Case(
        config=RETIRING,
        applied=RETIRING,
        records={"sales.orders.v1": 5},
        blocked={T: "still holds 5 records: pass --allow-delete kafka_topic", S: "still holds 5 records"},
    ),
    "a retired version whose records are unknown counts as holding data": Case(
        config=RETIRING, applied=RETIRING, blocked={T: "an unknown number of records"}
    ),
    "a retired version still read by a consumer group needs --force-retire": Case(
        config=RETIRING,
        applied=RETIRING,
        records={"sales.orders.v1": 0},
        positions={"sales.orders.v1": (GroupLag("grp.analytics.etl", 3),)},
        blocked={T: "consumer groups still have committed offsets on it (grp.analytics.etl)"},
    ),
    "a retired version, forced and allowed": Case(
        config=RETIRING,
        applied=RETIRING,
        records={"sales.orders.v1": 5},
        positions={"sales.orders.v1": (GroupLag("grp.analytics.etl", 3),)},
        options=EVERYTHING,
        blocked={T: "", S: ""},
    ),
    # schema changes, judged by the registry
    "a breaking schema change is an error explained field by field": Case(
        schema=ADDS_REQUIRED,
        verdict=False,
        actions={S: UPDATE},
        errors=(
            "breaking schema change in data_product.sales.orders.v1",
            "subject sales.orders.v1-value: ",
            "version 2",
        ),
    ),
    "a schema change the registry accepts is an update": Case(schema=ADDS_OPTIONAL, verdict=True, actions={S: UPDATE}),
    # moves, protection, what may not be planned
    "a moved block moves the object: only state changes": Case(
        config=BASE + BUCKET % "data" + MOVED,
        applied=BASE + BUCKET % "old",
        actions={"aws_s3_bucket.data": NOOP},
        absent=("aws_s3_bucket.old",),
    ),
    "prevent_destroy recorded in state outlives its block": Case(
        config=DOMAINS, state=_protect(T), options=EVERYTHING, errors=("has prevent_destroy set",)
    ),
    "a retired version's name is never used again": Case(state=_retired, errors=("was retired on 2026-01-01",)),
    "the principal meshctl connects as is never managed": Case(
        principal="sales", errors=("which meshctl itself connects as",)
    ),
    "a sensitive value may not become an attribute": Case(
        sensitive=(("var.secret", "sales.orders.v1"),), errors=("would hold the value of the sensitive var.secret",)
    ),
    "more replicas than brokers": Case(
        config=DOMAINS + _product(3, "    replication_factor = 3\n") + ACCESS,
        brokers=1,
        errors=("replication_factor 3 is more than the 1 broker(s)",),
    ),
    "as many replicas as brokers": Case(
        config=DOMAINS + _product(3, "    replication_factor = 1\n") + ACCESS, brokers=1, actions={T: NOOP}
    ),
    # what nobody declared
    "an ACL nobody granted on a managed topic is deleted": Case(
        live=_add(
            STRANGER,
            {
                "principal": "User:stranger",
                "resource_type": "TOPIC",
                "resource_name": "sales.orders.v1",
                "pattern_type": "LITERAL",
                "host": "*",
                "operations": ["READ"],
            },
        ),
        actions={STRANGER: DELETE},
        reasons={STRANGER: "delete_because_not_granted"},
        blocked={STRANGER: ""},
    ),
    # scope
    "a target that matches nothing plans nothing": Case(
        config=DOMAINS + _product(1) + ACCESS,
        live=_add(
            STRANGER, {"principal": "User:stranger", "resource_type": "TOPIC", "resource_name": "sales.orders.v1"}
        ),
        options=PlanOptions(scope=Scope(targets=("kafka_topic.nothing",))),
        absent=(T, S, STRANGER),
    ),
    "a domain scope plans that domain only": Case(
        applied=None,
        options=PlanOptions(scope=Scope(domains=frozenset({"analytics"}))),
        actions={GRANT: CREATE, "kafka_scram_user.analytics": CREATE},
        absent=(T, S, OWNER, "kafka_scram_user.sales"),
    ),
}


def _config(directory: Path, text: str, schema: str):  # type: ignore[no-untyped-def]
    write_mesh(directory, {"main.hcl": text, "o.avsc": schema})
    return load(directory, LoadOptions(env={}))


def _applied(desired: Desired) -> tuple[State, dict[str, dict[str, object]]]:
    """State and live objects as an apply of `desired` leaves them."""
    state, live = State(lineage="l", serial=3), {}
    for r in desired.resources:
        attrs = dict(r.attributes)
        if r.type == "kafka_topic":
            attrs["replication_factor"] = attrs.get("replication_factor") or 1
        state.resources[r.address] = ResourceState(
            r.type, r.name, attrs, r.source, r.depends_on, r.domain, r.module, r.protected_at
        )
        live[r.address] = dict(attrs)
    return state, live


def _inputs(tmp_path: Path, case: Case) -> tuple[Desired, State, Observed]:
    prior, live = State(lineage="l", serial=3), {}
    if case.applied is not None:
        prior, live = _applied(compile_desired(_config(tmp_path / "applied", case.applied, SCHEMA), State(), TODAY))
    case.state(prior)
    case.live(live)
    desired = compile_desired(_config(tmp_path / "now", case.config, case.schema), prior, TODAY)
    desired = replace(desired, principal=case.principal, sensitive=case.sensitive)
    compatible = {}
    if case.verdict is not None:
        scoped, _ = scope_plan(desired, prior, case.options.scope)
        _, candidates = facts_wanted(scoped, live)
        assert candidates, "the case expects a schema for the registry to judge"
        compatible = {c: SchemaVerdict(case.verdict) for c in candidates}
    return desired, prior, Observed(live, case.brokers, case.records, case.positions, compatible)


def _plan(tmp_path: Path, case: Case) -> tuple[Plan, list[str]]:
    desired, prior, observed = _inputs(tmp_path, case)
    plan, diags = build_plan(desired, prior, observed, case.options, TODAY)
    return plan, [d.format() for d in diags.items]


@pytest.mark.parametrize("name", sorted(CASES))
def test_build_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    plan, errors = _plan(tmp_path, case)
    changes = {c.address: c for c in plan.changes}
    for address, actions in case.actions.items():
        assert address in changes and changes[address].actions == actions, (address, changes.get(address))
    for address, phrase in case.blocked.items():
        blocked = changes[address].blocked
        assert (phrase in blocked) if phrase else not blocked, (address, blocked)
    for address, reason in case.reasons.items():
        assert changes[address].action_reason == reason, (address, changes[address].action_reason)
    for address in case.absent:
        assert address not in changes and not any(u["address"] == address for u in plan.unmanaged)
    text = "\n".join(errors)
    assert bool(errors) == bool(case.errors), text
    assert all(phrase in text for phrase in case.errors), text
    if name == "applied as configured: nothing to do":
        assert not plan.has_changes and not plan.migrations and not plan.unmanaged
    if name == "a target that matches nothing plans nothing":
        assert plan.changes == [] and plan.migrations == [] and plan.unmanaged == []


def test_replace_paths_name_the_attributes_that_force_the_replace(tmp_path: Path) -> None:
    case = Case(config=DOMAINS + _product(1, "    replication_factor = 3\n") + ACCESS)
    plan, _ = _plan(tmp_path, case)
    (topic,) = [c for c in plan.changes if c.address == T]
    assert topic.replace_paths == (("partitions",), ("replication_factor",)) and topic.holds_data
    more = _plan(tmp_path / "more", Case(config=DOMAINS + _product(6, "    replication_factor = 3\n") + ACCESS))[0]
    assert next(c for c in more.changes if c.address == T).replace_paths == (("replication_factor",),)


def test_a_schema_change_carries_its_fields(tmp_path: Path) -> None:
    plan, _ = _plan(tmp_path, Case(schema=ADDS_OPTIONAL, verdict=True))
    (subject,) = [c for c in plan.changes if c.address == S]
    assert subject.schema_changes is not None
    assert [(s.effect, "n" in s.description) for s in subject.schema_changes] == [("added", True)]
    assert all(c.schema_changes is None for c in plan.changes if c.address != S)


def test_migrations_list_who_reads_which_version(tmp_path: Path) -> None:
    positions = {
        "sales.orders.v1": (GroupLag("grp.analytics.etl", 7),),
        "sales.orders.v2": (GroupLag("grp.analytics.etl", 0), GroupLag("grp.analytics.new", 2)),
    }
    plan, errors = _plan(tmp_path, Case(config=MIGRATING, applied=MIGRATING, positions=positions))
    assert not errors
    (migration,) = plan.migrations
    assert migration["from_version"] == 1 and migration["to_version"] == 2 and migration["stage"] == "migrating"
    assert migration["days_to_sunset"] == 30  # from the date given, not the clock
    assert migration["consumer_groups"] == [
        {"group": "grp.analytics.etl", "old_lag": 7, "new_lag": 0},
        {"group": "grp.analytics.new", "old_lag": None, "new_lag": 2},
    ]


def test_refresh_is_asked_for_the_facts_the_scope_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    desired, prior, observed = _inputs(tmp_path, Case(config=MIGRATING, applied=MIGRATING))
    everything, _ = scope_plan(desired, prior, Scope())
    assert everything.watched == ("sales.orders.v1", "sales.orders.v2") and everything.group_prefixes
    nothing, _ = scope_plan(desired, prior, Scope(targets=("kafka_topic.nothing",)))
    assert (nothing.resources, nothing.prior.resources, nothing.watched) == ([], {}, ())
    assert facts_wanted(nothing, {}) == ({}, [])
    v2, _ = scope_plan(desired, prior, Scope(targets=("data_product.sales.orders.v2",)))
    assert v2.watched == everything.watched  # a version's positions are read with its successor's
    # A plan may delete or replace only what it sees: those topics' records are counted.
    shrunk = Case(config=DOMAINS + _product(1) + ACCESS)
    desired, prior, observed = _inputs(tmp_path / "shrunk", shrunk)
    scoped, _ = scope_plan(desired, prior, Scope())
    assert facts_wanted(scoped, observed.live) == ({"sales.orders.v1": 3}, [])


def test_planning_reads_no_file_no_socket_and_no_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    case = CASES["a retired version still read by a consumer group needs --force-retire"]
    desired, prior, observed = _inputs(tmp_path, case)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("planning did I/O")

    with monkeypatch.context() as m:
        m.setattr(builtins, "open", refuse)
        m.setattr(socket, "socket", refuse)
        m.setattr(Path, "read_text", refuse)
        first, _ = build_plan(desired, prior, observed, case.options, TODAY)
        again, _ = build_plan(desired, prior, observed, case.options, TODAY)
    assert first == again
    later, _ = build_plan(desired, prior, observed, case.options, date(2026, 6, 11))
    assert later.changes == first.changes  # the date moves only what it dates


def test_a_plan_survives_its_json_form_with_everything_the_views_draw(tmp_path: Path) -> None:
    for name in ("fewer partitions: a replace that needs an opt-in", "a retired version, forced and allowed"):
        plan, _ = _plan(tmp_path / name[:5], CASES[name])
        assert plan_from_json(plan_to_json(plan)).changes == sorted(plan.changes, key=lambda c: c.address)
    plan, _ = _plan(tmp_path / "schema", Case(schema=ADDS_OPTIONAL, verdict=True))
    doc = plan_to_json(plan)
    (subject,) = [c for c in doc["resource_changes"] if c["address"] == S]  # type: ignore[union-attr]
    assert subject["meshctl"]["schema_changes"][0]["effect"] == "added"
    assert subject["meshctl"]["holds_data"] is True
    assert plan_from_json(doc).changes == sorted(plan.changes, key=lambda c: c.address)


def test_a_transitive_break_is_explained_against_the_version_it_breaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v3 reads v2's data but not v1's: refresh read every registered version for the planner."""
    monkeypatch.chdir(tmp_path)
    v1 = SCHEMA
    v2 = v1.replace("]}", ', {"name": "zip", "type": "string", "default": ""}]}')
    v3 = v1.replace("]}", ', {"name": "zip", "type": "string"}]}')
    config = (DOMAINS + _product() + ACCESS).replace(
        'schema { file = "o.avsc" }',
        'schema {\n    file          = "o.avsc"\n    compatibility = "BACKWARD_TRANSITIVE"\n  }',
    )
    prior, live = _applied(compile_desired(_config(tmp_path / "applied", config, v2), State(), TODAY))
    desired = compile_desired(_config(tmp_path / "now", config, v3), prior, TODAY)
    scoped, _ = scope_plan(desired, prior, Scope())
    _, (candidate,) = facts_wanted(scoped, live)
    assert candidate.transitive and candidate.compatibility == "BACKWARD_TRANSITIVE"
    verdict = SchemaVerdict(False, {1: v1, 2: v2})
    _, diags = build_plan(desired, prior, Observed(live, verdicts={candidate: verdict}), PlanOptions(), TODAY)
    (error,) = diags.items
    assert "field zip added: string (BACKWARD_TRANSITIVE (against version 1)" in error.detail, error.detail
    _, fine = build_plan(
        desired, prior, Observed(live, verdicts={candidate: SchemaVerdict(True)}), PlanOptions(), TODAY
    )
    assert not fine.items
