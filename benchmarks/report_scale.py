"""How many requests `meshctl report` makes, and how long it takes, at 1,000 products.

A fresh one-node broker; a generated mesh of N products in N/10 domains, each product read by
one consumer group of another domain (`grp.<domain>.<n>`, its offsets committed a few records
behind); the topics created and the records written straight through the admin client (the
report reads topics and groups, not ACLs, so nothing else needs applying). Then one report
with the batched group reads (FindCoordinator, DescribeGroups and OffsetFetch over the SCRAM
session), and one with a connection setting only librdkafka honours, which reads one group
a request: the requests (meshctl's own counters) and the wall time of each.

Not a test: `python benchmarks/report_scale.py [--products 1000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from meshctl.engine.report import Clock, report
from meshctl.engine.workspace import Workspace
from meshctl_sandbox.kafka import KafkaSandbox, free_port

PER_DOMAIN = 10


def generate(directory: Path, products: int, librdkafka_only: bool) -> list[tuple[str, str]]:
    """The mesh; returns (topic, group) of each product."""
    domains = max(products // PER_DOMAIN, 2)
    # socket.keepalive.enable: a setting the Python session does not reproduce, so librdkafka reads
    extra = '  config = { "socket.keepalive.enable" = "true" }\n' if librdkafka_only else ""
    lines = ['kafka {\n  request_timeout = "60s"\n' + extra + "}\n"]
    pairs = []
    for d in range(domains):
        lines.append(f'domain "d{d}" {{\n  owners {{ accountable = "d{d}@acme.example" }}\n}}\n')
    for n in range(products):
        owner, reader = n % domains, (n + 1) % domains
        sla = '  sla {\n    freshness = "1h"\n    max_lag   = 100\n  }\n'
        lines.append(
            f'data_product "p{n}" {{\n  domain = "d{owner}"\n{sla}}}\n'
            f'access "a{n}" {{\n  product  = "d{owner}.p{n}"\n  consumer = "d{reader}"\n}}\n'
        )
        pairs.append((f"d{owner}.p{n}.v1", f"grp.d{reader}.{n}"))
    (directory / "main.hcl").write_text("".join(lines))
    return pairs


def populate(config: dict[str, str], pairs: list[tuple[str, str]]) -> None:
    admin = AdminClient({**config, "log_level": 0})
    topics = [t for t, _ in pairs]
    for i in range(0, len(topics), 500):
        futures = admin.create_topics([NewTopic(t, 1, 1) for t in topics[i : i + 500]], operation_timeout=120)
        for fut in futures.values():
            fut.result(timeout=180)
    while len(set(topics) - set(admin.list_topics(timeout=30).topics)) > 0:
        time.sleep(0.5)
    producer = Producer({**config, "log_level": 0, "linger.ms": 50})
    for topic in topics:
        for _ in range(5):
            producer.produce(topic, b"x")
    assert producer.flush(120) == 0
    pending = {}
    for topic, group in pairs:
        request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 3)])
        pending[group] = admin.alter_consumer_group_offsets([request])[group]
    for group, fut in pending.items():
        for _attempt in range(120):
            done = fut.result(timeout=60)
            if not any(tp.error for tp in done.topic_partitions):
                break
            time.sleep(0.5)  # the offsets coordinator still loading: ask again
            request = ConsumerGroupTopicPartitions(group, done.topic_partitions)
            fut = admin.alter_consumer_group_offsets([request])[group]


def measure(directory: Path, state_dir: Path) -> dict[str, object]:
    ws = Workspace(directory, state_dir=state_dir)
    started = time.perf_counter()
    doc = report(ws, None, Clock())
    took = time.perf_counter() - started
    summary = doc["summary"]
    assert isinstance(summary, dict)
    products = doc["products"]
    assert isinstance(products, list)
    read = sum(1 for p in products if p["consumers"])
    return {"requests": summary["kafka_requests"], "seconds": round(took, 2), "products_read": read}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="meshctl-report-scale-"))
    broker = KafkaSandbox(root / "broker", port=free_port(), controller_port=free_port())
    broker.start(timeout=300)
    try:
        config = broker.admin_config()
        for key, env in (
            ("bootstrap.servers", "BOOTSTRAP_SERVERS"),
            ("security.protocol", "SECURITY_PROTOCOL"),
            ("sasl.mechanism", "SASL_MECHANISM"),
            ("sasl.username", "SASL_USERNAME"),
            ("sasl.password", "SASL_PASSWORD"),
        ):
            os.environ[f"MESHCTL_KAFKA_{env}"] = config[key]
        results = {}
        for name, librdkafka_only in (("batched", False), ("librdkafka, one group a request", True)):
            mesh = root / name.split(",")[0]
            mesh.mkdir()
            pairs = generate(mesh, args.products, librdkafka_only)
            if name == "batched":
                populate(config, pairs)
            measure(mesh, root / f"state-{mesh.name}")  # warm: the group coordinator loaded
            results[name] = measure(mesh, root / f"state-{mesh.name}")
        print(json.dumps({"products": args.products, "groups": args.products, **results}, indent=1))
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
