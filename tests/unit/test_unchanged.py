"""Unchanged resources in JSON plans and saved plans: left out unless `--full`, except those
apply reads (moves, records to update, links between changes), so a listed plan applies
exactly as the full one does."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from meshctl.engine.apply import ApplyResult, apply_plan
from meshctl.engine.walk import Walk
from meshctl.plan import planfile
from meshctl.plan.jsonformat import FORMAT_VERSION, plan_to_json
from meshctl.plan.model import CREATE, DELETE, NOOP, REPLACE, UPDATE, Plan, ResourceChange
from meshctl.plan.unchanged import links, listed, records_to_update
from meshctl.render.markdown import render_markdown
from meshctl.render.text import render_plan
from meshctl.state_model import ResourceState, State
from tests.fake_providers import FakeProvider


def _topic(name: str, actions: tuple[str, ...], *deps: str, **kw: object) -> ResourceChange:
    attrs = {"name": name, "partitions": 3}
    before = None if actions == CREATE else attrs
    after = None if actions == DELETE else ({**attrs, "partitions": 6} if actions == UPDATE else attrs)
    return ResourceChange(
        f"kafka_topic.{name}",
        "kafka_topic",
        name,
        f"data_product.{name}",
        actions,
        before,
        after,
        tuple(f"kafka_topic.{d}" for d in deps),
        domain="d",
        **kw,  # type: ignore[arg-type]
    )


def _record(c: ResourceChange, **changed: object) -> ResourceState:
    """State's record of `c` as an earlier apply left it (with `changed` fields other)."""
    fields: dict[str, object] = dict(
        type=c.type,
        name=c.name,
        attributes=dict(c.before or {}),
        source=c.source,
        depends_on=c.depends_on,
        domain=c.domain,
        module=c.module,
        protected_at=c.protected_at,
    )
    fields.update(changed)
    return ResourceState(**fields)  # type: ignore[arg-type]


def _state(changes: list[ResourceChange], *, skip: tuple[str, ...] = (), other: dict[str, dict] | None = None) -> State:
    state = State(lineage="L", serial=7)
    for c in changes:
        if c.actions == CREATE or c.address in skip:
            continue
        key = c.previous_address or c.address
        rs = _record(c, **(other or {}).get(c.address, {}))
        if c.previous_address:
            rs = ResourceState(rs.type, c.previous_address.split(".", 1)[1], rs.attributes, rs.source, domain=rs.domain)
        state.resources[key] = rs
    return state


def _mixed() -> tuple[Plan, State]:
    changes = [
        _topic("a", CREATE),
        _topic("same", NOOP),  # recorded as configured: left out
        _topic("adopted", NOOP),  # exists as configured, not in state yet: apply records it
        _topic("reowned", NOOP),  # its block changed: apply records the new source
        _topic("moved", NOOP, previous_address="kafka_topic.old"),  # a move: state is re-addressed
        _topic("link", NOOP, "a"),  # between two changes: b waits for a through it
        _topic("b", UPDATE, "link"),
        _topic("leaf", NOOP, "a"),  # depends on a change, nothing depends on it: left out
        _topic("root", NOOP),
        _topic("c", UPDATE, "root"),  # a change depends on root, root on none: left out
    ]
    state = _state(changes, skip=("kafka_topic.adopted",), other={"kafka_topic.reowned": {"source": "data_product.x"}})
    return Plan(changes=changes, state_serial=7, state_lineage="L"), state


def test_a_listed_plan_keeps_every_change_and_the_unchanged_resources_apply_reads() -> None:
    plan, state = _mixed()
    kept = [c.address for c in listed(plan, state).changes]
    assert kept == [
        "kafka_topic.a",
        "kafka_topic.adopted",
        "kafka_topic.reowned",
        "kafka_topic.moved",
        "kafka_topic.link",
        "kafka_topic.b",
        "kafka_topic.c",
    ]
    assert records_to_update(listed(plan, state), state) == records_to_update(plan, state)
    assert set(records_to_update(plan, state)) == {"kafka_topic.adopted", "kafka_topic.reowned", "kafka_topic.moved"}


def test_a_plan_that_changes_nothing_lists_nothing() -> None:
    changes = [_topic(f"t{i}", NOOP, *([f"t{i - 1}"] if i else [])) for i in range(50)]
    plan = Plan(changes=changes, state_serial=7, state_lineage="L")
    assert listed(plan, _state(changes)).changes == []
    assert listed(plan, _state(changes)).state_serial == 7


def test_a_plan_of_nothing_but_changes_is_listed_whole() -> None:
    plan = Plan(changes=[_topic("a", CREATE), _topic("b", CREATE, "a")])
    assert listed(plan, State()) is plan


def test_records_to_update_are_the_records_apply_wrote_before() -> None:
    """The rule apply always had: a fresh record of each unchanged resource, written when it
    differs from state's (attributes kept from state)."""
    plan, state = _mixed()
    plan.changes.append(_topic("guarded", NOOP))
    plan.changes.append(_topic("deps", NOOP, "a"))
    state.resources["kafka_topic.guarded"] = _record(plan.changes[-2], protected_at="main.hcl:3")
    state.resources["kafka_topic.deps"] = _record(plan.changes[-1], depends_on=())
    expected = {}
    for c in plan.changes:
        if not c.is_noop:
            continue
        known = state.resources.get(c.address) or state.resources.get(c.previous_address)
        attributes = dict(known.attributes) if known else dict(c.after or {})
        fresh = ResourceState(c.type, c.name, attributes, c.source, c.depends_on, c.domain, c.module, c.protected_at)
        if fresh != known:
            expected[c.address] = fresh
    assert records_to_update(plan, state) == expected
    assert {"kafka_topic.guarded", "kafka_topic.deps"} <= set(expected)


