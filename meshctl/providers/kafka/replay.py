"""Copy a topic's records into another, unchanged: the I/O of `meshctl replay`.

The source is read with `assign()` (no consumer group joins, nothing is committed) up to
the end offsets seen when the replay started, so a replay is bounded even while producers
keep writing. Records keep their key, value, headers and CreateTime. With the same number of
partitions each record goes to the partition of the same number, so the order of every
partition is kept whatever the keys; otherwise keyed records are placed by the Java client's
partitioner (murmur2), so a key's records stay in order on one partition.

The producer is idempotent (acks=all): a retry inside one run writes no duplicate. A run
stopped half-way reports the offsets to resume from; records between the last confirmed
write and the stop may be written twice, as the at-least-once default of the delivery
contract allows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from meshctl.errors import MeshError

# Settings of meshctl's admin connection a consumer or producer must not inherit.
_ADMIN_ONLY = ("request.timeout.ms",)
_BATCH = 500
_POLL_S = 0.5
_STALL_S = 60.0  # no record for this long while some are still due: the replay fails, never hangs
# librdkafka's log lines go where the admin client's go (nowhere unless --debug): they may name hosts.
_rdkafka_log = logging.getLogger("meshctl.librdkafka")
# Errors a client reports through error_cb that end a replay: it cannot read or write again by itself.
_FATAL_CODES = {KafkaError._AUTHENTICATION, KafkaError._ALL_BROKERS_DOWN, KafkaError.SASL_AUTHENTICATION_FAILED}


@dataclass
class ReplayProgress:
    copied: int = 0
    total: int = 0
    # Per source partition, the first offset not yet confirmed written: where to resume.
    next_offsets: dict[int, int] = field(default_factory=dict)
    failure: str | None = None


def partition_bounds(settings: Mapping[str, str], topic: str, timeout_s: float = 30.0) -> dict[int, tuple[int, int]]:
    """(low, high) watermark of every partition of `topic`."""
    consumer = _consumer(settings)
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            raise MeshError(f"the topic {topic} cannot be read: {info.error if info else 'not found'}")
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s) for p in info.partitions}
    finally:
        consumer.close()


def partition_count(settings: Mapping[str, str], topic: str, timeout_s: float = 30.0) -> int:
    return len(partition_bounds(settings, topic, timeout_s))


def offsets_for_time(
    settings: Mapping[str, str], topic: str, partitions: list[int], timestamp_ms: int, timeout_s: float = 30.0
) -> dict[int, int | None]:
    """The first offset of each partition whose timestamp is at or after `timestamp_ms`
    (None: no record that late): one ListOffsets request."""
    consumer = _consumer(settings)
    try:
        found = consumer.offsets_for_times([TopicPartition(topic, p, timestamp_ms) for p in partitions], timeout_s)
    finally:
        consumer.close()
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in found}


def copy_records(
    settings: Mapping[str, str],
    source: str,
    target: str,
    start: Mapping[int, int],
    end: Mapping[int, int],
    *,
    keep_partitions: bool,
    stop_requested: Callable[[], bool],
    on_progress: Callable[[ReplayProgress], None] = lambda _: None,
) -> ReplayProgress:
    """Copy offsets [start, end) of each source partition; stops early (with resume offsets)
    when `stop_requested()` turns true or a write fails."""
    progress = ReplayProgress(total=sum(max(0, end[p] - start[p]) for p in start), next_offsets=dict(start))
    todo = {p: start[p] for p in start if start[p] < end[p]}
    if not todo:
        return progress
    failed: dict[int, int] = {}  # source partition -> the first offset whose write failed
    errors: list[str] = []

    def delivered(partition: int, offset: int) -> Callable[[KafkaError | None, Message], None]:
        def report(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                failed[partition] = min(failed.get(partition, offset), offset)
                if not errors:
                    errors.append(err.str())
            else:
                progress.copied += 1

        return report

    def client_error(err: KafkaError) -> None:
        if (err.fatal() or err.code() in _FATAL_CODES) and not errors:
            errors.append(err.str())

    consumer = _consumer(settings, client_error)
    producer = _producer(settings, client_error)
    consumed: dict[int, int] = dict(todo)
    try:
        consumer.assign([TopicPartition(source, p, o) for p, o in todo.items()])
        open_partitions = set(todo)
        last_record = time.monotonic()
        while open_partitions and not errors and not stop_requested():
            batch = consumer.consume(_BATCH, _POLL_S)
            if batch:
                last_record = time.monotonic()
            elif time.monotonic() - last_record > _STALL_S:
                errors.append(f"no record arrived for {_STALL_S:.0f} s from {source}")
            for msg in batch:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    errors.append(err.str())
                    break
                p, offset = msg.partition(), msg.offset()
                if p is None or offset is None or p not in open_partitions or offset >= end[p]:
                    continue
                _produce(producer, target, msg, p if keep_partitions else None, delivered(p, offset))
                consumed[p] = offset + 1
                if consumed[p] >= end[p]:
                    _close(consumer, source, p, open_partitions)
            producer.poll(0)
            progress.next_offsets = {**progress.next_offsets, **consumed}
            on_progress(progress)
        while len(producer) > 0 and not (stop_requested() and errors):
            producer.flush(1.0)
    finally:
        consumer.close()
    undelivered = len(producer)
    progress.next_offsets = {p: min(consumed[p], failed.get(p, consumed[p])) for p in consumed} | {
        p: o for p, o in start.items() if p not in consumed
    }
    if errors:
        progress.failure = errors[0]
    elif undelivered:
        progress.failure = f"{undelivered} records were not confirmed written"
        progress.next_offsets = dict(start)  # which ones is unknown: resume from where this run began
    on_progress(progress)
    return progress


def _close(consumer: Consumer, topic: str, partition: int, open_partitions: set[int]) -> None:
    open_partitions.discard(partition)
    consumer.pause([TopicPartition(topic, partition)])


def _produce(producer: Producer, topic: str, msg: Message, partition: int | None, on_delivery: Any) -> None:
    kwargs: dict[str, Any] = {"key": msg.key(), "value": msg.value(), "on_delivery": on_delivery}
    headers = msg.headers()
    if headers:
        kwargs["headers"] = headers
    _kind, ts = msg.timestamp()
    if ts >= 0:
        kwargs["timestamp"] = ts
    if partition is not None:
        kwargs["partition"] = partition
    while True:
        try:
            producer.produce(topic, **kwargs)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.5)


def _client_settings(settings: Mapping[str, str], on_error: Callable[[KafkaError], None] | None) -> dict[str, Any]:
    conf: dict[str, Any] = {k: v for k, v in settings.items() if k not in _ADMIN_ONLY}
    conf["logger"] = _rdkafka_log
    if on_error is not None:
        conf["error_cb"] = on_error
    return conf


def _consumer(settings: Mapping[str, str], on_error: Callable[[KafkaError], None] | None = None) -> Consumer:
    conf = _client_settings(settings, on_error) | {
        # assign() only: the group is never joined and nothing is committed.
        "group.id": "meshctl-replay",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "error",
        "enable.partition.eof": False,
        "isolation.level": "read_committed",
    }
    return Consumer(conf)


def _producer(settings: Mapping[str, str], on_error: Callable[[KafkaError], None]) -> Producer:
    conf = _client_settings(settings, on_error) | {
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 20,
        "partitioner": "murmur2_random",  # the Java client's: a key lands where Java producers put it
    }
    return Producer(conf)
