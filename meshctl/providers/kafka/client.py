"""The Kafka client adapter: confluent-kafka's AdminClient behind meshctl's own types.

Every method is one batched admin request (counted in `requests`), and every failure
becomes a `MeshError` with one sentence naming the address or setting to look at.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from meshctl.errors import MeshError
from meshctl.providers.kafka import group_reads, scram_login

log = logging.getLogger("meshctl.kafka")
_rdkafka_log = logging.getLogger("meshctl.librdkafka")


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int
    replication_factor: int


@dataclass(frozen=True)
class Acl:
    principal: str
    host: str
    resource_type: str  # TOPIC, GROUP, CLUSTER, ...
    resource_name: str
    pattern_type: str  # LITERAL, PREFIXED
    operation: str  # READ, WRITE, DESCRIBE, ...
    permission: str  # ALLOW, DENY


@dataclass(frozen=True)
class ConfigChange:
    topic: str
    set: dict[str, str]
    delete: tuple[str, ...]


class KafkaClientError(MeshError):
    pass


class KafkaUnreachable(KafkaClientError):
    """meshctl stopped waiting for the cluster. librdkafka may still hold the request and
    send it once the broker is back, so the client that sent it must be discarded."""


T = TypeVar("T")
X = TypeVar("X")
K = TypeVar("K")
# Metadata records per write request: under the KRaft controller's 10,000 per operation.
_RECORDS_PER_REQUEST = 5000
# Waiting for a change to show: first pause, doubled up to the longest (seconds).
_SETTLE_FIRST_PAUSE_S = 0.05
_SETTLE_MAX_PAUSE_S = 0.5


class Pending(Generic[T]):
    """A read in flight; `result()` waits for it and converts it to meshctl's types."""

    def __init__(
        self, client: KafkaClient, future: Future, what: str, convert: Callable[[Any], T], empty_on: int | None = None
    ):
        self.client, self.future, self.what, self.convert = client, future, what, convert
        self.empty_on = empty_on  # an error code that means "there are none"

    def result(self) -> T:
        self.client._wait([self.future], self.what)
        try:
            raw = self.future.result()
        except KafkaException as exc:
            if self.empty_on is not None and exc.args[0].code() == self.empty_on:
                return self.convert({})
            raise self.client.translate(exc.args[0], self.what) from None
        return self.convert(raw)