# -- the walk: a listed plan is applied in the same rounds, with the same failures and skips ------


def _rounds(changes: list[ResourceChange], failing: set[str]) -> list[tuple[object, ...]]:
    walk, out = Walk(changes), []
    while (step := walk.next_round()) is not None:
        out.append((step.verb, [c.address for c in step.changes], [(c.address, cause) for c, cause in step.skipped]))
        for c in step.changes:
            walk.finished(c.address, c.address not in failing)
    return out


@pytest.mark.parametrize("seed", range(300))
def test_a_listed_plan_walks_as_the_full_one(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 14)
    changes = []
    for i in range(n):
        deps = [f"t{j}" for j in range(i) if rng.random() < 0.3]
        actions = rng.choice([NOOP, NOOP, NOOP, CREATE, UPDATE, DELETE, REPLACE])
        changes.append(_topic(f"t{i}", actions, *deps))
    failing = {c.address for c in changes if not c.is_noop and rng.random() < 0.3}
    state = _state(changes)
    short = listed(Plan(changes=changes), state).changes
    assert _rounds(short, failing) == _rounds(changes, failing)
    assert {c.address for c in short} >= {c.address for c in changes if not c.is_noop}


def test_links_are_the_unchanged_resources_between_two_changes() -> None:
    changes = [
        _topic("a", DELETE),
        _topic("u1", NOOP, "a"),
        _topic("u2", NOOP, "u1"),
        _topic("b", CREATE, "u2"),
        _topic("side", NOOP, "u1"),  # below a change, no change above it
        _topic("top", NOOP, "b"),  # above b, but no change above it
    ]
    assert links(changes) == {"kafka_topic.u1", "kafka_topic.u2"}
    assert links([_topic("x", NOOP), _topic("y", NOOP, "x")]) == set()


# -- the JSON plan and the saved plan -------------------------------------------------------------


def test_the_json_plan_leaves_unchanged_resources_out_unless_asked() -> None:
    plan, state = _mixed()
    short, full = plan_to_json(listed(plan, state)), plan_to_json(plan)
    addresses = [c["address"] for c in short["resource_changes"]]
    assert "kafka_topic.same" not in addresses and "kafka_topic.leaf" not in addresses
    same = next(c for c in full["resource_changes"] if c["address"] == "kafka_topic.same")
    assert same["change"]["actions"] == ["no-op"]
    assert len(full["resource_changes"]) == len(plan.changes)
    # Still Terraform's shape, with the same summary and verdict
    for key in ("format_version", "applyable", "complete", "errored", "summary", "prior_state"):
        assert short[key] == full[key]  # type: ignore[literal-required]
    assert short["format_version"] == FORMAT_VERSION
    for c in short["resource_changes"]:
        assert {"address", "mode", "type", "name", "provider_name", "change"} <= set(c)
        assert {"actions", "before", "after"} <= set(c["change"])
    # The views never showed unchanged resources: they read the same either way
    assert render_plan(short, color=False) == render_plan(full, color=False)
    assert render_markdown(short) == render_markdown(full)


def _applied(plan: Plan, state: State, provider: FakeProvider) -> tuple[State, ApplyResult]:
    class Hooks:
        def wave_started(self, verb: str, changes: list[ResourceChange]) -> None: ...

        def change_done(self, verb: str, change: ResourceChange, result: object, elapsed_s: float) -> None: ...

        def change_skipped(self, change: ResourceChange, because: str) -> None: ...

    writes: list[str] = []
    result = apply_plan(
        plan, state, {"kafka": provider}, lambda s: writes.append(s.to_text()), Hooks(), records_to_update(plan, state)
    )
    return state, result


def _copy(state: State) -> State:
    return State.from_json(json.loads(state.to_text()), "state")


@pytest.mark.parametrize("failing", [set(), {"kafka_topic.a"}], ids=["all succeed", "a change fails"])
def test_a_listed_saved_plan_applies_as_the_full_one(tmp_path: Path, failing: set[str]) -> None:
    plan, state = _mixed()
    fp = planfile.Fingerprint({"main.hcl": "0" * 64}, "1" * 64)
    paths = {}
    for name, which in (("listed", listed(plan, state)), ("full", plan)):
        paths[name] = tmp_path / f"{name}.plan"
        planfile.save(paths[name], plan_to_json(which), fp, tmp_path, {})
    loaded = {name: planfile.load(path) for name, path in paths.items()}
    assert [c.address for c in loaded["listed"].plan.changes] == sorted(c.address for c in listed(plan, state).changes)
    assert (loaded["listed"].plan.state_serial, loaded["listed"].plan.state_lineage) == (7, "L")
    assert paths["listed"].stat().st_size < paths["full"].stat().st_size

    outcomes = {}
    for name, saved in loaded.items():
        provider = FakeProvider()
        provider.fail = dict.fromkeys(failing, "refused")
        after, result = _applied(saved.plan, _copy(state), provider)
        outcomes[name] = (after.to_json()["resources"], provider.batches, result.done, result.failed, result.skipped)
    assert outcomes["listed"] == outcomes["full"]
    if failing:  # b depends on a only through the unchanged link: skipped all the same
        assert outcomes["listed"][4] == {"kafka_topic.b": "kafka_topic.a failed"}


def test_a_saved_plan_is_compact_json(tmp_path: Path) -> None:
    plan, state = _mixed()
    path = tmp_path / "p.plan"
    planfile.save(path, plan_to_json(listed(plan, state)), planfile.Fingerprint({}, ""), tmp_path, {})
    text = path.read_text()
    assert "\n " not in text and text.count("\n") == 1
    assert replace(planfile.load(path).plan, changes=[]) == replace(listed(plan, state), changes=[])
