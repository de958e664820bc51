"""What meshctl writes at scale, in-process and without a broker: the state file after each
batch of apply, the JSON plan and the saved plan.

For a generated mesh (benchmarks.plan_scale.generate) it compiles the desired resources,
records them as an apply leaves them (the state of an applied mesh: 25,804 resources at
10,000 products) and plans against live objects equal to them, then measures:

- state writes: the indented encoder meshctl used before, one compact `json.dumps`, and the
  state file as written now (compact, one resource per line, each line encoded once per
  process): the first write of a run and a later one after one record changed;
- state reads of the old indented file and of the new one;
- `plan --json` and `plan --out` of a no-change plan and of a one-topic change, listed in
  full (as before, and with `--full`) and as now.

CPU seconds (time.process_time: steady on a busy machine) and wall seconds (fsync
included), medians of --repeat runs. Not a test.

    python -m benchmarks.write_scale [--sizes 1000,10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from benchmarks.plan_scale import generate
from meshctl.config.loader import LoadOptions, load
from meshctl.documents import atomic_write, read_json
from meshctl.engine.run import compile_desired
from meshctl.engine.walk import Walk
from meshctl.plan import planfile
from meshctl.plan.build import build_plan
from meshctl.plan.diff import PlanOptions
from meshctl.plan.jsonformat import plan_to_json
from meshctl.plan.model import Plan
from meshctl.plan.observed import Observed
from meshctl.plan.unchanged import listed
from meshctl.resources import RESOURCE_TYPES
from meshctl.state.local import LocalBackend
from meshctl.state_model import ResourceState, State

TODAY = date(2026, 12, 3)


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median CPU and wall seconds of `fn`."""
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def applied(products: int, work: Path) -> tuple[State, dict[str, dict[str, object]], Path]:
    """The state an apply of the generated mesh leaves, and live objects that match it."""
    mesh = work / f"mesh{products}"
    generate(mesh, products)
    desired = compile_desired(load(mesh, LoadOptions(env={})), State(), TODAY)
    state, live = State(lineage="bench", serial=3), {}
    for r in desired.resources:
        attrs = dict(r.attributes)
        if r.type == "kafka_topic":
            attrs["replication_factor"] = attrs.get("replication_factor") or 1
        state.resources[r.address] = ResourceState(
            r.type, r.name, attrs, r.source, r.depends_on, r.domain, r.module, r.protected_at
        )
        live[r.address] = dict(attrs)
    return state, live, mesh


def plan_of(mesh: Path, state: State, live: dict[str, dict[str, object]]) -> Plan:
    desired = compile_desired(load(mesh, LoadOptions(env={})), state, TODAY)
    plan, diags = build_plan(desired, state, Observed(live, brokers=1), PlanOptions(), TODAY)
    diags.raise_if_errors()
    return plan


def row(label: str, cpu_wall: tuple[float, float] | None, size: int | None = None) -> None:
    timing = f"{cpu_wall[0]:8.3f} s CPU {cpu_wall[1]:8.3f} s wall" if cpu_wall else " " * 34
    shown = "" if size is None else f"{size / 1e6:10.2f} MB" if size >= 100_000 else f"{size / 1e3:10.1f} kB"
    print(f"  {label:<58}{timing}{shown}")


