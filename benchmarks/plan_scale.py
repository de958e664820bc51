"""How a no-change `meshctl plan` scales with the size of the mesh.

For meshes of 100, 1,000 and 5,000 data products, applied once to a real broker, this
times a no-change plan against the lower bound measured in the same run: the raw
batched AdminClient reads of the same objects plus a raw python-hcl2 parse of the same
files. It prints the ratio, the number of admin requests and the peak memory of a
`meshctl plan` process. Not a test: run it with `make bench`.

    python benchmarks/plan_scale.py [--sizes 100,1000,5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import hcl2
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    ResourcePatternType,
    ResourceType,
)

from meshctl.config.parse_cache import mesh_key, parse_cache_dir
from meshctl.engine.workspace import Workspace
from meshctl_sandbox.kafka import KafkaSandbox, free_port

PRODUCTS_PER_DOMAIN = 25


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
                f'    config     = {{ "retention.ms" = "{86400000 * (1 + n % 7)}" }}\n  }}\n}}\n'
            )
            if n % 2 == 0:
                consumer = f"d{(d + 1) % domains:03d}" if domains > 1 else roots[0]
                parts.append(f'access "a{n:05d}" {{\n  product  = "{name}.p{n:05d}"\n  consumer = "{consumer}"\n}}\n')
            n += 1
        (directory / f"{name}.hcl").write_text("\n".join(parts))


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def raw_reads(admin: AdminClient, topics: list[str]) -> None:
    """The lower bound of a refresh: the same batched reads, nothing else."""
    admin.list_topics(timeout=60)
    futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in topics], request_timeout=120)
    for f in futures.values():
        f.result()
    flt = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    admin.describe_acls(flt, request_timeout=60).result()
    admin.describe_user_scram_credentials(request_timeout=60).result()


def raw_parse(directory: Path) -> None:
    for path in sorted(directory.glob("*.hcl")):
        hcl2.parses_to_tree(path.read_text())


_MEASURED_PLAN = """
import resource, sys
from meshctl.cli.main import cli
try:
    cli(["plan", "--detailed-exitcode", sys.argv[1]], prog_name="meshctl")
except SystemExit as exc:
    code = exc.code
sys.stderr.write(f"\\nMAXRSS_KIB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
sys.exit(code)
"""


def parse_cache_root() -> Path:
    root = parse_cache_dir(os.environ)
    if root is None:
        raise SystemExit("the parse cache is off (MESHCTL_PARSE_CACHE): warm and cold plans would be the same")
    return root


def cli_plan(directory: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of one `meshctl plan` process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED_PLAN, str(directory)], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"meshctl plan did not report 'no changes' (exit {proc.returncode}): {proc.stderr[-2000:]}")
    peak_kib = int(proc.stderr.rsplit("MAXRSS_KIB ", 1)[1].split()[0])
    return elapsed, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    cache_root = parse_cache_root()
    root = Path(tempfile.mkdtemp(prefix="meshctl-bench-"))
    broker = KafkaSandbox(root / "kafka", port=free_port(), controller_port=free_port(), heap="768m")
    print(f"starting a Kafka broker in {root} ...", file=sys.stderr)
    broker.start(timeout=180)
    env = {**os.environ, **dict(line.removeprefix("export ").split("=", 1) for line in broker.env_lines())}
    os.environ.update(env)
    admin = AdminClient(broker.admin_config())
    rows = []
    try:
        for size in sizes:
            mesh = root / f"mesh-{size}"
            generate(mesh, size)
            ws = Workspace(mesh)
            start = time.perf_counter()
            apply = subprocess.run(
                [sys.executable, "-m", "meshctl", "apply", "--auto-approve", str(mesh)],
                env=env,
                capture_output=True,
                text=True,
            )
            apply_s = time.perf_counter() - start
            if apply.returncode != 0:
                raise SystemExit(f"apply of {size} products failed: {apply.stderr[-3000:]}")
            desired = ws.run().resources
            topics = [str(r.attributes["name"]) for r in desired if r.type == "kafka_topic"]
            resources = len(desired)

            cache = cache_root / mesh_key(mesh)  # this mesh's parsed files in the user's cache
            cold_s = timed(
                lambda: (shutil.rmtree(cache, ignore_errors=True), Workspace(mesh).run().plan()),  # noqa: B023
                args.repeat,
            )
            plan_s = timed(lambda: Workspace(mesh).run().plan(), args.repeat)  # noqa: B023  (parse cache warm)
            counter = Workspace(mesh)
            counter.run().plan()
            requests = counter.admin_requests()
            reads_s = timed(lambda: raw_reads(admin, topics), args.repeat)  # noqa: B023
            parse_s = timed(lambda: raw_parse(mesh), args.repeat)  # noqa: B023
            cli_s, peak_mib = cli_plan(mesh, env)
            bound = reads_s + parse_s
            rows.append(
                (
                    size,
                    resources,
                    apply_s,
                    cold_s,
                    plan_s,
                    reads_s,
                    parse_s,
                    cold_s / bound,
                    plan_s / bound,
                    requests,
                    cli_s,
                    peak_mib,
                )
            )
    finally:
        broker.stop()
        for size in sizes:
            shutil.rmtree(cache_root / mesh_key(root / f"mesh-{size}"), ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(
        "| products | resources | apply s | plan cold s | plan warm s | raw reads s | raw parse s "
        "| ratio cold | ratio warm | admin requests | CLI plan s | peak MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, resources, apply_s, cold_s, plan_s, reads_s, parse_s, r_cold, r_warm, requests, cli_s, peak in rows:
        print(
            f"| {size} | {resources} | {apply_s:.1f} | {cold_s:.2f} | {plan_s:.2f} | {reads_s:.2f} | {parse_s:.2f} "
            f"| {r_cold:.2f} | {r_warm:.2f} | {requests} | {cli_s:.2f} | {peak:.0f} |"
        )
    print("\nratio = in-process no-change plan / (raw batched AdminClient reads + raw python-hcl2 parse of the")
    print("same files), medians of", args.repeat, "runs. cold: no parse cache; warm: files unchanged since the last")
    print("run (the drift cron's case). CLI plan s and peak MiB: one `meshctl plan` process, warm.")


if __name__ == "__main__":
    main()
