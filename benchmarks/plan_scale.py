"""meshctl at scale, each measure next to its own floor, all taken in one run.

Every size (1,000, 5,000 and 10,000 products by default; add 25000 to --sizes) gets its own
empty one-node Kafka broker, started for it and stopped after it, so a size is never measured
against the topics of another. The generated mesh is applied once, then every measure is
taken --repeat times (median reported), each sample a fresh process, meshctl's run and its
floor's run interleaved so that a noisy moment hits both:

* no-change `meshctl plan`, COLD: a parse cache directory (MESHCTL_CACHE_DIR) that is empty;
  its floor: one Python process that imports the Kafka client and python-hcl2, parses every
  file of the mesh with python-hcl2, and makes the batched reads of the same objects
  (DescribeConfigs of every topic in one request, the metadata of all topics, one ACL
  listing, one SCRAM listing);
* no-change `meshctl plan`, WARM: the parse cache holds every file; its floor: the same
  process without the parse;
* a one-topic change (the retention of one product): `meshctl apply --auto-approve` in one
  process, and `meshctl plan --out` followed by `meshctl apply PLANFILE`;
* the admin requests and SCRAM logins of one plan (meshctl's own counters), and the peak
  RSS of every meshctl process (its ru_maxrss, from wait4).

What "process start" means in a floor: the interpreter starting and importing the libraries
no tool doing this job can avoid (confluent-kafka, and python-hcl2 when it parses), not
meshctl's own imports, which are part of what meshctl costs. A floor is timed as one whole
process, as meshctl is, so connecting and the SASL handshake count on both sides. The start
alone (`import confluent_kafka.admin`, with hcl2, and `import meshctl.cli.main`) is reported
next to it.

Then, each on a fresh broker of its own: `meshctl apply --auto-approve` of 1,000 new
products from empty (parse cache warm, as after a plan) against a raw script making the
same creates in the same order and batches (SCRAM upserts, create_topics in chunks of the
controller's records limit, create_acls) with the same read-back waits (each kind polled
until the broker lists all of it).

Every measure is also shown as t(size)/t(first size), and a table checks the targets of the
performance issue at 10,000 products (or the largest size run). --profile-size runs one warm
plan of that size under cProfile and reports where its time goes, the cyclic garbage
collector's pauses included.

Not a test: run it with `make bench`.

    python benchmarks/plan_scale.py [--sizes 1000,5000,10000] [--repeat 3] [--output FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import meshctl as meshctl_package
from meshctl.engine.workspace import Workspace
from meshctl_sandbox.kafka import KafkaSandbox, free_port

PRODUCTS_PER_DOMAIN = 25
DAY_MS = 86400000
PROCESS_TIMEOUT_S = 3600.0

# The targets of the performance issue, at 10,000 products.
TARGET_SIZE = 10000
TARGET_RATIO_PLAN = 1.3
TARGET_CHANGE_S = 8.0
TARGET_APPLY_RATIO = 1.5
TARGET_PEAK_MIB = 400.0
TARGET_SCALING = 10.0


def generate(directory: Path, products: int) -> None:
    """A mesh of `products` products in domains of 25, under 4 top-level domains, with a
    read grant for every second product: one file per domain, as teams would write it."""
    directory.mkdir(parents=True)
    domains = max(1, products // PRODUCTS_PER_DOMAIN)
    roots = ["commerce", "logistics", "finance", "people"]
    header = ['kafka {\n  request_timeout = "120s"\n}\n']
    for root in roots:
        header.append(
            f'domain "{root}" {{\n  description = "top level"\n  owners {{\n    accountable = "{root}@acme.example"\n'
            f'  }}\n  policy {{\n    max_retention = "30d"\n    max_partitions = 32\n  }}\n}}\n'
        )
    (directory / "main.hcl").write_text("\n".join(header))
    n = 0
    for d in range(domains):
        name = f"d{d:03d}"
        parts = [
            f'domain "{name}" {{\n  parent      = "{roots[d % len(roots)]}"\n  description = "domain {d}"\n'
            f'  owners {{\n    accountable = "{name}@acme.example"\n    responsible = "team-{name}"\n  }}\n}}\n'
        ]
        for _ in range(PRODUCTS_PER_DOMAIN if d < domains - 1 else products - n):
            kind = "fat_object" if n % 5 == 0 else "events"
            parts.append(
                f'data_product "p{n:05d}" {{\n  domain      = "{name}"\n  version     = 1\n  kind        = "{kind}"\n'
                f'  description = "product {n}"\n  topic {{\n    partitions = 1\n'
                f'    config     = {{ "retention.ms" = "{DAY_MS * (1 + n % 7)}" }}\n  }}\n}}\n'
            )
            if n % 2 == 0:
                consumer = f"d{(d + 1) % domains:03d}" if domains > 1 else roots[0]
                parts.append(f'access "a{n:05d}" {{\n  product  = "{name}.p{n:05d}"\n  consumer = "{consumer}"\n}}\n')
            n += 1
        (directory / f"{name}.hcl").write_text("\n".join(parts))


# ---------------------------------------------------------------- the floors, as scripts of their own

# Kafka settings from meshctl's own environment variables, so a floor talks to the broker as meshctl does.
_ADMIN_CONFIG = """
import os
config = {
    "bootstrap.servers": os.environ["MESHCTL_KAFKA_BOOTSTRAP_SERVERS"],
    "security.protocol": os.environ["MESHCTL_KAFKA_SECURITY_PROTOCOL"],
    "sasl.mechanism": os.environ["MESHCTL_KAFKA_SASL_MECHANISM"],
    "sasl.username": os.environ["MESHCTL_KAFKA_SASL_USERNAME"],
    "sasl.password": os.environ["MESHCTL_KAFKA_SASL_PASSWORD"],
}
"""

# argv: mesh directory, file of topic names (one a line), "cold" (parse too) or "warm".
_FLOOR_PLAN = (
    """
