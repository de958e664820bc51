"""confluent-kafka (librdkafka) clients from a generated librdkafka properties file, loaded as
it is: every `key=value` line becomes a client setting, and only `sasl.password` is added,
from the environment variable the file's header names (`# meshctl.password.env=NAME`) -- the
loader the README documents for Python."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

PASSWORD_ENV_KEY = "meshctl.password.env"


def load(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The file's settings plus `sasl.password` from the variable its header names."""
    settings: dict[str, str] = {}
    variable = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#"):
            key, sep, value = line.lstrip("#").strip().partition("=")
            if sep and key.strip() == PASSWORD_ENV_KEY:
                variable = value.strip()
            continue
        if line:
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    if variable is None:
        raise ValueError(f"{path} names no password variable ('# {PASSWORD_ENV_KEY}=NAME')")
    if "sasl.password" in settings:
        raise ValueError(f"{path} holds a password")
    return settings | {"sasl.password": env[variable]}


def produce(
    settings: Mapping[str, str], topic: str, values: list[str], *, transactional_abort: list[str] | None = None
) -> str | None:
    """Send `values` (keys k0..); with a transactional.id, in one committed transaction, then
    `transactional_abort` in an aborted one. None on success, else the Kafka error name."""
    fatal: list[KafkaError] = []
    producer = Producer(dict(settings) | {"error_cb": lambda e: fatal.append(e) if e.fatal() else None})
    reports: list[KafkaError | None] = []
    transactional = "transactional.id" in settings
    try:
        if transactional:
            producer.init_transactions(30)
            producer.begin_transaction()
        for i, value in enumerate(values):
            producer.produce(topic, value.encode(), key=f"k{i}".encode(), on_delivery=lambda e, m: reports.append(e))
        producer.flush(30)
        if transactional:
            producer.commit_transaction(30)
            if transactional_abort:
                producer.begin_transaction()
                for i, value in enumerate(transactional_abort):
                    producer.produce(topic, value.encode(), key=f"k{i}".encode())
                producer.flush(30)
                producer.abort_transaction(30)
    except KafkaException as exc:
        return str(fatal[0].name() if fatal else exc.args[0].name())
    except SystemError:  # a fatal error surfacing in a callback while flush() waits
        if not fatal and not reports:
            raise
    if fatal:
        return str(fatal[0].name())
    failed = [e for e in reports if e is not None]
    if failed:
        return str(failed[0].name())
    return None if len(reports) == len(values) else "NO_DELIVERY_REPORT"


def consume(
    settings: Mapping[str, str], topic: str, expect: int = 0, timeout: float = 60, quiet: float = 3.0
) -> list[str] | str:
    """The values read from `topic` in the file's group until at least `expect` records arrived
    and every assigned partition is read to its end (or, as an aborted transaction's records and
    markers hold the application's position back, nothing more came for `quiet` seconds); or
    the Kafka error name ("TIMEOUT" if too few records came)."""
    consumer = Consumer(dict(settings))
    values: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        last = [deadline]  # when the last record or the assignment came

        def assigned(c: Consumer, partitions: list[TopicPartition]) -> None:
            last[0] = time.monotonic()

        consumer.subscribe([topic], on_assign=assigned)
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if len(values) >= expect and time.monotonic() - last[0] > quiet:
                    return values
            else:
                last[0] = time.monotonic()
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    return str(msg.error().name())
                values.append(msg.value().decode())
                consumer.commit(message=msg, asynchronous=False)
            if len(values) >= expect and _caught_up(consumer):
                return values
        return "TIMEOUT"
    except KafkaException as exc:
        return str(exc.args[0].name())
    finally:
        consumer.close()


def _caught_up(consumer: Consumer) -> bool:
    assigned = consumer.assignment()
    if not assigned:
        return False
    for tp in consumer.position(assigned):
        _, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10, cached=False)
        if tp.offset < 0 and high > 0 or tp.offset >= 0 and tp.offset < high:
            return False
    return True
