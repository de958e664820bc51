"""Nothing holding data is deleted without an opt-in: delete and replace guards per type,
prevent_destroy (also after its block is removed), moves instead of delete + create, and
retirement of a version whose topic still holds records. Pure: no server involved."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from meshctl.address import Address
from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import stages
from meshctl.compile.protection import protect
from meshctl.compile.registry import compile_registry
from meshctl.config.loader import LoadOptions, load
from meshctl.engine.apply import apply_plan
from meshctl.errors import ConfigError, Diagnostics, SourceRange
from meshctl.mesh.model import MovedBlock
from meshctl.plan.diff import PlanOptions, diff, prevent_destroy_errors
from meshctl.plan.jsonformat import plan_from_json, plan_to_json
from meshctl.plan.migration import guard_retirement
from meshctl.plan.moves import resolve_moved
from meshctl.plan.observed import GroupLag
from meshctl.render.text import render_plan
from meshctl.resources import GUARDED_TYPES, Resource
from meshctl.state_model import ResourceState, State
from tests.helpers import write_mesh

# One object of every type: (type, name, attributes, an attribute change that forces a replace).
OBJECTS = {
    "kafka_topic": (
        "a.t.v1",
        {"name": "a.t.v1", "partitions": 3, "replication_factor": 1, "config": {}},
        {"replication_factor": 3},
    ),
    "schema_subject": (
        "a.t.v1-value",
        {"subject": "a.t.v1-value", "schema_type": "AVRO", "schema": "{}", "compatibility": "BACKWARD"},
        {"schema_type": "JSON"},
    ),
    "aws_s3_bucket": ("data", {"bucket": "acme-data", "tags": {}}, {"bucket": "acme-data-2"}),
    "aws_iam_role": ("reader", {"name": "acme-reader", "assume_role_policy": "{}"}, {"name": "acme-reader-2"}),
    "aws_glue_database": ("db", {"name": "acme_db", "parameters": {}}, {"name": "acme_db2"}),
    "aws_glue_table": ("t", {"database": "acme_db", "name": "orders"}, {"database": "other"}),
    "aws_secretsmanager_secret": ("s", {"name": "acme/s", "description": ""}, {"name": "acme/s2"}),
    "kafka_acl": (
        "User:b/topic/a.t.v1",
        {
            "principal": "User:b",
            "resource_type": "TOPIC",
            "resource_name": "a.t.v1",
            "pattern_type": "LITERAL",
            "host": "*",
            "operations": ["READ"],
        },
        {"principal": "User:c"},
    ),
    "kafka_scram_user": ("b", {"name": "b", "mechanism": "SCRAM-SHA-512", "iterations": 8192}, {}),
}
UNGUARDED = ("kafka_acl", "kafka_scram_user")


def _state(*resources: ResourceState) -> State:
    state = State(lineage="l", serial=3)
    for rs in resources:
        state.resources[rs.address] = rs
    return state


def _recorded(type_: str, module: str = "", protected_at: str = "", name: str = "") -> ResourceState:
    default_name, attrs, _ = OBJECTS[type_]
    return ResourceState(
        type_, name or default_name, attrs, f"resource.{type_}", module=module, protected_at=protected_at
    )


def test_every_type_that_holds_data_or_grants_access_is_guarded() -> None:
    assert set(GUARDED_TYPES) == set(OBJECTS) - set(UNGUARDED)


@pytest.mark.parametrize("type_", sorted(OBJECTS))
def test_delete_is_blocked_per_type_until_that_type_is_allowed(type_: str) -> None:
    rs = _recorded(type_)
    state, live = _state(rs), {rs.address: dict(rs.attributes)}
    (change,) = diff([], state, live).changes
    assert change.actions == ("delete",)
    if type_ in UNGUARDED:
        assert not change.blocked
        return
    assert f"--allow-delete {type_}" in change.blocked and change.opt_in == f"--allow-delete {type_}"
    assert f"meshctl state rm {rs.address}" in change.blocked
    other = next(t for t in GUARDED_TYPES if t != type_)
    assert diff([], state, live, PlanOptions(allow_delete=frozenset({other}))).changes[0].blocked
    assert not diff([], state, live, PlanOptions(allow_delete=frozenset({type_}))).changes[0].blocked
    assert not diff([], state, live, PlanOptions(allow_delete=frozenset({"all"}))).changes[0].blocked
    # --allow-delete-topics keeps meaning what it meant: topics, and only topics.
    assert bool(diff([], state, live, PlanOptions(allow_delete_data=True)).changes[0].blocked) == (
        type_ != "kafka_topic"
    )


@pytest.mark.parametrize("type_", sorted(set(OBJECTS) - {"kafka_scram_user"}))
def test_replace_is_blocked_per_type(type_: str) -> None:
    name, attrs, forcing = OBJECTS[type_]
    desired = Resource(type_, name, {**attrs, **forcing}, f"resource.{type_}")
    state = _state(ResourceState(type_, name, attrs, desired.source))
    live = {desired.address: dict(attrs)}
    (change,) = diff([desired], state, live).changes
    assert change.actions == ("delete", "create")
    assert bool(change.blocked) == (type_ not in UNGUARDED)
    if type_ in UNGUARDED:
        return
    assert "--allow-replace" in change.blocked
    assert not diff([desired], state, live, PlanOptions(allow_replace=True)).changes[0].blocked
    assert not diff([desired], state, live, PlanOptions(allow_delete=frozenset({type_}))).changes[0].blocked


def test_a_topic_delete_shows_the_records_it_holds() -> None:
    rs = _recorded("kafka_topic")
    plan = diff([], _state(rs), {rs.address: dict(rs.attributes)}, records={"a.t.v1": 42})
    assert "loses its records (42 records)" in plan.changes[0].blocked


# -- prevent_destroy ----------------------------------------------------------------------


@pytest.mark.parametrize("flags", [PlanOptions(), PlanOptions(True, True, True, frozenset({"all"}))])
def test_prevent_destroy_on_a_replace_is_an_error_no_flag_lifts(flags: PlanOptions) -> None:
    name, attrs, forcing = OBJECTS["aws_s3_bucket"]
    desired = Resource("aws_s3_bucket", name, {**attrs, **forcing}, "resource.x", protected_at="main.hcl:7")
    state = _state(ResourceState("aws_s3_bucket", name, attrs, desired.source))
    plan = diff([desired], state, {desired.address: dict(attrs)}, flags)
    (err,) = prevent_destroy_errors(plan)
    assert err.source == SourceRange("main.hcl", 7)
    assert err.format().startswith("main.hcl:7: error: aws_s3_bucket.data has prevent_destroy set")
    assert "replace" in err.summary


@pytest.mark.parametrize("type_", sorted(GUARDED_TYPES))
def test_removed_block_is_still_protected_by_state(type_: str) -> None:
    rs = _recorded(type_, protected_at="aws.hcl:12")
    plan = diff([], _state(rs), {rs.address: dict(rs.attributes)}, PlanOptions(allow_delete=frozenset({"all"})))
    (err,) = prevent_destroy_errors(plan)
    assert err.source == SourceRange("aws.hcl", 12)
    assert "gone from the configuration" in err.detail and "prevent_destroy = false" in err.hint


def test_protection_lifted_in_config_is_recorded_and_then_the_delete_is_only_guarded() -> None:
    rs = _recorded("aws_s3_bucket", protected_at="aws.hcl:12")
    desired = Resource("aws_s3_bucket", rs.name, rs.attributes, rs.source)  # prevent_destroy = false now
    plan = diff([desired], _state(rs), {rs.address: dict(rs.attributes)})
    assert plan.changes[0].is_noop and not plan.changes[0].protected_at and not prevent_destroy_errors(plan)


def test_state_keeps_prevent_destroy_across_a_write() -> None:
    state = _state(_recorded("aws_iam_role", protected_at="aws.hcl:3"), _recorded("aws_s3_bucket"))
    again = State.from_json(state.to_json(), "state.json")
    assert again.resources["aws_iam_role.reader"].protected_at == "aws.hcl:3"
    assert again.resources["aws_s3_bucket.data"].protected_at == ""
    written = {r["address"]: r for r in state.to_json()["resources"]}  # type: ignore[attr-defined]
    assert written["aws_iam_role.reader"]["prevent_destroy"] == "aws.hcl:3"
    assert "prevent_destroy" not in written["aws_s3_bucket.data"]  # unprotected: the document is unchanged


# -- moves --------------------------------------------------------------------------------


def _desired(type_: str, module: str = "", name: str = "", **changed: object) -> Resource:
    default_name, attrs, _ = OBJECTS[type_]
    return Resource(type_, name or default_name, {**attrs, **changed}, f"resource.{type_}", module=module)


MOVES = {
    "module rename": ("module.a", "module.b", "", ""),
    "for_each key change": ('module.base["x"]', 'module.base["y"]', "", ""),
    "resource for_each key change": ("", "", 'data["x"]', 'data["y"]'),
}


@pytest.mark.parametrize("case", sorted(MOVES))
@pytest.mark.parametrize("type_", sorted(OBJECTS))
def test_same_object_at_a_new_address_is_a_move(case: str, type_: str) -> None:
    old_module, new_module, old_name, new_name = MOVES[case]
    rs = _recorded(type_, old_module, name=old_name)
    new = _desired(type_, new_module, name=new_name)
    live = {rs.address: dict(rs.attributes), new.address: dict(rs.attributes)}
    plan = diff([new], _state(rs), live)
    (change,) = plan.changes
    assert (change.address, change.previous_address, change.actions) == (new.address, rs.address, ("no-op",))
    assert plan.has_changes and plan.moves == [change] and not plan.actionable


def test_a_move_combines_with_an_in_place_update() -> None:
    rs = _recorded("aws_iam_role", "module.a")
    new = _desired("aws_iam_role", "module.b", description="now described")
    plan = diff([new], _state(rs), {rs.address: dict(rs.attributes)})
    (change,) = plan.changes
    assert change.actions == ("update",) and change.previous_address == "module.a.aws_iam_role.reader"
    assert change.reason.startswith("moved from module.a.aws_iam_role.reader")


def test_different_identity_is_delete_and_create_unless_a_moved_block_says_so() -> None:
    rs = _recorded("aws_s3_bucket", "module.a")
    new = _desired("aws_s3_bucket", "module.b", bucket="acme-other")
    live = {rs.address: dict(rs.attributes)}
    plan = diff([new], _state(rs), live)
    assert sorted(c.actions for c in plan.changes) == [("create",), ("delete",)]
    assert next(c for c in plan.changes if c.is_delete).blocked
    moved = diff([new], _state(rs), live, moved={rs.address: new.address})
    (change,) = moved.changes
    assert change.is_replace and change.previous_address == rs.address and "--allow-replace" in change.blocked


def test_ambiguous_identities_are_not_guessed() -> None:
    rs = _recorded("aws_s3_bucket", "module.a")
    one, two = _desired("aws_s3_bucket", "module.b"), _desired("aws_s3_bucket", "module.c")
    plan = diff([one, two], _state(rs), {rs.address: dict(rs.attributes)})
    assert not plan.moves and any(c.is_delete and c.blocked for c in plan.changes)


def test_apply_of_a_move_rewrites_state_without_a_provider_call() -> None:
    rs = _recorded("aws_s3_bucket", "module.a", protected_at="a.hcl:1")
    new = _desired("aws_s3_bucket", "module.b")
    state = _state(rs)
    plan = diff([new], state, {rs.address: dict(rs.attributes)})
    writes: list[list[str]] = []
    result = apply_plan(plan, state, {}, lambda s: writes.append(sorted(s.resources)), _NoHooks())  # no providers
    assert result.ok and list(state.resources) == ["module.b.aws_s3_bucket.data"]
    assert state.resources["module.b.aws_s3_bucket.data"].attributes == rs.attributes
    assert writes == [["module.b.aws_s3_bucket.data"]]


class _NoHooks:
    def wave_started(self, verb, changes):  # type: ignore[no-untyped-def]
        raise AssertionError("a move calls no provider")

    def change_done(self, verb, change, result, elapsed_s):  # type: ignore[no-untyped-def]
        raise AssertionError("a move calls no provider")

    def change_skipped(self, change, because):  # type: ignore[no-untyped-def]
        raise AssertionError("a move skips nothing")


def test_a_move_is_rendered_and_survives_a_saved_plan() -> None:
    rs = _recorded("aws_iam_role", "module.a")
    plan = diff([_desired("aws_iam_role", "module.b")], _state(rs), {rs.address: dict(rs.attributes)})
    doc = plan_to_json(plan)
    entry = doc["resource_changes"][0]  # type: ignore[index]
    assert entry["previous_address"] == "module.a.aws_iam_role.reader" and doc["applyable"] is True
    text = render_plan(doc, False)
    assert "# module.a.aws_iam_role.reader has moved to module.b.aws_iam_role.reader" in text
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 1 to move." in text
    assert plan_from_json(doc).changes == plan.changes


def test_a_saved_plan_keeps_blocked_opt_in_and_protection() -> None:
    rs = _recorded("aws_glue_table", protected_at="")
    plan = diff([], _state(rs), {rs.address: dict(rs.attributes)})
    doc = plan_to_json(plan)
    meta = doc["resource_changes"][0]["meshctl"]  # type: ignore[index]
    assert meta["opt_in"] == "--allow-delete aws_glue_table" and "its table definition" in meta["blocked"]
    assert doc["applyable"] is False and doc["summary"]["blocked"] == 1  # type: ignore[index]
    assert plan_from_json(doc).changes == plan.changes


# -- moved blocks -------------------------------------------------------------------------


def _moved(pairs: list[tuple[str, str]], desired: set[str]) -> tuple[dict[str, str], list[str]]:
    diags = Diagnostics()
    blocks = [MovedBlock(a, b, SourceRange("m.hcl", i + 1), {}) for i, (a, b) in enumerate(pairs)]
    out = resolve_moved(blocks, {Address.parse(a) for a in desired}, diags)
    return out, [d.format() for d in diags.items]


RESOURCE_A, RESOURCE_B = "module.a.aws_iam_role.x", "module.b.aws_iam_role.x"
MOVED_CASES = {
    "plain": ([(RESOURCE_A, RESOURCE_B)], {RESOURCE_B}, {RESOURCE_A: RESOURCE_B}, ""),
    "chain": (
        [("aws_iam_role.a", "aws_iam_role.b"), ("aws_iam_role.b", "aws_iam_role.c")],
        {"aws_iam_role.c"},
        {"aws_iam_role.a": "aws_iam_role.c", "aws_iam_role.b": "aws_iam_role.c"},
        "",
    ),
    "whole module": (
        [("module.a", "module.b")],
        {RESOURCE_B, "module.b.aws_s3_bucket.d", "aws_s3_bucket.top"},
        {RESOURCE_A: RESOURCE_B, "module.a.aws_s3_bucket.d": "module.b.aws_s3_bucket.d"},
        "",
    ),
    "from still in config": ([(RESOURCE_A, RESOURCE_B)], {RESOURCE_A, RESOURCE_B}, {}, "m.hcl:1: error: moved: "),
    "to not in config": ([(RESOURCE_A, RESOURCE_B)], set(), {}, "is not in the configuration"),
    "cycle": ([("aws_iam_role.a", "aws_iam_role.b"), ("aws_iam_role.b", "aws_iam_role.a")], set(), {}, "cycle"),
    "two from": ([(RESOURCE_A, RESOURCE_B), (RESOURCE_A, "aws_iam_role.y")], {RESOURCE_B}, {}, "two moved blocks"),
    "two to": ([(RESOURCE_A, RESOURCE_B), ("aws_iam_role.z", RESOURCE_B)], {RESOURCE_B}, {}, "two moved blocks"),
    "type changes": ([("aws_iam_role.a", "aws_s3_bucket.a")], {"aws_s3_bucket.a"}, {}, "not the same kind"),
    "unknown type": ([("aws_lambda.a", "aws_iam_role.a")], {"aws_iam_role.a"}, {}, "is not a resource or module"),
    "same address": ([("aws_iam_role.a", "aws_iam_role.a")], {"aws_iam_role.a"}, {}, "the same address"),
    "module instances": (
        [('module.a["k"]', 'module.b["k"]')],
        {'module.b["k"].aws_iam_role.x', 'module.b["j"].aws_iam_role.x', "module.b.aws_iam_role.x"},
        {'module.a["k"].aws_iam_role.x': 'module.b["k"].aws_iam_role.x'},
        "",
    ),
    "nested module into the root's": (
        [("module.a.module.b", "module.c")],
        {'module.c.aws_iam_role.x["k"]'},
        {'module.a.module.b.aws_iam_role.x["k"]': 'module.c.aws_iam_role.x["k"]'},
        "",
    ),
    "escaped spelling": (
        [('module.a["\\u00e9"].aws_iam_role.x', 'aws_iam_role.y["\\u00e9"]')],
        {'aws_iam_role.y["é"]'},
        {'module.a["é"].aws_iam_role.x': 'aws_iam_role.y["é"]'},
        "",
    ),
    "two spellings of one from": (
        [('aws_iam_role.a["é"]', "aws_iam_role.b"), ('aws_iam_role.a["\\u00e9"]', "aws_iam_role.c")],
        {"aws_iam_role.b", "aws_iam_role.c"},
        {},
        "two moved blocks",
    ),
    "bad key": ([("module.a[x].aws_iam_role.x", RESOURCE_B)], {RESOURCE_B}, {}, "quoted key"),
    "module to resource": ([("module.a", RESOURCE_B)], {RESOURCE_B}, {}, "from is a module, to a aws_iam_role"),
}


@pytest.mark.parametrize("case", sorted(MOVED_CASES))
def test_moved_blocks(case: str) -> None:
    pairs, desired, expected, problem = MOVED_CASES[case]
    out, errors = _moved(pairs, desired)
    if problem:
        assert errors and any(problem in e for e in errors), errors
        assert all(e.startswith("m.hcl:") for e in errors)
    else:
        assert not errors and out == expected


MOVED_EXPRESSIONS = {
    "aws_iam_role.x": "aws_iam_role.x",
    "kafka_topic.sales.orders.v1": "kafka_topic.sales.orders.v1",  # a name with dots, written bare
    'module.a["k"].module.b.aws_s3_bucket.data["x"]': 'module.a["k"].module.b.aws_s3_bucket.data["x"]',
    "aws_s3_bucket.data[0]": 'aws_s3_bucket.data["0"]',
    'aws_s3_bucket.data["say \\"hi\\" \\u00e9"]': 'aws_s3_bucket.data["say \\"hi\\" é"]',
    'module.a["k"]': 'module.a["k"]',
    '"kafka_acl.User:x/topic/t"': "kafka_acl.User:x/topic/t",  # a string is taken as written
    '"not an address"': "not an address",  # ... and refused when the moves are resolved
    'upper("x")': None,
    'aws_s3_bucket.a.b["k"]': None,  # only an identifier takes a key
    'aws_s3_bucket["k"].data': None,
    'module.a["k"]["j"]': None,
    "module.a.module": None,
    "aws_s3_bucket.data[true]": None,
}


@pytest.mark.parametrize("expression", sorted(MOVED_EXPRESSIONS))
def test_a_moved_address_is_read_from_its_expression(expression: str) -> None:
    from meshctl.config.hcl import parse
    from meshctl.config.moved import address_text

    (attr,) = parse(f"from = {expression}\n", "m.hcl").attributes.values()
    assert address_text(attr.expr) == MOVED_EXPRESSIONS[expression]


def test_moved_blocks_are_read_as_written_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_mesh(
        tmp_path,
        {
            "main.hcl": """
            domain "sales" {
              owners { accountable = "s@acme.example" }
            }
            moved {
              from = module.a["k"].aws_iam_role.x
              to   = "kafka_acl.User:b/topic/t"
            }
            moved {
              from = upper("x")
              to   = aws_iam_role.y
            }
            moved {
              from = aws_iam_role.z
            }
            """
        },
    )
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, LoadOptions(env={}))
    text = exc.value.format()
    assert "main.hcl:9: error: moved.from must be a resource or module address" in text
    assert "main.hcl:12: error: missing required attribute 'to' in moved" in text
    (tmp_path / "main.hcl").write_text((tmp_path / "main.hcl").read_text().split("moved {\n  from = upper")[0])
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    (block,) = mesh.moved
    assert (block.from_, block.to, block.src.line) == ('module.a["k"].aws_iam_role.x', "kafka_acl.User:b/topic/t", 4)


# -- prevent_destroy in configuration ----------------------------------------------------------


PROTECTED = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema { file = "o.avsc" }
  lifecycle {
    prevent_destroy = true
  }
}
resource "aws_s3_bucket" "data" {
  bucket = "acme-sales-data"
  lifecycle {
    prevent_destroy = true
  }
}
resource "aws_iam_role" "open" {
  name               = "acme-open"
  assume_role_policy = { Version = "2012-10-17", Statement = [] }
}
"""


