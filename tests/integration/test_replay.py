"""`meshctl replay` against the real broker: a v2 is backfilled from v1's records, unchanged
(key, value, headers, CreateTime, partition), from a time or from offsets; a target holding
records is refused without --append; nothing is written by a dry run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from meshctl.plan.replay import resume_offsets
from meshctl.providers.kafka import replay as copier
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

BASE_MS = 1_764_547_200_000  # 2025-12-01T00:00:00Z: the records' CreateTime, minute by minute


def _mesh(p: str) -> str:
    return f"""
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 1
  topic {{ partitions = 2 }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 2
  topic {{ partitions = 2 }}
  versioning {{ replaces = 1 }}
}}
"""


def _produce(props: dict[str, str], topic: str) -> None:
    producer = Producer(props | {"enable.idempotence": True, "log_level": 0})
    for i in range(10):
        producer.produce(
            topic,
            value=f"order-{i}".encode(),
            key=f"k{i}".encode(),
            partition=i % 2,
            timestamp=BASE_MS + i * 60_000,
            headers=[("trace", f"t{i}".encode())],
        )
    assert producer.flush(15) == 0


def _read_all(
    props: dict[str, str], topic: str, expected: int, partitions: tuple[int, ...] = (0, 1)
) -> list[tuple[int, bytes, bytes, int, list]]:
    consumer = Consumer(props | {"group.id": "unused", "enable.auto.commit": False, "log_level": 0})
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    out = []
    try:
        for _ in range(60):
            for msg in consumer.consume(50, 0.5):
                assert msg.error() is None, msg.error()
                out.append((msg.partition(), msg.offset(), msg.key(), msg.value(), msg.timestamp()[1], msg.headers()))
            if len(out) >= expected:
                break
    finally:
        consumer.close()
    return [(p, k, v, ts, h) for p, _, k, v, ts, h in sorted(out, key=lambda r: (r[0], r[1]))]


def test_replay_backfills_v2_from_v1_unchanged_from_a_time_then_resumes_from_offsets(
    workdir: Path, prefix: str, broker: KafkaSandbox
) -> None:
    p = prefix
    write_mesh(workdir, {"main.hcl": _mesh(p)})
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    sales = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")
    _produce(sales, f"{p}sales.orders.v1")
    admin_props = dict(broker.admin_config())

    # from 00:04 on: records 4..9, three per partition
    dry = run(
        "replay",
        "--source",
        f"{p}sales.orders.v1",
        "--into",
        f"{p}sales.orders.v2",
        "--since",
        "2025-12-01T00:04:00Z",
        "--dry-run",
        ".",
    )
    assert dry.exit_code == 0, dry.output
    assert "6 records" in dry.stdout and "partition 0: offsets 2..5 (3)" in dry.stdout, dry.stdout
    assert "partitions: kept" in dry.stdout and "Nothing copied (--dry-run)." in dry.stdout
    assert _read_all(admin_props, f"{p}sales.orders.v2", 0) == []

    done = run(
        "replay",
        "--source",
        f"{p}sales.orders.v1",
        "--into",
        f"{p}sales.orders.v2",
        "--since",
        "2025-12-01T00:04:00Z",
        "--auto-approve",
        ".",
    )
    assert done.exit_code == 0, done.output
    assert "Replay complete! 6 records copied" in done.stdout
    source = _read_all(admin_props, f"{p}sales.orders.v1", 10)
    copied = _read_all(admin_props, f"{p}sales.orders.v2", 6)
    assert copied == [r for r in source if r[3] >= BASE_MS + 4 * 60_000]
    assert copied[0][4] == [("trace", b"t4")]

    again = run("replay", "--source", f"{p}sales.orders.v1", "--into", f"{p}sales.orders.v2", "--auto-approve", ".")
    assert again.exit_code == 1
    assert "already holds 6 records" in again.stderr and "--append" in again.stderr, again.output

    # the records before 00:04, by offsets: partition 0's first two (records 0 and 2)
    more = run(
        "replay",
        "--source",
        f"{p}sales.orders.v1",
        "--into",
        f"{p}sales.orders.v2",
        "--offsets",
        "0:0",
        "--until",
        "2025-12-01T00:04:00Z",
        "--append",
        "--auto-approve",
        ".",
    )
    assert more.exit_code == 0, more.output
    assert "Replay complete! 2 records copied" in more.stdout
    after = _read_all(admin_props, f"{p}sales.orders.v2", 8)
    assert [r[2] for r in after if r[0] == 0] == [b"order-4", b"order-6", b"order-8", b"order-0", b"order-2"]

    # a secret never shows
    password = admin_props.get("sasl.password", "")
    assert password and all(password not in r.output for r in (dry, done, again, more))


def test_a_stopped_replay_reports_offsets_that_resume_it_without_a_gap(
    workdir: Path, prefix: str, broker: KafkaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = prefix
    write_mesh(workdir, {"main.hcl": _mesh(p)})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    sales = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")
    _produce(sales, f"{p}sales.orders.v1")
    admin_props = dict(broker.admin_config())

    monkeypatch.setattr(copier, "_BATCH", 1)  # one record per poll, so the stop lands mid-way
    seen: list[int] = []

    def stop_after_two() -> bool:
        return len(seen) >= 2

    result = copier.copy_records(
        admin_props,
        f"{p}sales.orders.v1",
        f"{p}sales.orders.v2",
        {0: 0, 1: 0},
        {0: 5, 1: 5},
        keep_partitions=True,
        stop_requested=stop_after_two,
        on_progress=lambda progress: seen.append(progress.copied),
    )
    assert result.failure is None and 0 < result.copied < 10
    assert sum(result.next_offsets.values()) == result.copied, result
    resumed = run(
        "replay",
        "--source",
        f"{p}sales.orders.v1",
        "--into",
        f"{p}sales.orders.v2",
        "--offsets",
        resume_offsets(result.next_offsets),
        "--append",
        "--auto-approve",
        ".",
    )
    assert resumed.exit_code == 0, resumed.output
    assert f"Replay complete! {10 - result.copied} records copied" in resumed.stdout
    copied = _read_all(admin_props, f"{p}sales.orders.v2", 10)
    assert copied == _read_all(admin_props, f"{p}sales.orders.v1", 10)  # no gap, no duplicate, same order


def _copy_mesh(p: str) -> str:
    return f"""
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 1
  topic {{ partitions = 1 }}
}}
access "orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
copy "orders_local" {{
  domain  = "{p}analytics"
  product = "{p}sales.orders"
  version = 1
}}
"""


def _values(props: dict[str, str], topic: str, at_least: int) -> list[bytes]:
    deadline = time.monotonic() + 60
    while True:
        got = [r[2] for r in _read_all(props, topic, at_least, partitions=(0,))]
        if len(got) >= at_least or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_a_copy_is_replayed_by_rewinding_its_mirrormaker_connector(
    workdir: Path, prefix: str, broker: KafkaSandbox, connect_env: dict[str, str]
) -> None:
    p = prefix
    source, copy = f"{p}sales.orders.v1", f"{p}analytics.orders_local.v1"
    write_mesh(workdir, {"main.hcl": _copy_mesh(p)})
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    admin_props = dict(broker.admin_config())
    producer = Producer(admin_props | {"log_level": 0})
    for i in range(6):
        producer.produce(source, key=f"k{i}".encode(), value=f"order-{i}".encode(), timestamp=BASE_MS + i * 60_000)
    assert producer.flush(15) == 0
    expected = [f"order-{i}".encode() for i in range(6)]
    assert _values(admin_props, copy, 6) == expected  # MirrorMaker 2 keeps the copy

    refused = run("replay", "--source", source, "--into", f"{p}analytics.orders_local.v1", "--since", "1d", ".")
    assert refused.exit_code == 1 and "already holds 6 records" in refused.stderr, refused.output
    wrong = run("replay", "--source", f"{p}sales.orders.v2", "--into", copy, "--append", ".")
    assert wrong.exit_code == 1 and f"copies {source}, not {p}sales.orders.v2" in wrong.stderr, wrong.output

    # from 00:03 on: the connector copies records 3, 4 and 5 again
    done = run(
        "replay",
        "--source",
        source,
        "--into",
        copy,
        "--since",
        "2025-12-01T00:03:00Z",
        "--append",
        "--auto-approve",
        ".",
    )
    assert done.exit_code == 0, done.output
    assert "partition 0: offsets 3..6 (3)" in done.stdout and "copies again from offsets 0:3" in done.stdout
    assert _values(admin_props, copy, 9) == expected + expected[3:]
    # and then it copies on as before
    producer.produce(source, key=b"k6", value=b"order-6")
    assert producer.flush(15) == 0
    assert _values(admin_props, copy, 10)[-1] == b"order-6"