import json, sys, time
started = time.perf_counter()
cold = sys.argv[3] == "cold"
if cold:
    import hcl2
from confluent_kafka.admin import (
    AclBindingFilter, AclOperation, AclPermissionType, AdminClient, ConfigResource, ResourcePatternType, ResourceType,
)
"""
    + _ADMIN_CONFIG
    + """
from pathlib import Path
imported = time.perf_counter()
if cold:
    for path in sorted(Path(sys.argv[1]).glob("*.hcl")):
        hcl2.parses_to_tree(path.read_text())
parsed = time.perf_counter()
topics = Path(sys.argv[2]).read_text().split()
admin = AdminClient(config)
configs = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in topics], request_timeout=120)
any_acl = AclBindingFilter(
    ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
)
acls = admin.describe_acls(any_acl, request_timeout=120)
users = admin.describe_user_scram_credentials(request_timeout=120)
admin.list_topics(timeout=120)
for future in configs.values():
    future.result()
acls.result()
users.result()
read = time.perf_counter()
print(json.dumps({"import": imported - started, "parse": parsed - imported, "reads": read - parsed}))
"""
)

# argv: a JSON file of the users, topics and ACL bindings to create.
_FLOOR_APPLY = (
    """
import json, secrets, sys, time
from confluent_kafka.admin import (
    AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient, NewTopic, ResourcePatternType,
    ResourceType, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion,
)
"""
    + _ADMIN_CONFIG
    + """
RECORDS_PER_REQUEST = 5000  # meshctl's chunking: the KRaft controller refuses batches of over 10,000 records
spec = json.loads(open(sys.argv[1]).read())
admin = AdminClient(config)
phases = {}
last = [time.perf_counter()]

def phase(name):
    now = time.perf_counter()
    phases[name] = round(now - last[0], 3)
    last[0] = now

def settle(done):  # meshctl's read-back: poll until the broker serves it, pausing 0.05 s doubling up to 0.5 s
    pause = 0.05
    while not done():
        time.sleep(pause)
        pause = min(pause * 2, 0.5)

def chunks(items, weight):
    chunk, used = [], 0
    for item in items:
        if chunk and used + weight(item) > RECORDS_PER_REQUEST:
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += weight(item)
    if chunk:
        yield chunk

def check(futures):
    for future in futures.values():
        future.result()

