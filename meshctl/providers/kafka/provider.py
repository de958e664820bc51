"""The Kafka provider: refresh and apply topics, ACLs and SCRAM users in batches."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from meshctl.address import Address
from meshctl.attributes import BadAttributesError, KafkaAcl, KafkaScramUser, KafkaTopic, attributes_of
from meshctl.credentials import CredentialStore, fingerprint
from meshctl.naming import acl_name
from meshctl.plan.model import ResourceChange
from meshctl.plan.observed import GroupLag
from meshctl.plan.usage_observed import ClusterUsage, GroupObservation
from meshctl.providers.base import (
    ChangeResult,
    Managed,
    RefreshesAhead,
    ReportsBrokerCount,
    ReportsConsumerPositions,
    ReportsRecordCounts,
    ReportsUsage,
)
from meshctl.providers.kafka.client import (
    Acl,
    ConfigChange,
    KafkaClient,
    KafkaClientError,
    KafkaUnreachable,
)

T = TypeVar("T")


class _Background(Generic[T]):
    """A call in a daemon thread (Ctrl-C in the main thread need not wait for it); `result()`
    waits and returns its value or raises its exception."""

    def __init__(self, call: Callable[[], T]):
        self._value: list[T] = []  # the one value, once the call returned
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), name="meshctl-kafka-users", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._value.append(call())
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value[0]


class KafkaProvider(ReportsBrokerCount, ReportsRecordCounts, ReportsConsumerPositions, ReportsUsage, RefreshesAhead):
    name = "kafka"

    def __init__(self, connect: Callable[[], KafkaClient], credentials: CredentialStore):
        self._connect = connect
        self._client: KafkaClient | None = None
        self.credentials = credentials

    @property
    def client(self) -> KafkaClient:
        if self._client is None:
            self._client = self._connect()
            self._client.check_connection()
        return self._client

    @property
    def requests(self) -> int:
        return self._client.requests if self._client else 0

    def broker_count(self) -> int | None:
        """The cluster's brokers, as refresh found them (None before Kafka was asked anything)."""
        return self._client.broker_count if self._client else None

    # -- refresh ------------------------------------------------------------

    def refresh_key(self, managed: Managed) -> tuple[object, ...]:
        """refresh reads a topic's name; a user's name, mechanism and the fingerprint state
        recorded of its password; nothing of an ACL (the listing is the cluster's)."""
        attributes, recorded = managed.attributes, managed.recorded or {}
        if managed.type == "kafka_scram_user":
            return (
                managed.address,
                managed.type,
                attributes.get("name"),
                attributes.get("mechanism"),
                recorded.get("password"),
            )
        return (managed.address, managed.type, attributes.get("name"))

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        """Live attributes of the managed resources, and what else the same listings show
        (topics, ACLs and SCRAM users nobody declared) under their own addresses, so the plan
        can tell what sits in managed namespaces without another request."""
        by_type: dict[str, list[Managed]] = defaultdict(list)
        for m in managed:
            by_type[m.type].append(m)
        actual: dict[str, dict[str, object]] = {}
        # ACLs and users are read while the topic metadata and configs are: one round trip overlaps the others.
        # ACLs are listed whenever anything is managed: who else may use a managed topic, and what
        # else a managed principal may do, are part of the plan.
        acls = self.client.describe_acls() if managed else None
        users_read = self.client.describe_scram_users() if by_type["kafka_scram_user"] else None
        # The login checks (client CPU: one PBKDF2 each) run while the broker answers for the
        # topics: at 10,000 products 404 logins took 1.6 s after the topics' 4 s, now beside them.
        users = (
            _Background(lambda: self._refresh_users(by_type["kafka_scram_user"], users_read.result()))
            if users_read is not None
            else None
        )
        if by_type["kafka_topic"]:
            actual.update(self._refresh_topics(by_type["kafka_topic"]))
        if acls is not None:
            actual.update(group_acls(acls.result()))
        if users is not None:
            actual.update(users.result())
        return actual

    def _refresh_users(
        self, managed: list[Managed], users: Mapping[str, list[tuple[str, int]]]
    ) -> dict[str, dict[str, object]]:
        """Each principal's managed credential, plus what was changed next to it out of band:
        another SCRAM mechanism (`other_mechanisms`), or a password that no longer logs in
        (`authenticates = false`), or a stored password other than the one apply last set, as
        state's fingerprint of it tells (`password_applied = false`: a rotation stopped after the
        store, before the broker had it). Those keys appear only then, so the plan sets them right."""
        out: dict[str, dict[str, object]] = {}
        to_verify: dict[str, str] = {}
        for m in managed:
            name = str(m.attributes["name"])
            mechanisms = dict(users.get(name, []))
            mech = str(m.attributes.get("mechanism"))
            if mech in mechanisms:
                live: dict[str, object] = {"name": name, "mechanism": mech, "iterations": mechanisms[mech]}
                others = sorted(set(mechanisms) - {mech})
                if others:
                    live["other_mechanisms"] = others
                out[m.address] = live
                to_verify[name] = mech
            elif mechanisms:  # exists with another mechanism: a replace
                other = next(iter(mechanisms))
                out[m.address] = {"name": name, "mechanism": other, "iterations": mechanisms[other]}
        stored: dict[str, str | None] = {}

        def password_of(user: str) -> str | None:  # read once: the fingerprint check below uses it too
            stored[user] = self._stored_password(user)
            return stored[user]

        verdicts = self.client.check_logins(to_verify, password_of)
        applied = {str(m.attributes["name"]): m.recorded.get("password") for m in managed if m.recorded}
        applied = {n: fp for n, fp in applied.items() if n in to_verify and isinstance(fp, str) and fp}
        unread = sorted(set(applied) - set(stored))  # no login was tried (no SASL listener): read them now
        if unread:
            with ThreadPoolExecutor(max_workers=min(16, len(unread))) as pool:
                stored.update(zip(unread, pool.map(self._stored_password, unread), strict=True))
        for m in managed:
            name = str(m.attributes["name"])
            if verdicts.get(name) is False:
                out[m.address]["authenticates"] = False
            password = stored.get(name)
            if name in applied and password and fingerprint(password) != applied[name]:
                out[m.address]["password_applied"] = False
        managed_names = {str(m.attributes["name"]) for m in managed}
        for user, listed in users.items():
            if user not in managed_names and listed:
                mech, iterations = listed[0]
                out[str(Address.of("kafka_scram_user", user))] = {
                    "name": user,
                    "mechanism": mech,
                    "iterations": iterations,
                }
        return out

    def _stored_password(self, user: str) -> str | None:
        """The password meshctl handed the principal, to log in with; read in a worker thread."""
        try:
            return self.credentials.get(user)
        except Exception as exc:  # a store's own error (a file, Secrets Manager): one clear sentence
            raise KafkaClientError(
                f"cannot read the stored password of User:{user} at {self.credentials.location(user)} to check "
                f"that it still logs in: {exc}"
            ) from None

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        """All topics (configs only for those under the given prefixes), ACLs and SCRAM users."""
        acls = self.client.describe_acls()
        users = self.client.describe_scram_users()
        live = self.client.list_topics()
        wanted = sorted(n for n in live if with_configs_under and n.startswith(with_configs_under))
        configs = self.client.describe_topic_configs(wanted)
        out: dict[str, dict[str, object]] = {}
        for name, info in live.items():
            if name.startswith("__"):
                continue  # Kafka's internal topics
            topic: dict[str, object] = {
                "name": name,
                "partitions": info.partitions,
                "replication_factor": info.replication_factor,
            }
            if name in configs:
                topic["config"] = dict(sorted(configs[name].items()))
            out[str(Address.of("kafka_topic", name))] = topic
        out.update(group_acls(acls.result()))
        for user, mechanisms in users.result().items():
            mech, iterations = mechanisms[0]
            out[str(Address.of("kafka_scram_user", user))] = {"name": user, "mechanism": mech, "iterations": iterations}
        return out

    def consumer_positions(self, topics: list[str], group_prefixes: tuple[str, ...]) -> dict[str, tuple[GroupLag, ...]]:
        """For each topic, the consumer groups (under the prefixes) with committed offsets on it,
        and their lag: what a migration needs to know before an old version may go."""
        if not topics or not group_prefixes:
            return {}
        groups = self.client.consumer_groups(group_prefixes)
        committed = self.client.committed_offsets(groups)
        wanted = set(topics)
        partitions = sorted({tp for offsets in committed.values() for tp in offsets if tp[0] in wanted})
        ends = self.client.end_offsets(partitions)
        out: dict[str, list[GroupLag]] = {t: [] for t in topics}
        for group in groups:
            per_topic: dict[str, int] = {}
            for (topic, partition), offset in committed[group].items():
                if topic in wanted:
                    per_topic[topic] = per_topic.get(topic, 0) + max(ends.get((topic, partition), offset) - offset, 0)
            for topic, lag in per_topic.items():
                out[topic].append(GroupLag(group, lag))
        return {t: tuple(lags) for t, lags in out.items()}

    def usage(self, topics: list[str], group_prefixes: tuple[str, ...]) -> ClusterUsage:
        """The report's facts: topic metadata, the groups listed, described and their offsets
        fetched (batched), end offsets and the newest records' timestamps: one request each."""
        present = self.end_offsets_of(topics)
        parts = [(t, p) for t, count in sorted(present.partitions.items()) for p in range(count)]
        groups = self.client.consumer_groups(group_prefixes) if group_prefixes else []
        described, committed = self.client.group_states_and_offsets(groups)
        newest = self.client.partition_offsets(parts, newest_record=True)
        return ClusterUsage(
            partitions=present.partitions,
            end_offsets=present.end_offsets,
            newest={tp: ts for tp, (offset, ts) in newest.items() if offset >= 0 and ts >= 0},
            groups=tuple(
                GroupObservation(g, *described.get(g, ("Unknown", 0)), offsets=committed.get(g, {})) for g in groups
            ),
        )

    def end_offsets_of(self, topics: list[str]) -> ClusterUsage:
        live = self.client.list_topics()
        present = {t: live[t].partitions for t in topics if t in live}
        parts = [(t, p) for t, count in sorted(present.items()) for p in range(count)]
        ends = self.client.partition_offsets(parts)
        return ClusterUsage(partitions=present, end_offsets={tp: offset for tp, (offset, _) in ends.items()})

    def topic_records(self, partitions: Mapping[str, int]) -> dict[str, int]:
        """How many records each topic (name -> partition count) still holds: end minus start
        offset summed over its partitions. A fact the plan needs before deleting a topic."""
        wanted = [(t, p) for t, count in sorted(partitions.items()) for p in range(count)]
        bounds = self.client.offset_bounds(wanted)
        out: dict[str, int] = {}
        for topic, count in partitions.items():
            found = [bounds[(topic, p)] for p in range(count) if (topic, p) in bounds]
            if len(found) == count:  # a topic with a silent partition stays unknown: it may hold data
                out[topic] = sum(max(end - start, 0) for start, end in found)
        return out

    def _refresh_topics(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        live = self.client.list_topics()
        names = {m.address: str(m.attributes["name"]) for m in managed}
        present = sorted({n for n in names.values() if n in live})
        configs = self.client.describe_topic_configs(present)
        out: dict[str, dict[str, object]] = {}
        for address, name in names.items():
            if name in live and name in configs:
                info = live[name]
                out[address] = {
                    "name": name,
                    "partitions": info.partitions,
                    "replication_factor": info.replication_factor,
                    "config": dict(sorted(configs[name].items())),
                }
        wanted = set(names.values())
        for name, info in live.items():  # the rest of the listing, for the plan's unmanaged section
            if name not in wanted and not name.startswith("__"):
                address = str(Address.of("kafka_topic", name))
                out[address] = {
                    "name": name,
                    "partitions": info.partitions,
                    "replication_factor": info.replication_factor,
                }
        return out

    # -- apply --------------------------------------------------------------

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._guarded(self._delete, changes)

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._guarded(self._apply, changes)

    def _guarded(
        self, step: Callable[[list[ResourceChange]], list[ChangeResult]], changes: list[ResourceChange]
    ) -> list[ChangeResult]:
        try:
            return step(changes)
        except KafkaUnreachable:
            # Drop the client and the requests it still queues: a request sent after we gave up
            # would change the cluster behind the state's back.
            self._client = None
            raise

    def _delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        by_type = _by_type(changes)
        if by_type["kafka_acl"]:
            acls = {c.address: _acls_of(c.before or {}) for c in by_type["kafka_acl"]}
            acl_outcome = self.client.delete_acls([a for group in acls.values() for a in group])
            results += [_result(addr, [acl_outcome[a] for a in group], None) for addr, group in acls.items()]
        if by_type["kafka_topic"]:
            names = {c.address: str((c.before or {})["name"]) for c in by_type["kafka_topic"]}
            topic_outcome = self.client.delete_topics(list(names.values()))
            gone = [n for n in names.values() if topic_outcome.get(n) is None]
            if gone:
                self.client.wait_topics_gone(gone)
            results += [_result(addr, [topic_outcome[n]], None) for addr, n in names.items()]
        if by_type["kafka_scram_user"]:
            users = {
                c.address: (str((c.before or {})["name"]), str((c.before or {})["mechanism"]))
                for c in by_type["kafka_scram_user"]
            }
            outcome = self.client.delete_scram_users(dict(users.values()))
            self.client.wait_scram_users({}, [(n, m) for n, m in users.values() if outcome.get(n) is None])
            for addr, (name, _) in users.items():
                if outcome[name] is None and not any(
                    c.is_replace for c in by_type["kafka_scram_user"] if c.address == addr
                ):
                    self.credentials.delete(name)
                results.append(_result(addr, [outcome[name]], None))
        return results

    def _apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        by_type = _by_type(changes)
        if by_type["kafka_scram_user"]:
            results += self._apply_users(by_type["kafka_scram_user"])
        if by_type["kafka_topic"]:
            results += self._apply_topics(by_type["kafka_topic"])
        if by_type["kafka_acl"]:
            results += self._apply_acls(by_type["kafka_acl"])
        return results

    def _apply_users(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        """Set each user's stored password (made and stored first when there is none), remove
        mechanisms added out of band, and wait until the brokers serve the result.

        A requested replace is a rotation, in this order: a new password is stored in place of
        the old one (the store holds one or the other, never neither); the broker's credential
        is upserted with it (same mechanism: the old password stops opening new connections);
        apply waits until the new password logs in; state then records its fingerprint. A
        failure after the store leaves it ahead of the broker: the next plan sees the stored
        password's fingerprint differ from the recorded one and sets it (`password_applied`)."""
        users: dict[str, tuple[str, int, str]] = {}
        not_stored: dict[str, KafkaClientError] = {}
        rotated: dict[str, tuple[str, str]] = {}
        for c in changes:
            after = attributes_of(KafkaScramUser, c.after or {}, c.address)
            name, mech = after["name"], after["mechanism"]
            if not c.replace_requested:
                users[name] = (mech, after["iterations"], self.credentials.get_or_create(name, mech))
                continue
            try:
                password = self.credentials.rotate(name, mech)
            except Exception as exc:  # a store's own error (a file, Secrets Manager): nothing reached the broker
                not_stored[name] = KafkaClientError(
                    f"the new password of User:{name} could not be stored at {self.credentials.location(name)}, "
                    f"so the broker was left as it was: {exc}"
                )
                continue
            users[name] = (mech, after["iterations"], password)
            rotated[name] = (mech, password)
        outcome: dict[str, KafkaClientError | None] = {**self.client.upsert_scram_users(users), **not_stored}
        # A mechanism added next to the managed one out of band is a second way in: remove it.
        extra = [
            (str((c.after or {})["name"]), str(m))
            for c in changes
            for m in _listed((c.before or {}).get("other_mechanisms"), "other_mechanisms")
        ]
        removed: dict[str, KafkaClientError | None] = {}
        gone: list[tuple[str, str]] = []
        for mechanism in sorted({m for _, m in extra}):  # one request per mechanism: a user appears once in each
            answer = self.client.delete_scram_users({n: m for n, m in extra if m == mechanism})
            for user, err in answer.items():  # a failed removal is kept: a later success must not hide it
                if removed.get(user) is None:
                    removed[user] = err
            gone += [(n, mechanism) for n, err in answer.items() if err is None]
        self.client.wait_scram_users(
            {n: (mech, iters) for n, (mech, iters, _) in users.items() if outcome.get(n) is None}, gone
        )
        self.client.wait_logins({n: pair for n, pair in rotated.items() if outcome.get(n) is None})
        results = []
        for c in changes:
            name = str((c.after or {})["name"])
            outcome[name] = outcome[name] or removed.get(name)
            if name in not_stored:
                results.append(_result(c.address, [outcome[name]], None))
                continue
            state = {
                **(c.after or {}),
                "password": fingerprint(users[name][2]),
                "credentials": self.credentials.location(name),
            }
            results.append(_result(c.address, [outcome[name]], state))
        return results

    def _apply_topics(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        creates = [c for c in changes if "create" in c.actions]
        updates = [c for c in changes if c.actions == ("update",)]
        errors: dict[str, list[KafkaClientError | None]] = defaultdict(list)
        created = self.client.create_topics(
            [
                (a["name"], a["partitions"], a["replication_factor"], dict(a["config"]))
                for a in (attributes_of(KafkaTopic, c.after or {}, c.address) for c in creates)
            ]
        )
        for c in creates:
            errors[c.address].append(created[str((c.after or {})["name"])])
        made = [name for name, err in created.items() if err is None]
        if made:
            self.client.wait_topics_present(made)
        partitions: dict[str, int] = {}
        config_changes: list[ConfigChange] = []
        topic_address: dict[str, str] = {}
        for c in updates:
            before, after = c.before or {}, attributes_of(KafkaTopic, c.after or {}, c.address)
            name = after["name"]
            topic_address[name] = c.address
            if after["partitions"] != before.get("partitions"):
                partitions[name] = after["partitions"]
            new_cfg = after["config"]
            old_cfg = before.get("config")
            old_cfg = old_cfg if isinstance(old_cfg, Mapping) else {}
            to_set = {k: v for k, v in new_cfg.items() if old_cfg.get(k) != v}
            to_delete = tuple(k for k in old_cfg if k not in new_cfg)
            if to_set or to_delete:
                config_changes.append(ConfigChange(name, to_set, to_delete))
        grown = self.client.create_partitions(partitions)
        for name, err in grown.items():
            errors[topic_address[name]].append(err)
        altered = self.client.alter_topic_configs(config_changes)
        for name, err in altered.items():
            errors[topic_address[name]].append(err)
        # Wait, as for created topics, until the brokers serve what the controller committed.
        self.client.wait_partitions({t: n for t, n in partitions.items() if grown.get(t) is None})
        self.client.wait_topic_configs([c for c in config_changes if altered.get(c.topic) is None])
        return [_result(c.address, errors[c.address], c.after) for c in creates + updates]

    def _apply_acls(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        to_create: dict[str, list[Acl]] = {}
        to_delete: dict[str, list[Acl]] = {}
        for c in changes:
            wanted = set(_acls_of(c.after or {}))
            have = set(_acls_of(c.before or {})) if c.actions == ("update",) else set()
            to_create[c.address] = sorted(wanted - have, key=str)
            to_delete[c.address] = sorted(have - wanted, key=str)
        created = self.client.create_acls([a for group in to_create.values() for a in group])
        deleted = self.client.delete_acls([a for group in to_delete.values() for a in group])
        self._await_acls(
            {a for a, err in created.items() if err is None}, {a for a, err in deleted.items() if err is None}
        )
        return [
            _result(
                c.address,
                [created[a] for a in to_create[c.address]] + [deleted[a] for a in to_delete[c.address]],
                c.after,
            )
            for c in changes
        ]

    def _await_acls(self, present: set[Acl], absent: set[Acl]) -> None:
        """Wait until the authorizer serves what the controller committed.

        Brokers apply ACL changes from the metadata log asynchronously: without this, a
        plan or a client right after apply can still see the old ACLs.
        """
        if not present and not absent:
            return
        deadline = time.monotonic() + _PROPAGATION_TIMEOUT_S
        while True:
            live = set(self.client.describe_acls().result())
            if present <= live and not (absent & live):
                return
            if time.monotonic() > deadline:
                return  # the next plan shows whatever is still missing
            time.sleep(0.2)


_PROPAGATION_TIMEOUT_S = 30.0


def group_acls(bindings: list[Acl]) -> dict[str, dict[str, object]]:
    """ALLOW bindings grouped by principal, resource and host into one address each.

    meshctl writes `User:` principals for any host; a binding of another principal type or
    for one host gets an address of its own (`Group:ops/...`, `.../name@10.0.0.5`), so an
    escalation of that shape is seen too. DENY bindings take access away: left alone.

    Group names may contain any character, so two bindings can spell the same address (a
    LITERAL group `g*` and a PREFIXED `g`, a group `g@h` and group `g` for host `h`). The
    shape meshctl writes (any host, PREFIXED) keeps the plain address; the other gets a
    suffix from its identity, so no binding hides behind another's address."""
    groups: dict[str, KafkaAcl] = {}
    operations: dict[str, set[str]] = {}
    # Each binding's group, by identity: a group's bindings (one per operation) are named once.
    address_of: dict[tuple[str, str, str, str, str], str] = {}
    for b in sorted(bindings, key=_meshctl_shape_first):
        if b.permission != "ALLOW":
            continue
        key = (b.principal, b.resource_type, b.resource_name, b.pattern_type, b.host)
        address = address_of.get(key)
        if address is None:
            address = address_of[key] = _acl_address(b, groups)
            groups.setdefault(
                address,
                KafkaAcl(
                    principal=b.principal,
                    resource_type=b.resource_type,
                    resource_name=b.resource_name,
                    pattern_type=b.pattern_type,
                    host=b.host,
                    operations=[],
                ),
            )
            operations.setdefault(address, set())
        operations[address].add(b.operation)
    for address, g in groups.items():
        g["operations"] = sorted(operations[address])
    return {address: dict(g) for address, g in groups.items()}


def _acl_address(b: Acl, groups: Mapping[str, KafkaAcl]) -> str:
    """The address of the group of binding `b`, given the groups already named."""
    who = b.principal if b.principal.startswith("User:") else f"_:{b.principal}"
    name = acl_name(who, b.resource_type, b.resource_name, b.pattern_type)
    if b.host != "*":
        name += f"@{b.host}"
    identity = {
        "principal": b.principal,
        "resource_type": b.resource_type,
        "resource_name": b.resource_name,
        "pattern_type": b.pattern_type,
        "host": b.host,
    }
    address = str(Address.of("kafka_acl", name))
    taken = groups.get(address)
    if taken is not None and {k: v for k, v in taken.items() if k in identity} != identity:
        name += "#" + hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
        address = str(Address.of("kafka_acl", name))
    return address


def _meshctl_shape_first(b: Acl) -> tuple[object, ...]:
    return (b.principal, b.resource_type, b.host != "*", b.pattern_type != "PREFIXED", b.resource_name, b.host)


def _acls_of(attrs: Mapping[str, object]) -> list[Acl]:
    if not attrs:
        return []
    return [
        Acl(
            str(attrs["principal"]),
            str(attrs.get("host", "*")),
            str(attrs["resource_type"]),
            str(attrs["resource_name"]),
            str(attrs["pattern_type"]),
            str(op),
            "ALLOW",
        )
        for op in _listed(attrs["operations"], "operations", required=True)
    ]


def _listed(value: object, name: str, required: bool = False) -> list[object]:
    """The list member `name` of recorded attributes; absent (None) is empty unless required."""
    if isinstance(value, list):
        return value
    if value is None and not required:
        return []
    raise BadAttributesError(f"attribute {name!r} should be a list, not {type(value).__name__}")


def _by_type(changes: list[ResourceChange]) -> defaultdict[str, list[ResourceChange]]:
    out: defaultdict[str, list[ResourceChange]] = defaultdict(list)
    for c in changes:
        out[c.type].append(c)
    return out


def _result(
    address: str, errors: list[KafkaClientError | None], attributes: Mapping[str, object] | None
) -> ChangeResult:
    failures = [str(e) for e in errors if e is not None]
    if failures:
        return ChangeResult(address, "; ".join(dict.fromkeys(failures)))
    return ChangeResult(address, "", attributes)