def test_prevent_destroy_marks_the_protected_resources_with_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_mesh(tmp_path, {"main.hcl": PROTECTED, "o.avsc": '{"type": "string"}'})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    from meshctl.compile.aws import compile_resources

    current = stages(mesh, date.today(), set())
    resources = protect(compile_kafka(mesh, current) + compile_registry(mesh, current) + compile_resources(mesh), mesh)
    marks = {r.address: r.protected_at for r in resources if r.protected_at}
    assert marks == {
        "kafka_topic.sales.orders.v1": "main.hcl:8",
        "schema_subject.sales.orders.v1-value": "main.hcl:8",
        "aws_s3_bucket.data": "main.hcl:14",
    }


def test_prevent_destroy_is_a_bool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_mesh(
        tmp_path,
        {
            "main.hcl": PROTECTED.replace(
                "prevent_destroy = true\n  }\n}\nresource", 'prevent_destroy = "x"\n  }\n}\nresource'
            )
        },
    )
    (tmp_path / "o.avsc").write_text('{"type": "string"}')
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, LoadOptions(env={}))
    assert "main.hcl:14: error: wrong type for 'prevent_destroy' in lifecycle" in exc.value.format()


# -- retirement ----------------------------------------------------------------------------


RETIRING = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
  schema { file = "o.avsc" }
}
data_product "orders" {
  domain  = "sales"
  version = 2
  schema { file = "o.avsc" }
  lifecycle {
    replaces = 1
    sunset   = "%s"
  }
}
"""

RETIRE_CASES = {
    # records on v1, consumer groups, options -> blocked?, a phrase of the reason
    "empty topic goes with its lifecycle": (0, [], PlanOptions(), ""),
    "records need the topic flag": (5, [], PlanOptions(), "still holds 5 records: pass --allow-delete kafka_topic"),
    "unknown count is treated as data": (None, [], PlanOptions(), "an unknown number of records"),
    "records with --allow-delete kafka_topic": (5, [], PlanOptions(allow_delete=frozenset({"kafka_topic"})), ""),
    "records with --allow-delete-topics": (5, [], PlanOptions(allow_delete_data=True), ""),
    "records with --allow-delete all": (5, [], PlanOptions(allow_delete=frozenset({"all"})), ""),
    "force-retire is not a data opt-in": (5, [], PlanOptions(force_retire=True), "--allow-delete kafka_topic"),
    "consumer groups need force": (0, ["sales.x"], PlanOptions(), "--force-retire"),
    "both reasons": (3, ["sales.x"], PlanOptions(), "3 records"),
    "forced and allowed": (3, ["sales.x"], PlanOptions(True, True, True), ""),
    # -refresh=false read no positions (None): unknown readers need the force too
    "positions not read": (0, None, PlanOptions(), "consumer positions were not read (-refresh=false)"),
    "positions not read, forced": (0, None, PlanOptions(force_retire=True), ""),
}


@pytest.mark.parametrize("case", sorted(RETIRE_CASES))
def test_retirement_of_a_version_with_records_needs_the_topic_opt_in(tmp_path: Path, case: str) -> None:
    held, groups, options, phrase = RETIRE_CASES[case]
    sunset = date.today() - timedelta(days=1)
    write_mesh(tmp_path, {"main.hcl": RETIRING % sunset.isoformat(), "o.avsc": '{"type": "string"}'})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    live = stages(mesh, date.today(), set())
    everything = compile_kafka(mesh, live) + compile_registry(mesh, live)
    state = _state(*(ResourceState(r.type, r.name, r.attributes, r.source) for r in everything))
    actual = {r.address: dict(r.attributes) for r in everything}
    retiring = stages(mesh, date.today(), {"sales.orders.v1"})  # frozen by an earlier apply
    desired = compile_kafka(mesh, retiring) + compile_registry(mesh, retiring)
    records = {} if held is None else {"sales.orders.v1": held}
    plan = diff(desired, state, actual, options, records=records)
    positions = {"sales.orders.v1": tuple(GroupLag(g, 0) for g in groups or [])}
    plan = guard_retirement(plan, mesh, retiring, positions, options, records, groups is not None)
    topic = next(c for c in plan.changes if c.address == "kafka_topic.sales.orders.v1")
    subject = next(c for c in plan.changes if c.address == "schema_subject.sales.orders.v1-value")
    assert topic.is_delete and topic.retire and subject.is_delete and not subject.retire
    assert topic.blocked == subject.blocked  # the version's subjects go with its topic, or neither goes
    if phrase:
        assert phrase in topic.blocked, topic.blocked
    else:
        assert not topic.blocked


def test_markdown_calls_out_every_guarded_delete_and_lists_moves() -> None:
    from meshctl.render.markdown import render_markdown

    bucket, role = _recorded("aws_s3_bucket"), _recorded("aws_iam_role", "module.a")
    state = _state(bucket, role)
    live = {a: dict(rs.attributes) for a, rs in state.resources.items()}
    text = render_markdown(plan_to_json(diff([_desired("aws_iam_role", "module.b")], state, live)))
    assert "> - `aws_s3_bucket.data` is destroyed" in text and "--allow-delete aws_s3_bucket" in text
    assert "# module.a.aws_iam_role.reader has moved to module.b.aws_iam_role.reader" in text


def test_a_scoped_plan_sees_the_entry_a_chosen_resource_moves_from() -> None:
    from meshctl.plan.build import with_move_sources
    from meshctl.plan.scope import Scope, narrow

    old, other = _recorded("aws_s3_bucket", "module.a"), _recorded("aws_iam_role", "module.x")
    prior = _state(old, other)
    everything = [_desired("aws_s3_bucket", "module.b"), _desired("aws_iam_role", "module.x")]
    desired, scoped = narrow(everything, prior, Scope(targets=("module.b",)))
    assert [r.address for r in desired] == ["module.b.aws_s3_bucket.data"] and not scoped.resources
    scoped = with_move_sources(everything, desired, prior, scoped, {})
    assert list(scoped.resources) == ["module.a.aws_s3_bucket.data"]
    plan = diff(desired, scoped, {old.address: dict(old.attributes)})
    assert [(c.address, c.previous_address) for c in plan.changes] == [(desired[0].address, old.address)]


def test_retiring_a_protected_version_is_an_error_naming_its_lifecycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sunset = date.today() - timedelta(days=1)
    text = (RETIRING % sunset.isoformat()).replace(
        '  schema { file = "o.avsc" }\n}', '  schema { file = "o.avsc" }\n  lifecycle { prevent_destroy = true }\n}', 1
    )
    write_mesh(tmp_path, {"main.hcl": text, "o.avsc": '{"type": "string"}'})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    live = stages(mesh, date.today(), set())
    applied = protect(compile_kafka(mesh, live) + compile_registry(mesh, live), mesh)
    state = _state(
        *(ResourceState(r.type, r.name, r.attributes, r.source, protected_at=r.protected_at) for r in applied)
    )
    retiring = stages(mesh, date.today(), {"sales.orders.v1"})
    desired = protect(compile_kafka(mesh, retiring) + compile_registry(mesh, retiring), mesh)
    options = PlanOptions(True, True, True, frozenset({"all"}))
    plan = diff(desired, state, {r.address: dict(r.attributes) for r in applied}, options, records={})
    plan = guard_retirement(plan, mesh, retiring, {}, options, {"sales.orders.v1": 0})
    errors = prevent_destroy_errors(plan, frozenset({"data_product.sales.orders.v1"}))
    assert sorted(str(e.source) for e in errors) == ["main.hcl:8", "main.hcl:8"]  # the topic and its subject
    assert all("past its sunset" in e.detail for e in errors)


@pytest.mark.parametrize("type_", ["kafka_topic", "kafka_acl", "kafka_scram_user", "schema_subject"])
def test_an_explicit_move_to_another_named_object_is_a_replace(type_: str) -> None:
    rs = _recorded(type_, name="old")
    ident = {"kafka_acl": "resource_name", "schema_subject": "subject"}.get(type_, "name")
    _, attrs, _ = OBJECTS[type_]
    new = Resource(type_, "new", {**attrs, ident: "other"}, f"resource.{type_}")
    plan = diff([new], _state(rs), {rs.address: dict(rs.attributes)}, moved={rs.address: new.address})
    (change,) = plan.changes
    assert change.is_replace and change.previous_address == rs.address
    assert f"another {type_} ({ident} differs)" in change.reason
    assert bool(change.blocked) == (type_ in GUARDED_TYPES)


def test_topics_at_stake_are_those_a_plan_may_delete_or_replace() -> None:
    from meshctl.plan.diff import topics_at_stake

    gone, kept, shrunk = (_recorded("kafka_topic", name=n) for n in ("gone", "kept", "shrunk"))
    state = _state(gone, kept, shrunk, _recorded("aws_s3_bucket"))
    live = {a: {**dict(rs.attributes), "name": rs.name} for a, rs in state.resources.items()}
    _, attrs, _ = OBJECTS["kafka_topic"]
    desired = [
        Resource("kafka_topic", "kept", {**attrs, "name": "kept"}, "p"),
        Resource("kafka_topic", "shrunk", {**attrs, "name": "shrunk", "partitions": 1}, "p"),
        Resource("kafka_topic", "new", {**attrs, "name": "new"}, "p"),
    ]
    assert topics_at_stake(desired, state, live) == {"gone": 3, "shrunk": 3}