users = {u["name"]: (ScramMechanism[u["mechanism"].replace("-", "_")], u["iterations"]) for u in spec["users"]}
if users:
    check(admin.alter_user_scram_credentials([
        UserScramCredentialUpsertion(name, ScramCredentialInfo(mech, iters), secrets.token_urlsafe(24).encode())
        for name, (mech, iters) in users.items()
    ], request_timeout=120))

    def users_listed():
        listed = admin.describe_user_scram_credentials(request_timeout=120).result()
        return all(
            name in listed
            and any((i.mechanism, i.iterations) == want for i in listed[name].scram_credential_infos)
            for name, want in users.items()
        )

    phase("users")
    settle(users_listed)
    phase("users listed")

topics = [
    NewTopic(t["name"], num_partitions=t["partitions"], replication_factor=t["replication_factor"] or -1,
             config=t["config"])
    for t in spec["topics"]
]
for chunk in chunks(topics, lambda t: 1 + t.num_partitions + len(t.config)):
    check(admin.create_topics(chunk, operation_timeout=120, request_timeout=120))
phase("topics")
names = {t["name"] for t in spec["topics"]}
settle(lambda: names <= set(admin.list_topics(timeout=120).topics))
phase("topics listed")

bindings = [
    AclBinding(ResourceType[t], name, ResourcePatternType[p], who, host, AclOperation[op], AclPermissionType.ALLOW)
    for t, name, p, who, host, op in spec["acls"]
]
for chunk in chunks(bindings, lambda _: 1):
    check(admin.create_acls(chunk, request_timeout=120))
phase("ACLs")
any_acl = AclBindingFilter(
    ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
)
wanted = set(bindings)
settle(lambda: wanted <= set(admin.describe_acls(any_acl, request_timeout=120).result()))
phase("ACLs listed")
print(json.dumps(phases))
"""
)

# argv: mesh directory. One plan in process, for meshctl's own counters.
_COUNT_REQUESTS = """
import json, sys
from pathlib import Path
import meshctl as meshctl_package
from meshctl.engine.workspace import Workspace
ws = Workspace(Path(sys.argv[1]))
plan = ws.run().plan()
kafka = ws.providers["kafka"]
print(json.dumps({"requests": ws.admin_requests(), "logins": kafka.client.logins, "changes": len(plan.actionable)}))
"""

# argv: mesh directory, profile output. One warm `meshctl plan` under cProfile (imports
# included), with the pauses of the cyclic garbage collector summed by a gc callback.
_PROFILE_PLAN = """
import cProfile, gc, io, json, pstats, sys, time
pauses = {"seconds": 0.0, "collections": 0, "gen2": 0}
began = [0.0]

def on_gc(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
    else:
        pauses["seconds"] += time.perf_counter() - began[0]
        pauses["collections"] += 1
        pauses["gen2"] += info["generation"] == 2

gc.callbacks.append(on_gc)
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
from meshctl.cli.main import cli
try:
    cli(["plan", "--detailed-exitcode", sys.argv[1]], prog_name="meshctl")
except SystemExit:
    pass
profile.disable()
pauses["wall"] = time.perf_counter() - started
profile.dump_stats(sys.argv[2])
sys.stderr.write("\\nGC_PAUSES " + json.dumps(pauses) + "\\n")
"""


# ---------------------------------------------------------------- processes


@dataclass
class Proc:
    seconds: float
    peak_mib: float
    code: int
    out: str
    err: str


def _tree_rss_kib(pid: int) -> tuple[int, bool]:
    """The summed resident memory of a process and its descendants now, and whether it has any."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * _PAGE_KIB
        except (OSError, ValueError, IndexError):
            continue
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo += [c for c, parent in parents.items() if parent == p and c not in tree]
    return sum(rss.get(p, 0) for p in tree), len(tree) > 1


_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class _TreeSampler(threading.Thread):
    """The peak of a process tree's summed RSS, sampled every 0.2 s (about 1% of a core): a meshctl that works in
    several processes at once holds their sum, which no single ru_maxrss shows."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.children = pid, 0, False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            kib, children = _tree_rss_kib(self.pid)
            self.peak_kib = max(self.peak_kib, kib)
            self.children = self.children or children


def run(argv: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,)) -> Proc:
    """One process: its wall time and its peak RSS (its ru_maxrss from wait4, or the sampled
    sum over its process tree when it started processes of its own)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        killer = threading.Timer(PROCESS_TIMEOUT_S, proc.kill)
        killer.start()
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            sampler.done.set()
        seconds = time.perf_counter() - start
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kib = max(usage.ru_maxrss, sampler.peak_kib) if sampler.children else usage.ru_maxrss
        out.seek(0)
        err.seek(0)
        done = Proc(seconds, peak_kib / 1024, proc.returncode, out.read().decode(errors="replace"), "")
        done.err = err.read().decode(errors="replace")
    if done.code not in expect:
        shown = " ".join(a if len(a) < 80 else a[:40] + "..." for a in argv)
        raise SystemExit(f"{shown} exited {done.code}, not {expect}:\n{done.err[-3000:]}\n{done.out[-2000:]}")
    return done


def meshctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "meshctl", *args]