# Config sources that are the topic's own settings; defaults and static broker
# settings are not the topic's and never count as drift.
_TOPIC_SOURCES = {ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
# DescribeConfigs of many topics: at most this many requests of at least the minimum each, so
# the count stops growing at 4,000 topics (one request up to 500).
_CONFIG_CHUNKS = 8
_CONFIG_CHUNK_MIN = 500
_DISCONNECTED = {KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE}
_DISCONNECTED_GRACE_S = 5.0
_REQUIRED_CLUSTER_OPERATIONS = ("DESCRIBE",)
_AUTH = {
    KafkaError._AUTHENTICATION,
    KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError.ILLEGAL_SASL_STATE,
    KafkaError.UNSUPPORTED_SASL_MECHANISM,
}


class KafkaClient:
    def __init__(self, config: dict[str, str], timeout_s: float = 30.0):
        self.bootstrap = config.get("bootstrap.servers", "?")
        self.broker_count: int | None = None  # known once check_connection has described the cluster
        self.username = config.get("sasl.username")
        self.timeout_s = timeout_s
        self.requests = 0
        self.logins = 0  # SCRAM logins made to verify stored passwords: one per principal, apart from requests
        self._settings = dict(config)  # for the short-lived clients that verify principals' passwords
        self._errors: list[KafkaError] = []
        # librdkafka settings plus callbacks and a logger, which confluent-kafka's hints (scalars only) leave out.
        conf: dict[str, Any] = {
            **config,
            "error_cb": self._errors.append,
            "logger": _rdkafka_log,
            "socket.connection.setup.timeout.ms": int(min(timeout_s, 10) * 1000),
        }
        try:
            self.admin = AdminClient(conf)
        except KafkaException as exc:
            raise KafkaClientError(f"invalid Kafka client setting: {exc.args[0].str()}") from None
        except (TypeError, ValueError) as exc:
            raise KafkaClientError(f"invalid Kafka client setting: {exc}") from None

    # -- plumbing ---------------------------------------------------------

    def _wait(self, futures: Iterable[Future], what: str) -> None:
        """Wait for futures while serving callbacks, failing fast on connection errors."""
        pending = list(futures)

        def done() -> bool:
            while pending and pending[-1].done():
                pending.pop()
            return not pending

        self._wait_until(done, lambda: wait(pending[-1:], timeout=0.05), what)

    def _wait_until(self, done: Callable[[], bool], block: Callable[[], object], what: str) -> None:
        """Wait until `done()`, blocking a short while at a time with `block()`, while serving
        callbacks and failing fast on connection errors."""
        started = time.monotonic()
        seen = len(self._errors)
        while not done():
            block()
            self.admin.poll(0)  # serve error_cb and log callbacks
            new = self._errors[seen:]
            for err in new:
                if err.code() in _AUTH:
                    raise self._auth_error(err)
            now = time.monotonic()
            # librdkafka retries an unreachable cluster until the request times out; once it
            # reports every broker down, give it a short grace and then say so.
            if any(e.code() in _DISCONNECTED for e in new) and now - started > _DISCONNECTED_GRACE_S:
                raise KafkaUnreachable(self._timeout_message(what, now - started))
            if now - started > self.timeout_s:
                raise KafkaUnreachable(self._timeout_message(what, now - started))

    def _auth_error(self, err: KafkaError) -> KafkaClientError:
        return KafkaClientError(
            f"Kafka at {self.bootstrap} refused the credentials of {self.username or 'the client'} "
            f"({err.str()}); check sasl_username and sasl_password (or MESHCTL_KAFKA_SASL_*)"
        )

    def _timeout_message(self, what: str, waited_s: float | None = None) -> str:
        waited = f"{waited_s if waited_s is not None else self.timeout_s:.0f}s"
        transport = [e for e in self._errors if e.code() in _DISCONNECTED]
        if transport or not self._errors:
            detail = f" ({transport[-1].str()})" if transport else ""
            return (
                f"cannot reach Kafka at {self.bootstrap} (bootstrap_servers) after {waited} "
                f"while trying to {what}{detail}"
            )
        return f"Kafka at {self.bootstrap} did not answer in {waited} to {what}: {self._errors[-1].str()}"

    def _result(self, future: Future[T], what: str) -> T:
        self._wait([future], what)
        try:
            return future.result()
        except KafkaException as exc:
            raise self.translate(exc.args[0], what) from None

    def translate(self, err: KafkaError, what: str) -> KafkaClientError:
        code = err.code()
        who = f"User:{self.username}" if self.username else "the client"
        if code in _AUTH:
            return self._auth_error(err)
        if code in _DISCONNECTED or code == KafkaError._TIMED_OUT:
            return KafkaClientError(self._timeout_message(what))
        if code in (
            KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.GROUP_AUTHORIZATION_FAILED,
            KafkaError.DELEGATION_TOKEN_AUTHORIZATION_FAILED,
        ):
            return KafkaClientError(
                f"{who} is not authorized to {what} on Kafka at {self.bootstrap}; meshctl needs an admin "
                "principal (ALTER and DESCRIBE on the cluster, ALTER_CONFIGS, CREATE and DELETE on topics)"
            )
        if code == KafkaError.SECURITY_DISABLED:
            return KafkaClientError(
                f"Kafka at {self.bootstrap} has no authorizer or SASL enabled, so meshctl cannot {what}"
            )
        return KafkaClientError(f"Kafka refused to {what}: {err.str()}")

    def _each(self, futures: Mapping[K, Future[Any]], what: str) -> dict[K, KafkaClientError | None]:
        """Results of a batched call, one per item: None for success or the error."""
        self._wait(futures.values(), what)
        out: dict[K, KafkaClientError | None] = {}
        for key, fut in futures.items():
            try:
                fut.result()
                out[key] = None
            except KafkaException as exc:
                out[key] = self.translate(exc.args[0], what)
        return out

    # -- reads ------------------------------------------------------------

    def check_connection(self) -> None:
        """Connect, authenticate, and make sure the principal may read cluster-wide state.

        DESCRIBE on the cluster is what listing ACLs and SCRAM users needs. Asking first
        gives a clear message, and avoids confluent-kafka 2.16's crash (heap corruption)
        when describe_user_scram_credentials is refused.
        """
        self.requests += 1
        future = self.admin.describe_cluster(include_authorized_operations=True, request_timeout=self.timeout_s)
        cluster = self._result(future, "describe the cluster")
        self.broker_count = len(getattr(cluster, "nodes", None) or []) or None
        # Every broker with DescribeCluster (2.8+) reports authorized operations (KIP-430);
        # it leaves them out when the principal may not see them, so none means none.
        allowed = {op.name for op in (getattr(cluster, "authorized_operations", None) or [])}
        missing = [op for op in _REQUIRED_CLUSTER_OPERATIONS if op not in allowed]
        if missing:
            who = f"User:{self.username}" if self.username else "the client"
            raise KafkaClientError(
                f"{who} is not authorized to {' and '.join(missing)} the cluster on Kafka at {self.bootstrap}; "
                "meshctl needs an admin principal (DESCRIBE and ALTER on the cluster, and CREATE, DELETE, "
                "DESCRIBE_CONFIGS and ALTER_CONFIGS on the topics it manages)"
            )

    def list_topics(self) -> dict[str, TopicInfo]:
        """All topics with partition counts and replication factors: one metadata request."""
        self.requests += 1
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                md = self.admin.list_topics(timeout=min(2.0, self.timeout_s))
                break
            except KafkaException as exc:
                err = exc.args[0]
                for e in self._errors:
                    if e.code() in _AUTH:
                        raise self._auth_error(e) from None
                waited = self.timeout_s - (deadline - time.monotonic())
                disconnected = any(e.code() in _DISCONNECTED for e in self._errors)
                if time.monotonic() > deadline or (disconnected and waited > _DISCONNECTED_GRACE_S):
                    raise self.translate(err, "list topics") from None
                self.admin.poll(0.1)
        out = {}
        for name, t in md.topics.items():
            if t.error is not None and t.error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                continue
            replicas = max((len(p.replicas) for p in t.partitions.values()), default=0)
            out[name] = TopicInfo(name, len(t.partitions), replicas)
        return out

    def describe_topic_configs(self, topics: list[str]) -> dict[str, dict[str, str]]:
        """The topics' own (dynamic) config entries, in a few requests whatever the count.

        The broker answers every entry of a topic (about 45, each with its synonyms), though
        only the topic's own are kept: at 10,000 topics, 450,000 entries and 340 MiB if read at
        once. So large reads go in at most `_CONFIG_CHUNKS` requests, sent together, and each
        topic's answer is cut down to its own entries as it arrives (in the client's background
        thread), so only one request's full answer is held at a time, and the broker works on
        the next request while this process converts the last.
        """
        if not topics:
            return {}
        chunks = config_chunks(topics)
        out: dict[str, dict[str, str]] = {}
        failed: dict[str, KafkaError] = {}
        lock = threading.Lock()
        left = [len(topics)]
        all_done = threading.Event()

        def keep_own(name: str, fut: Future[Any]) -> None:  # runs where the future completes
            try:
                entries = fut.result()
                own = {k: e.value for k, e in entries.items() if e.source in _TOPIC_SOURCES and not e.is_sensitive}
            except KafkaException as exc:
                with lock:
                    failed[name] = exc.args[0]
            except Exception as exc:  # anything else is this request's failure too, never a lost topic
                with lock:
                    failed[name] = KafkaError(KafkaError._FAIL, f"{type(exc).__name__}: {exc}")
            else:
                with lock:
                    out[name] = own
            with lock:
                left[0] -= 1
                if not left[0]:
                    all_done.set()

        for chunk in chunks:
            self.requests += 1
            futures = self.admin.describe_configs(
                [ConfigResource(ResourceType.TOPIC, t) for t in chunk], request_timeout=self.timeout_s
            )
            for resource, fut in futures.items():
                fut.add_done_callback(functools.partial(keep_own, resource.name))
            del futures  # the futures, and the full answer they hold, go once their topics are kept
        self._wait_until(all_done.is_set, lambda: all_done.wait(0.05), "describe topic configs")
        failed = {t: err for t, err in failed.items() if err.code() != KafkaError.UNKNOWN_TOPIC_OR_PART}
        if failed:  # deleted since listed: not there; anything else names the topics it failed for
            first = next(t for t in topics if t in failed)
            code = failed[first].code()
            alike = [t for t in topics if t in failed and failed[t].code() == code]
            raise self.translate(failed[first], f"describe the configs of {_topics_phrase(alike)}")
        return {t: out[t] for t in topics if t in out}

    def describe_acls(self) -> Pending[list[Acl]]:
        """Every ACL binding on the cluster: one request with a match-any filter.

        Returns at once; `.result()` waits, so other reads can run meanwhile."""
        self.requests += 1
        # None matches any name, principal and host (confluent-kafka's documented filter); its hints say str.
        flt = AclBindingFilter(
            ResourceType.ANY,
            None,  # type: ignore[arg-type]
            ResourcePatternType.ANY,
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        future = self.admin.describe_acls(flt, request_timeout=self.timeout_s)

        def convert(bindings: list[AclBinding]) -> list[Acl]:
            return [
                Acl(
                    b.principal,
                    b.host,
                    _name(b.restype),
                    b.name,
                    _name(b.resource_pattern_type),
                    _name(b.operation),
                    _name(b.permission_type),
                )
                for b in bindings
            ]

        return Pending(self, future, "describe ACLs", convert)

    def describe_scram_users(self) -> Pending[dict[str, list[tuple[str, int]]]]:
        """Every SCRAM user with its mechanisms: one request. Returns at once, like describe_acls."""
        self.requests += 1
        future = self.admin.describe_user_scram_credentials(request_timeout=self.timeout_s)

        def convert(result: dict) -> dict[str, list[tuple[str, int]]]:
            return {
                user: [(info.mechanism.name.replace("_", "-"), info.iterations) for info in d.scram_credential_infos]
                for user, d in result.items()
            }

        if not isinstance(future, Future):  # a dict of futures only when asked about named users
            raise TypeError("describe_user_scram_credentials() without users answers one future")
        # A cluster without any SCRAM user answers RESOURCE_NOT_FOUND rather than nothing.
        return Pending(self, future, "describe SCRAM users", convert, empty_on=KafkaError.RESOURCE_NOT_FOUND)

    def check_logins(
        self, users: Mapping[str, str], password_of: Callable[[str], str | None]
    ) -> dict[str, bool | None]:
        """Whether each principal's stored password still logs in (users: name -> mechanism).

        True: accepted; False: the broker refused it (changed out of band); None: nothing to
        tell (no stored password, no SASL listener, unreachable in time). One short-lived
        connection per principal, in parallel threads, so a mesh of many principals costs
        about one login timeout, not one per principal.
        """
        if not users or "SASL" not in self._settings.get("security.protocol", "").upper():
            return {}
        base = {k: v for k, v in self._settings.items() if not k.startswith("sasl.")}  # keep TLS settings
        timeout = min(self.timeout_s, _LOGIN_TIMEOUT_S)
        direct = scram_login.endpoints(self._settings)  # None: a setting only librdkafka honours

        def check(item: tuple[str, str]) -> tuple[str, bool | None]:
            user, mechanism = item
            password = password_of(user)
            if not password:
                return user, None
            if direct is not None:
                return user, scram_login.login(direct, mechanism, user, password, timeout)
            return user, _login({**base, "sasl.mechanism": mechanism, "sasl.username": user}, password, timeout)

        self.logins += len(users)
        with ThreadPoolExecutor(max_workers=min(_LOGIN_THREADS, len(users))) as pool:
            return dict(pool.map(check, sorted(users.items())))

    def consumer_groups(self, prefixes: tuple[str, ...]) -> list[str]:
        """Consumer groups whose id starts with one of `prefixes`: one listing request."""
        self.requests += 1
        listed = self._result(self.admin.list_consumer_groups(request_timeout=self.timeout_s), "list consumer groups")
        return sorted(g.group_id for g in listed.valid if g.group_id.startswith(prefixes))

    def committed_offsets(self, groups: list[str]) -> dict[str, dict[tuple[str, int], int]]:
        """Committed offsets of each group. The API takes one group per request, so all are
        sent at once and awaited together."""
        futures = {}
        for group in groups:
            self.requests += 1
            futures[group] = self.admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group)], request_timeout=self.timeout_s
            )[group]
        self._wait(futures.values(), "read committed offsets")
        out: dict[str, dict[tuple[str, int], int]] = {}
        for group, fut in futures.items():
            try:
                result = fut.result()
            except KafkaException as exc:
                raise self.translate(exc.args[0], f"read the offsets of consumer group {group}") from None
            out[group] = {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions if tp.offset >= 0}
        return out

    def group_states_and_offsets(
        self, groups: list[str]
    ) -> tuple[dict[str, tuple[str, int]], dict[str, dict[tuple[str, int], int]]]:
        """Each group's (state, members) and committed offsets. Batched over Kafka's protocol
        (group_reads: one FindCoordinator, then one DescribeGroups and one OffsetFetch per
        coordinator) when the connection settings allow; librdkafka, one group a request,
        for the rest (other settings, an older broker, a group its coordinator answered with
        an error for)."""
        if not groups:
            return {}, {}
        try:
            batched = group_reads.read_groups(self._settings, groups, self.timeout_s)
        except group_reads.Unsupported as exc:
            log.debug("batched group reads unavailable (%s): one group a request", exc)
            batched = group_reads.GroupReads(left=list(groups))
        except group_reads.Refused as exc:
            raise KafkaClientError(
                f"Kafka at {self.bootstrap} refused to describe the consumer groups ({exc}); meshctl needs an admin "
                "principal (DESCRIBE on the groups)"
            ) from None
        self.requests += batched.requests
        described, offsets = dict(batched.described), dict(batched.offsets)
        if batched.left or batched.undescribed:
            described.update(self.describe_groups(batched.left + batched.undescribed))
        if batched.left:
            offsets.update(self.committed_offsets(batched.left))
        return described, offsets

    def describe_groups(self, groups: list[str]) -> dict[str, tuple[str, int]]:
        """Each group's state and member count (group -> (state, members)). librdkafka sends one
        DescribeGroups request per group (all at once), so each counts; a group that cannot be
        described is "Unknown" with no members, never a failure of the whole report."""
        if not groups:
            return {}
        self.requests += len(groups)
        futures = self.admin.describe_consumer_groups(groups, request_timeout=self.timeout_s)
        self._wait(futures.values(), "describe consumer groups")
        out: dict[str, tuple[str, int]] = {}
        for group, fut in futures.items():
            try:
                d = fut.result()
            except KafkaException as exc:
                if exc.args[0].code() in _AUTH:
                    raise self._auth_error(exc.args[0]) from None
                out[group] = ("Unknown", 0)
                continue
            out[group] = (_group_state(d.state), len(d.members or []))
        return out

    def partition_offsets(
        self, partitions: list[tuple[str, int]], newest_record: bool = False
    ) -> dict[tuple[str, int], tuple[int, int]]:
        """(offset, timestamp ms) of each partition: the end offset, or with `newest_record` the
        offset and timestamp of the record with the largest timestamp (ListOffsets v7+, KIP-734;
        offset -1 for an empty partition). One request; a partition that does not answer (its
        topic deleted meanwhile) is left out."""
        if not partitions:
            return {}
        self.requests += 1
        spec = OffsetSpec.max_timestamp() if newest_record else OffsetSpec.latest()
        futures = self.admin.list_offsets(
            {TopicPartition(t, p): spec for t, p in partitions}, request_timeout=self.timeout_s
        )
        what = "read the newest records' timestamps" if newest_record else "read end offsets"
        self._wait(futures.values(), what)
        out: dict[tuple[str, int], tuple[int, int]] = {}
        for tp, fut in futures.items():
            try:
                info = fut.result()
            except KafkaException as exc:
                if exc.args[0].code() in _AUTH or exc.args[0].code() in _DISCONNECTED:
                    raise self.translate(exc.args[0], what) from None
                continue
            out[(tp.topic, tp.partition)] = (info.offset, info.timestamp)
        return out

    def end_offsets(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Latest offset of each partition: one request."""
        if not partitions:
            return {}
        self.requests += 1
        request = {TopicPartition(t, p): OffsetSpec.latest() for t, p in partitions}
        futures = self.admin.list_offsets(request, request_timeout=self.timeout_s)
        self._wait(futures.values(), "read end offsets")
        return {(tp.topic, tp.partition): fut.result().offset for tp, fut in futures.items()}

    def offset_bounds(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """Earliest and latest offset of each partition: the records a topic still holds.
        Both lookups go out at once (a partition appears once per request) and are awaited together."""
        if not partitions:
            return {}
        self.requests += 2
        earliest = self.admin.list_offsets(
            {TopicPartition(t, p): OffsetSpec.earliest() for t, p in partitions}, request_timeout=self.timeout_s
        )
        latest = self.admin.list_offsets(
            {TopicPartition(t, p): OffsetSpec.latest() for t, p in partitions}, request_timeout=self.timeout_s
        )
        self._wait([*earliest.values(), *latest.values()], "read topic offsets")
        out: dict[tuple[str, int], tuple[int, int]] = {}
        for tp, fut in latest.items():
            try:  # a partition that cannot answer is left out: its topic's count stays unknown
                out[(tp.topic, tp.partition)] = (earliest[tp].result().offset, fut.result().offset)
            except KafkaException:
                continue
        return out

    # -- writes: one request per kind of change, split only where the controller's limit demands

    def _batched(
        self,
        items: list[X],
        weight: Callable[[X], int],
        call: Callable[[list[X]], Mapping[K, Future[Any]]],
        what: str,
    ) -> dict[K, KafkaClientError | None]:
        """Send `items` in as few requests as the KRaft controller accepts.

        The controller refuses an operation of more than 10,000 metadata records
        ("excessively large batch"), so large batches go in chunks of a records budget.
        """
        out: dict[K, KafkaClientError | None] = {}
        chunk: list[X] = []
        used = 0
        for item in items:
            w = weight(item)
            if chunk and used + w > _RECORDS_PER_REQUEST:
                self.requests += 1
                out.update(self._each(call(chunk), what))
                chunk, used = [], 0
            chunk.append(item)
            used += w
        if chunk:
            self.requests += 1
            out.update(self._each(call(chunk), what))
        return out

    def create_topics(
        self, topics: list[tuple[str, int, int | None, dict[str, str]]]
    ) -> dict[str, KafkaClientError | None]:
        new = [
            NewTopic(n, num_partitions=p, replication_factor=-1 if rf is None else rf, config=dict(c))
            for n, p, rf, c in topics
        ]
        return self._batched(
            new,
            lambda t: 1 + t.num_partitions + len(t.config or {}),
            lambda chunk: self.admin.create_topics(
                chunk, operation_timeout=self.timeout_s, request_timeout=self.timeout_s
            ),
            "create topics",
        )

    def delete_topics(self, names: list[str]) -> dict[str, KafkaClientError | None]:
        return self._batched(
            names,
            lambda _: 1,
            lambda chunk: self.admin.delete_topics(
                chunk, operation_timeout=self.timeout_s, request_timeout=self.timeout_s
            ),
            "delete topics",
        )

    def _settle(self, what: str, settled: Callable[[], bool]) -> bool:
        """Poll `settled` (one batched read a call) until it holds, with a short backoff, for at
        most `timeout_s`. The controller acknowledges a change before every broker serves it,
        so what reads the cluster next (a plan) could see the old value.

        A change that has not shown by then is not an error: the broker accepted it, and the
        next plan shows whatever is still missing. False, logged at debug, says so.
        """
        deadline = time.monotonic() + self.timeout_s
        pause = _SETTLE_FIRST_PAUSE_S
        while not settled():
            if time.monotonic() + pause > deadline:
                log.debug(
                    "%s: not visible yet after %.1fs; the broker accepted it, so apply goes on", what, self.timeout_s
                )
                return False
            time.sleep(pause)
            pause = min(pause * 2, _SETTLE_MAX_PAUSE_S)
        return True

    def wait_topics_gone(self, names: list[str]) -> bool:
        """Topic deletion is asynchronous; wait before a topic of the same name is re-created."""
        return self._settle("deleted topics", lambda: not set(names) & set(self.list_topics()))

    def wait_topics_present(self, names: list[str]) -> bool:
        """The controller acknowledges a new topic before the broker's metadata lists it (a
        re-created one especially): wait, so what reads the cluster next (a plan) sees it."""
        return self._settle("created topics", lambda: set(names) <= set(self.list_topics()))

    def wait_partitions(self, counts: Mapping[str, int]) -> bool:
        """Wait until the metadata lists each topic with at least its new partition count:
        one metadata request a poll."""

        def settled() -> bool:
            live = self.list_topics()
            return all(t in live and live[t].partitions >= n for t, n in counts.items())

        return not counts or self._settle("added partitions", settled)

    def wait_topic_configs(self, changes: list[ConfigChange]) -> bool:
        """Wait until describe_configs reads each altered topic's set keys with their new values
        and its deleted keys gone: one request a poll for all the topics not settled yet."""
        pending = {c.topic: c for c in changes}

        def settled() -> bool:
            live = self.describe_topic_configs(sorted(pending))
            for topic, c in list(pending.items()):
                have = live.get(topic)
                if have is not None and all(have.get(k) == v for k, v in c.set.items()):
                    if not any(k in have for k in c.delete):
                        del pending[topic]
            return not pending

        return not changes or self._settle("altered topic configs", settled)

    def wait_scram_users(self, present: Mapping[str, tuple[str, int]], absent: Iterable[tuple[str, str]] = ()) -> bool:
        """Wait until describe_user_scram_credentials lists each `present` user (name ->
        (mechanism, iterations)) with that credential, and no `absent` (name, mechanism):
        one request a poll."""
        gone = list(absent)

        def settled() -> bool:
            users = self.describe_scram_users().result()
            return all((mech, iters) in users.get(name, []) for name, (mech, iters) in present.items()) and not any(
                mech in dict(users.get(name, [])) for name, mech in gone
            )

        return (not present and not gone) or self._settle("SCRAM credentials", settled)

    def wait_logins(self, users: Mapping[str, tuple[str, str]]) -> bool:
        """Wait until each user (name -> (mechanism, password)) logs in with that password: the
        read-back of a changed password, which describe_user_scram_credentials cannot show (it
        lists a credential's mechanism and iterations, not its salt). One login a user a poll,
        in parallel; a user the check cannot tell about (no SASL listener) is not waited for."""
        pending = dict(users)

        def settled() -> bool:
            verdicts = self.check_logins({u: m for u, (m, _) in pending.items()}, lambda u: pending[u][1])
            for user in list(pending):
                if verdicts.get(user) is not False:
                    del pending[user]
            return not pending

        return not users or self._settle("changed SCRAM passwords", settled)

    def create_partitions(self, counts: dict[str, int]) -> dict[str, KafkaClientError | None]:
        return self._batched(
            [NewPartitions(t, n) for t, n in counts.items()],
            lambda p: p.new_total_count,
            lambda chunk: self.admin.create_partitions(
                chunk, operation_timeout=self.timeout_s, request_timeout=self.timeout_s
            ),
            "add partitions",
        )

    def alter_topic_configs(self, changes: list[ConfigChange]) -> dict[str, KafkaClientError | None]:
        resources = []
        for c in changes:
            entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in c.set.items()]
            entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in c.delete]
            resources.append(ConfigResource(ResourceType.TOPIC, c.topic, incremental_configs=entries))
        results = self._batched(
            resources,
            lambda r: len(r.incremental_configs),
            lambda chunk: self.admin.incremental_alter_configs(chunk, request_timeout=self.timeout_s),
            "alter topic configs",
        )
        return {r.name: err for r, err in results.items()}

    def create_acls(self, acls: list[Acl]) -> dict[Acl, KafkaClientError | None]:
        bindings = {_binding(a): a for a in acls}
        results = self._batched(
            list(bindings),
            lambda _: 1,
            lambda chunk: self.admin.create_acls(chunk, request_timeout=self.timeout_s),
            "create ACLs",
        )
        return {bindings[b]: err for b, err in results.items()}

    def delete_acls(self, acls: list[Acl]) -> dict[Acl, KafkaClientError | None]:
        filters = {_filter(a): a for a in acls}
        results = self._batched(
            list(filters),
            lambda _: 1,
            lambda chunk: self.admin.delete_acls(chunk, request_timeout=self.timeout_s),
            "delete ACLs",
        )
        return {filters[f]: err for f, err in results.items()}

    def upsert_scram_users(self, users: dict[str, tuple[str, int, str]]) -> dict[str, KafkaClientError | None]:
        """users: name -> (mechanism, iterations, password)."""
        alterations: list[UserScramCredentialAlteration] = [
            UserScramCredentialUpsertion(name, ScramCredentialInfo(_mechanism(mech), iters), password.encode())
            for name, (mech, iters, password) in users.items()
        ]
        return self._batched(
            alterations,
            lambda _: 1,
            lambda chunk: self.admin.alter_user_scram_credentials(chunk, request_timeout=self.timeout_s),
            "create SCRAM users",
        )

    def delete_scram_users(self, users: dict[str, str]) -> dict[str, KafkaClientError | None]:
        """users: name -> mechanism."""
        deletions: list[UserScramCredentialAlteration] = [
            UserScramCredentialDeletion(n, _mechanism(m)) for n, m in users.items()
        ]
        return self._batched(
            deletions,
            lambda _: 1,
            lambda chunk: self.admin.alter_user_scram_credentials(chunk, request_timeout=self.timeout_s),
            "delete SCRAM users",
        )


_LOGIN_TIMEOUT_S = 10.0
_LOGIN_THREADS = 16


def _login(settings: dict[str, str], password: str, timeout_s: float) -> bool | None:
    """One SASL login and a DescribeCluster request, which the broker answers to every
    authenticated principal without checking any ACL. Not a metadata request of all topics: the
    broker authorizes each topic of one for the principal, which at 10,000 topics took 0.25 s a
    login on an idle broker and, 16 logins at a time, longer than the login timeout (every
    verdict was then "cannot tell")."""
    errors: list[KafkaError] = []
    # librdkafka settings plus callbacks and a logger, which confluent-kafka's hints (scalars only) leave out.
    conf: dict[str, Any] = {
        **settings,
        "sasl.password": password,
        "error_cb": errors.append,
        "logger": _rdkafka_log,
        "socket.connection.setup.timeout.ms": int(timeout_s * 1000),
    }
    try:
        admin = AdminClient(conf)
    except (KafkaException, TypeError, ValueError):
        return None
    deadline = time.monotonic() + timeout_s
    future = admin.describe_cluster(request_timeout=timeout_s)
    while True:
        try:
            future.result(timeout=0.1)
            return True
        except FutureTimeout:
            admin.poll(0)  # serve error_cb: a refused login arrives there
        except KafkaException as exc:
            if exc.args[0].code() in _AUTH:
                return False
            admin.poll(0.1)  # failed otherwise (the broker restarting): ask again, until the deadline
            future = admin.describe_cluster(request_timeout=timeout_s)
        if any(e.code() in _AUTH for e in errors):
            return False
        if time.monotonic() > deadline:
            return None


def config_chunks(topics: list[str]) -> list[list[str]]:
    """The DescribeConfigs requests for `topics`: at most `_CONFIG_CHUNKS`, each of at least
    `_CONFIG_CHUNK_MIN` topics (all in one below that)."""
    size = max(_CONFIG_CHUNK_MIN, -(-len(topics) // _CONFIG_CHUNKS))
    return [topics[i : i + size] for i in range(0, len(topics), size)]


def _topics_phrase(names: list[str], shown: int = 5) -> str:
    """`topic a` or `topics a, b, c, d, e and 2,495 more`: an error names the topics it is about."""
    if len(names) == 1:
        return f"topic {names[0]}"
    if len(names) <= shown:
        return f"topics {', '.join(names[:-1])} and {names[-1]}"
    return f"topics {', '.join(names[:shown])} and {len(names) - shown:,} more"


def _mechanism(name: str) -> ScramMechanism:
    return ScramMechanism[name.replace("-", "_")]


_AclParts = tuple[ResourceType, str, ResourcePatternType, str, str, AclOperation, AclPermissionType]


def _parts(a: Acl) -> _AclParts:
    """`a` in the order confluent-kafka's bindings and filters take it."""
    return (
        ResourceType[a.resource_type],
        a.resource_name,
        ResourcePatternType[a.pattern_type],
        a.principal,
        a.host,
        AclOperation[a.operation],
        AclPermissionType[a.permission],
    )


def _binding(a: Acl) -> AclBinding:
    return AclBinding(*_parts(a))


def _filter(a: Acl) -> AclBindingFilter:
    """The filter that matches exactly the binding of `a` (to delete it)."""
    return AclBindingFilter(*_parts(a))


def _group_state(state: object) -> str:
    """`ConsumerGroupState.STABLE` -> "Stable": the state as Kafka's own tools spell it."""
    name = _name(state) if isinstance(state, Enum | str | int) else str(state)
    words = name.replace("_", " ").title().replace(" ", "")
    return words.removesuffix("ing") if words.endswith("Rebalancing") else words


def _name(value: Enum | str | int) -> str:
    """An enum member's name: confluent-kafka's bindings hold the enums their constructor was given or made."""
    return value.name if isinstance(value, Enum) else str(value)


_rdkafka_log.addHandler(logging.NullHandler())
_rdkafka_log.propagate = False