def state_writes(state: State, out: Path, repeat: int) -> None:
    old, whole = out / "old.json", out / "compact.json"
    old_text = lambda: json.dumps(state.to_json(), indent=2) + "\n"  # noqa: E731  (meshctl before)
    row("write, indented (before)", measure(lambda: atomic_write(old, old_text(), 0o600), repeat), len(old_text()))
    compact = lambda: json.dumps(state.to_json(), separators=(",", ":")) + "\n"  # noqa: E731
    row("write, one compact json.dumps", measure(lambda: atomic_write(whole, compact(), 0o600), repeat), len(compact()))

    backend = LocalBackend(out / "new")
    firsts = []
    for _ in range(repeat):  # the first write of a run: every line encoded
        for rs in list(state.resources.values()):
            state.resources[rs.address] = ResourceState(
                rs.type, rs.name, rs.attributes, rs.source, rs.depends_on, rs.domain, rs.module, rs.protected_at
            )
        firsts.append(measure(lambda: backend.write(state), 1))
    first = (statistics.median(c for c, _ in firsts), statistics.median(w for _, w in firsts))
    size = backend.path.stat().st_size
    row("write, one line per resource (now): first of a run", first, size)

    addresses = sorted(state.resources)

    def one_changed() -> None:  # what apply does between two writes: records a change
        rs = state.resources[addresses[len(addresses) // 2]]
        state.resources[rs.address] = ResourceState(rs.type, rs.name, dict(rs.attributes), rs.source, rs.depends_on)
        backend.write(state)

    row("write, one line per resource (now): each later one", measure(one_changed, repeat), size)
    row("read, indented file (before)", measure(lambda: State.from_json(read_json(old).value, "old"), repeat))
    row("read, file written now", measure(lambda: State.from_json(read_json(backend.path).value, "new"), repeat))


def plan_outputs(label: str, plan: Plan, state: State, out: Path, repeat: int) -> None:
    full_doc, short_doc = plan_to_json(plan), plan_to_json(listed(plan, state))
    print(f"  {label}: {len(plan.changes)} entries, {len(plan.actionable)} changes")
    row("plan --json, every entry (before; now --full)", None, len(json.dumps(full_doc, indent=2)))
    row("plan --json (now)", None, len(json.dumps(short_doc, indent=2)))
    fp = planfile.Fingerprint({"main.hcl": "0" * 64}, "0" * 64)
    planfile.save(out / "full.plan", full_doc, fp, out, {})
    planfile.save(out / "short.plan", short_doc, fp, out, {})
    before = json.dumps(json.loads((out / "full.plan").read_text()), indent=2) + "\n"  # every entry, indented
    row("plan --out, every entry, indented (before)", None, len(before))
    row("plan --out --full (now: compact)", None, (out / "full.plan").stat().st_size)
    row("plan --out (now)", None, (out / "short.plan").stat().st_size)
    row(
        "JSON document + encode, every entry (before)",
        measure(lambda: json.dumps(plan_to_json(plan), indent=2), repeat),
    )
    row(
        "JSON document + encode (now)",
        measure(lambda: json.dumps(plan_to_json(listed(plan, state)), indent=2), repeat),
    )


def writes(plan: Plan) -> int:
    """The state writes of an apply of `plan` where everything succeeds (engine.apply: one per
    round and provider)."""
    walk, count = Walk(plan.changes), 0
    while (step := walk.next_round()) is not None:
        count += len({RESOURCE_TYPES[c.type].provider for c in step.changes})
        for c in step.changes:
            walk.finished(c.address, True)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meshctl-write-") as tmp:
        work = Path(tmp)
        for products in (int(s) for s in args.sizes.split(",")):
            state, live, mesh = applied(products, work)
            print(f"{products} products, {len(state.resources)} resources")
            out = work / f"out{products}"
            out.mkdir()
            state_writes(state, out, args.repeat)
            plan_outputs("no-change plan", plan_of(mesh, state, live), state, out, args.repeat)
            topic = next(a for a in sorted(live) if a.startswith("kafka_topic."))
            live[topic] = {**live[topic], "partitions": 0}  # fewer live partitions than configured: an update
            plan_outputs("one-topic change", plan_of(mesh, state, live), state, out, args.repeat)
            plan_outputs("apply from empty", plan_of(mesh, State(), {}), State(), out, args.repeat)
            print(f"  apply from empty: {writes(plan_of(mesh, State(), {}))} state writes (one per round and provider)")


if __name__ == "__main__":
    main()