def script(source: str, *args: str) -> list[str]:
    return [sys.executable, "-c", source, *args]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def fresh_broker(root: Path, heap: str) -> Iterator[dict[str, str]]:
    """An empty broker of its own; yields the environment meshctl and the floors connect with."""
    workdir = Path(tempfile.mkdtemp(prefix="broker-", dir=root))
    broker = KafkaSandbox(workdir, port=free_port(), controller_port=free_port(), heap=heap)
    started = time.perf_counter()
    broker.start(timeout=300)
    log(f"  fresh broker at {broker.bootstrap_servers} in {time.perf_counter() - started:.0f}s")
    try:
        config = broker.admin_config()
        yield {
            "MESHCTL_KAFKA_BOOTSTRAP_SERVERS": config["bootstrap.servers"],
            "MESHCTL_KAFKA_SECURITY_PROTOCOL": config["security.protocol"],
            "MESHCTL_KAFKA_SASL_MECHANISM": config["sasl.mechanism"],
            "MESHCTL_KAFKA_SASL_USERNAME": config["sasl.username"],
            "MESHCTL_KAFKA_SASL_PASSWORD": config["sasl.password"],
        }
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def base_env() -> dict[str, str]:
    """The caller's environment without any meshctl setting of its own (a sourced sandbox, a
    parse cache switched off), so only what this run sets applies."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MESHCTL_")}


# ---------------------------------------------------------------- measures


@dataclass
class Measure:
    samples: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MiB, meshctl processes only

    def add(self, seconds: float, peak_mib: float | None = None) -> None:
        self.samples.append(seconds)
        if peak_mib is not None:
            self.peaks.append(peak_mib)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def peak(self) -> float:
        return max(self.peaks) if self.peaks else float("nan")


@dataclass
class SizeResult:
    size: int
    resources: int = 0
    measures: dict[str, Measure] = field(default_factory=dict)
    requests: list[int] = field(default_factory=list)
    logins: list[int] = field(default_factory=list)
    profile: str = ""  # where a warm plan's time goes, when this size was profiled

    def m(self, name: str) -> Measure:
        return self.measures.setdefault(name, Measure())


# What each measure is, in the order shown; the meshctl ones scale-checked and memory-checked.
MESHCTL_MEASURES = {
    "plan_cold": "no-change plan, cold",
    "plan_warm": "no-change plan, warm",
    "change_apply": "one-topic change: apply --auto-approve",
    "change_two_step": "one-topic change: plan --out + apply PLANFILE",
    "setup_apply": "apply of the whole mesh from empty (1 run)",
}


def topic_names(mesh: Path) -> tuple[list[str], int]:
    desired = Workspace(mesh, env={"MESHCTL_PARSE_CACHE": "0"}).run(offline=True).resources
    return [str(r.attributes["name"]) for r in desired if r.type == "kafka_topic"], len(desired)


def measure_size(size: int, args: argparse.Namespace, root: Path) -> SizeResult:
    result = SizeResult(size)
    here = root / f"size-{size}"
    mesh = here / "mesh"
    generate(mesh, size)
    topics, result.resources = topic_names(mesh)
    names_file = here / "topics.txt"
    names_file.write_text("\n".join(topics) + "\n")
    warm_cache = here / "cache-warm"
    log(f"{size} products ({result.resources} resources)")
    with fresh_broker(root, args.heap) as kafka_env:
        env = {**base_env(), **kafka_env}
        warm = {**env, "MESHCTL_CACHE_DIR": str(warm_cache)}
        # Python's start, measured in this run: the floors' imports, and meshctl's for comparison.
        for _ in range(args.repeat):
            result.m("start_kafka").add(run(script("import confluent_kafka.admin"), env).seconds)
            result.m("start_kafka_hcl").add(run(script("import confluent_kafka.admin, hcl2"), env).seconds)
            result.m("start_meshctl").add(run(script("import meshctl.cli.main"), env).seconds)

        applied = run(meshctl("apply", "--auto-approve", "--no-color", str(mesh)), warm)
        result.m("setup_apply").add(applied.seconds, applied.peak_mib)
        log(f"  applied in {applied.seconds:.1f}s, peak {applied.peak_mib:.0f} MiB")
        settled = run(meshctl("plan", "--no-color", "--detailed-exitcode", str(mesh)), warm, (0, 2))
        if settled.code == 2:  # what the broker did not yet serve when apply read it back: once more
            log(f"  the plan after apply still has changes; applying again:\n{settled.out[-1500:]}")
            run(meshctl("apply", "--auto-approve", "--no-color", str(mesh)), warm)
            run(meshctl("plan", "--detailed-exitcode", str(mesh)), warm)

        for i in range(args.repeat):
            cold_cache = Path(tempfile.mkdtemp(prefix="cache-cold-", dir=here))
            cold = run(meshctl("plan", "--detailed-exitcode", str(mesh)), {**env, "MESHCTL_CACHE_DIR": str(cold_cache)})
            shutil.rmtree(cold_cache)
            result.m("plan_cold").add(cold.seconds, cold.peak_mib)
            floor = run(script(_FLOOR_PLAN, str(mesh), str(names_file), "cold"), env)
            result.m("floor_cold").add(floor.seconds)
            parts = json.loads(floor.out)
            result.m("raw_parse").add(parts["parse"])
            result.m("raw_reads_cold").add(parts["reads"])

            plan = run(meshctl("plan", "--detailed-exitcode", str(mesh)), warm)
            result.m("plan_warm").add(plan.seconds, plan.peak_mib)
            floor = run(script(_FLOOR_PLAN, str(mesh), str(names_file), "warm"), env)
            result.m("floor_warm").add(floor.seconds)
            result.m("raw_reads").add(json.loads(floor.out)["reads"])
            log(
                f"  [{i + 1}/{args.repeat}] plan cold {cold.seconds:.2f}s"
                f" (floor {result.m('floor_cold').samples[-1]:.2f}s)"
                f", warm {plan.seconds:.2f}s (floor {floor.seconds:.2f}s)"
            )

        counted = json.loads(run(script(_COUNT_REQUESTS, str(mesh)), warm).out)
        result.requests.append(counted["requests"])
        result.logins.append(counted["logins"])

        changed = mesh / "d000.hcl"  # its first product, p00000, has a retention of one day
        retention = DAY_MS
        saved = here / "change.plan"
        for i in range(args.repeat):
            retention = _retain(changed, retention, DAY_MS * (8 + 2 * i))
            one = run(meshctl("apply", "--auto-approve", "--no-color", str(mesh)), warm)
            if "0 added, 1 changed, 0 destroyed" not in one.out:
                raise SystemExit(f"the one-topic change applied something else:\n{one.out[-2000:]}")
            result.m("change_apply").add(one.seconds, one.peak_mib)

            retention = _retain(changed, retention, DAY_MS * (9 + 2 * i))
            plan = run(meshctl("plan", "--no-color", "--detailed-exitcode", "--out", str(saved), str(mesh)), warm, (2,))
            apply = run(meshctl("apply", "--no-color", str(saved)), warm)
            if "0 added, 1 changed, 0 destroyed" not in apply.out:
                raise SystemExit(f"the saved one-topic plan applied something else:\n{apply.out[-2000:]}")
            result.m("change_plan").add(plan.seconds, plan.peak_mib)
            result.m("change_apply_saved").add(apply.seconds, apply.peak_mib)
            result.m("change_two_step").add(plan.seconds + apply.seconds, max(plan.peak_mib, apply.peak_mib))
            log(
                f"  [{i + 1}/{args.repeat}] one-topic change: apply {one.seconds:.2f}s;"
                f" plan {plan.seconds:.2f}s + apply {apply.seconds:.2f}s"
            )

        if size == args.profile_size:
            result.profile = profile_plan(mesh, here, warm, args.profile_top)
    shutil.rmtree(warm_cache, ignore_errors=True)
    return result


def _retain(path: Path, old_ms: int, new_ms: int) -> int:
    """Set the retention of the file's first product; returns the new value."""
    text = path.read_text()
    old = f'"retention.ms" = "{old_ms}"'
    if old not in text:
        raise SystemExit(f"{path} holds no {old}")
    path.write_text(text.replace(old, f'"retention.ms" = "{new_ms}"', 1))
    return new_ms


def profile_plan(mesh: Path, here: Path, env: dict[str, str], top: int) -> str:
    """One warm plan under cProfile: meshctl's functions by cumulative time, everything by own time."""
    out = here / "plan.prof"
    proc = run(script(_PROFILE_PLAN, str(mesh), str(out)), env)
    pauses = json.loads(proc.err.rsplit("GC_PAUSES ", 1)[1].split("\n", 1)[0])
    prefixes = {
        str(Path(meshctl_package.__file__).parents[1]) + "/": "",
        sysconfig.get_paths()["purelib"] + "/": "",
        sysconfig.get_paths()["stdlib"] + "/": "<stdlib>/",
    }

    def table(order: str, *restrictions: str | int) -> str:
        text = io.StringIO()
        pstats.Stats(str(out), stream=text).sort_stats(order).print_stats(*restrictions)
        body = text.getvalue()
        body = body[body.index("   ncalls") :].rstrip()
        for prefix, short in prefixes.items():
            body = body.replace(prefix, short)
        return body

    return (
        f"one warm plan under cProfile took {pauses['wall']:.2f}s (profiling overhead included); Python's cyclic"
        f" garbage collector ran {pauses['collections']} times ({pauses['gen2']} full collections) and paused it"
        f" {pauses['seconds']:.2f}s in all.\n\nmeshctl's functions by cumulative time (imports included):\n\n"
        f"```\n{table('cumulative', r'meshctl/', top)}\n```\n\nEverything by own time:\n\n"
        f"```\n{table('tottime', top)}\n```\n"
    )


def measure_apply_from_empty(products: int, args: argparse.Namespace, root: Path) -> SizeResult:
    """meshctl vs the raw script, each sample on a broker of its own."""
    result = SizeResult(products)
    here = root / f"from-empty-{products}"
    mesh = here / "mesh"
    generate(mesh, products)
    desired = Workspace(mesh, env={"MESHCTL_PARSE_CACHE": "0"}).run(offline=True).resources
    result.resources = len(desired)
    spec: dict[str, list[Any]] = {"users": [], "topics": [], "acls": []}
    for r in desired:
        a: Mapping[str, Any] = r.attributes
        if r.type == "kafka_scram_user":
            spec["users"].append({"name": a["name"], "mechanism": a["mechanism"], "iterations": a["iterations"]})
        elif r.type == "kafka_topic":
            spec["topics"].append(
                {
                    "name": a["name"],
                    "partitions": a["partitions"],
                    "replication_factor": a["replication_factor"],
                    "config": dict(a["config"]),
                }
            )
        elif r.type == "kafka_acl":
            for op in a["operations"]:
                spec["acls"].append(
                    [a["resource_type"], a["resource_name"], a["pattern_type"], a["principal"], a.get("host", "*"), op]
                )
        else:
            raise SystemExit(f"the generated mesh has a {r.type}: the raw script makes Kafka objects only")
    spec_file = here / "creates.json"
    spec_file.write_text(json.dumps(spec))
    cache = here / "cache"
    log(
        f"apply of {products} new products from empty: {len(spec['users'])} SCRAM users, "
        f"{len(spec['topics'])} topics, {len(spec['acls'])} ACL bindings"
    )
    run(meshctl("validate", str(mesh)), {**base_env(), "MESHCTL_CACHE_DIR": str(cache)})  # the parse cache warm
    for i in range(args.repeat):
        state = Path(tempfile.mkdtemp(prefix="state-", dir=here))
        with fresh_broker(root, args.heap) as kafka_env:
            env = {**base_env(), **kafka_env, "MESHCTL_CACHE_DIR": str(cache)}
            applied = run(meshctl("apply", "--auto-approve", "--no-color", "--state-dir", str(state), str(mesh)), env)
        result.m("empty_apply").add(applied.seconds, applied.peak_mib)
        shutil.rmtree(state)
        with fresh_broker(root, args.heap) as kafka_env:
            raw = run(script(_FLOOR_APPLY, str(spec_file)), {**base_env(), **kafka_env})
        result.m("empty_raw").add(raw.seconds)
        log(
            f"  [{i + 1}/{args.repeat}] meshctl {applied.seconds:.2f}s, raw script {raw.seconds:.2f}s {raw.out.strip()}"
        )
    return result


# ---------------------------------------------------------------- report


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(sizes: list[SizeResult], empty: SizeResult | None, args: argparse.Namespace, took_s: float) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"Medians of {args.repeat} fresh processes per measure; every size on its own empty broker;")
    add(f"sizes {', '.join(str(s.size) for s in sizes)}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},")
    commit = subprocess.run(
        ["git", "-C", str(Path(__file__).parent), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    add(f"{os.cpu_count()} cores, whole run {took_s / 60:.1f} min; code at {commit[:72] or 'an unknown commit'}.")
    add("")
    add("No-change plan against its floor (cold: empty parse cache; warm: parse cache holds every file):")
    add("")
    add(
        "| products | resources | plan cold s | floor cold s | ratio | plan warm s | floor warm s | ratio "
        "| admin requests | SCRAM logins | peak MiB cold / warm |"
    )
    add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        m = s.measures
        add(
            f"| {s.size:,} | {s.resources:,} | {m['plan_cold'].median:.2f} | {m['floor_cold'].median:.2f} "
            f"| {_ratio(m['plan_cold'].median, m['floor_cold'].median):.2f} | {m['plan_warm'].median:.2f} "
            f"| {m['floor_warm'].median:.2f} | {_ratio(m['plan_warm'].median, m['floor_warm'].median):.2f} "
            f"| {'/'.join(map(str, s.requests))} | {'/'.join(map(str, s.logins))} "
            f"| {m['plan_cold'].peak:.0f} / {m['plan_warm'].peak:.0f} |"
        )
    add("")
    add("What the floors are made of (inside the floor process; start = a fresh `python -c 'import ...'`):")
    add("")
    add(
        "| products | start: confluent_kafka s | + hcl2 s | start: meshctl.cli.main s | raw parse s "
        "| raw reads s (warm) | ratio cold / warm, meshctl's import as the start |"
    )
    add("|---:|---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        m = s.measures
        own_start = m["start_meshctl"].median
        cold = _ratio(m["plan_cold"].median, m["floor_cold"].median - m["start_kafka_hcl"].median + own_start)
        warm = _ratio(m["plan_warm"].median, m["floor_warm"].median - m["start_kafka"].median + own_start)
        add(
            f"| {s.size:,} | {m['start_kafka'].median:.2f} | {m['start_kafka_hcl'].median:.2f} "
            f"| {own_start:.2f} | {m['raw_parse'].median:.2f} | {m['raw_reads'].median:.2f} "
            f"| {cold:.2f} / {warm:.2f} |"
        )
    add("")
    add("Changes:")
    add("")
    add(
        "| products | one topic: apply --auto-approve s | one topic: plan --out s + apply PLANFILE s "
        "| peak MiB (one-topic) | whole mesh from empty s (1 run) | peak MiB (from empty) |"
    )
    add("|---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        m = s.measures
        add(
            f"| {s.size:,} | {m['change_apply'].median:.2f} | {m['change_plan'].median:.2f} + "
            f"{m['change_apply_saved'].median:.2f} = {m['change_two_step'].median:.2f} "
            f"| {max(m['change_apply'].peak, m['change_two_step'].peak):.0f} "
            f"| {m['setup_apply'].median:.1f} | {m['setup_apply'].peak:.0f} |"
        )
    if empty is not None:
        e = empty.measures
        add("")
        add(f"Apply of {empty.size:,} new products ({empty.resources:,} resources) from empty, each on a fresh broker:")
        add("")
        add("| meshctl apply s | raw batched script s | ratio | peak MiB |")
        add("|---:|---:|---:|---:|")
        add(
            f"| {e['empty_apply'].median:.2f} | {e['empty_raw'].median:.2f} "
            f"| {_ratio(e['empty_apply'].median, e['empty_raw'].median):.2f} | {e['empty_apply'].peak:.0f} |"
        )
    base = sizes[0]
    if len(sizes) > 1:
        add("")
        add(f"Scaling, t(size) / t({base.size:,}):")
        add("")
        add("| measure | " + " | ".join(f"{s.size:,}" for s in sizes[1:]) + " |")
        add("|---|" + "---:|" * (len(sizes) - 1))
        for key, title in {**MESHCTL_MEASURES, "floor_cold": "floor cold", "floor_warm": "floor warm"}.items():
            ratios = [_ratio(s.measures[key].median, base.measures[key].median) for s in sizes[1:]]
            add(f"| {title} | " + " | ".join(f"{r:.1f}" for r in ratios) + " |")

    # The targets, at 10,000 products, or at the largest size run when it is not among them.
    top = next((s for s in sizes if s.size == TARGET_SIZE), sizes[-1])
    at = f"{top.size:,}" + ("" if top.size == TARGET_SIZE else f" (targets are set at {TARGET_SIZE:,})")
    m = top.measures
    add("")
    add(f"Targets at {at}:")
    add("")
    add("| target | measured | verdict |")
    add("|---|---:|---|")

    def target(what: str, value: float, limit: float, unit: str, below: bool = False) -> None:
        ok = value < limit if below else value <= limit
        digits = 0 if unit == " MiB" else 2
        by = "" if ok else f" (by {value - limit:.{digits}f}{unit}, {value / limit:.2f}x the target)"
        add(f"| {what} {'<' if below else '<='} {limit:g}{unit} | {value:.{digits}f}{unit} | {_verdict(ok)}{by} |")

    target("no-change plan warm / its floor", _ratio(m["plan_warm"].median, m["floor_warm"].median), 1.3, "x")
    target("no-change plan cold / its floor", _ratio(m["plan_cold"].median, m["floor_cold"].median), 1.3, "x")
    target("one-topic change, apply --auto-approve", m["change_apply"].median, TARGET_CHANGE_S, " s", below=True)
    target("one-topic change, plan --out + apply PLANFILE", m["change_two_step"].median, TARGET_CHANGE_S, " s", True)
    if empty is not None:
        e = empty.measures
        target(
            f"apply of {empty.size:,} new products / raw script",
            _ratio(e["empty_apply"].median, e["empty_raw"].median),
            TARGET_APPLY_RATIO,
            "x",
        )
    peaks = {MESHCTL_MEASURES[k]: m[k].peak for k in MESHCTL_MEASURES}
    worst = max(peaks, key=lambda k: peaks[k])
    target(f"peak RSS of any meshctl process (largest: {worst})", peaks[worst], TARGET_PEAK_MIB, " MiB")
    if top is not base:
        for key, title in MESHCTL_MEASURES.items():
            target(
                f"t({top.size:,}) / t({base.size:,}), {title}",
                _ratio(m[key].median, base.measures[key].median),
                TARGET_SCALING,
                "x",
            )
    # A few requests more for a larger read (DescribeConfigs in up to 4 pieces) are fine; one per resource is not.
    counts = ", ".join(f"{s.size:,}: {'/'.join(map(str, s.requests))}" for s in sizes)
    last_two = {n for s in sizes[-2:] for n in s.requests}
    add(f"| admin requests of a plan the same at the two largest sizes | {counts} | {_verdict(len(last_two) == 1)} |")
    for s in sizes:
        if s.profile:
            add("")
            add(f"Where the time of a warm no-change plan goes at {s.size:,} products: {s.profile}")
            add("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000,10000", help="products per mesh, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="samples per measure (the median is shown)")
    parser.add_argument("--from-empty", type=int, default=1000, help="products applied from empty (0: skip)")
    parser.add_argument("--heap", default="1g", help="the broker's Java heap")
    parser.add_argument(
        "--profile-size", type=int, help="profile one warm plan of this size (default: the largest; 0: none)"
    )
    parser.add_argument("--profile-top", type=int, default=25, help="rows of the profile shown")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.profile_size is None:
        args.profile_size = sizes[-1]

    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="meshctl-bench-"))
    results: list[SizeResult] = []
    empty = None
    try:
        for size in sizes:
            results.append(measure_size(size, args, root))
            if args.output:  # what is measured so far, should the run be cut short
                args.output.write_text(report(results, None, args, time.perf_counter() - started))
        empty = measure_apply_from_empty(args.from_empty, args, root) if args.from_empty else None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    text = report(results, empty, args, time.perf_counter() - started)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
