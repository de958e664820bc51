"""Many consumer groups' states and committed offsets in a few requests, over Kafka's protocol.

confluent-kafka's `list_consumer_group_offsets` takes one group a call, and librdkafka sends
DescribeGroups one group a request, so a report of 1,000 groups would cost 2,000 requests.
The protocol batches both: FindCoordinator v4 (KIP-699) finds every group's coordinator in
one request, and DescribeGroups v5 and OffsetFetch v8 (KIP-709) each take all the groups a
coordinator holds. So here: one FindCoordinator, then per coordinator one DescribeGroups and
one OffsetFetch, over the SCRAM session meshctl's login check already speaks
(scram_login.open_session, with the same TLS settings).

Only connections this module reproduces exactly take this path (scram_login.endpoints); with
any other setting, a broker older than Kafka 3.0, a group the coordinator answers with an
error for, the caller reads those groups through librdkafka one group at a time. A group of
the KIP-848 protocol, which DescribeGroups shows as "Dead", is described with one
ConsumerGroupDescribe request per coordinator (Kafka 4.0+; librdkafka describes it otherwise).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.providers.kafka import scram_login

_API_VERSIONS, _FIND_COORDINATOR, _DESCRIBE_GROUPS, _OFFSET_FETCH = 18, 10, 15, 9
_CONSUMER_GROUP_DESCRIBE = 69  # KIP-848 groups (Kafka 4.0+)
_FIND_V, _DESCRIBE_V, _FETCH_V, _CONSUMER_DESCRIBE_V = 4, 5, 8, 0
_GROUP_AUTHORIZATION_FAILED = 30
_CLIENT_ID = b"meshctl-report"
# Kafka's group states as DescribeGroups spells them; anything else reads "Unknown".
_STATES = frozenset(
    {"Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead", "Assigning", "Reconciling"}
)


class Unsupported(Exception):
    """This path cannot serve the request: the caller falls back to librdkafka."""


class Refused(Exception):
    """The broker refused the credentials or the principal may not describe the groups."""


@dataclass
class GroupReads:
    """What the batched path learnt: group -> (state, members), group -> committed offsets,
    the requests it sent (FindCoordinator, DescribeGroups, OffsetFetch), and the groups it
    could not serve (their coordinator answered with an error): the caller reads those itself,
    and describes the `undescribed` ones."""

    described: dict[str, tuple[str, int]] = field(default_factory=dict)
    offsets: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)
    requests: int = 0
    left: list[str] = field(default_factory=list)
    undescribed: list[str] = field(default_factory=list)  # offsets read, state not (KIP-848 groups)


# -- encoding (KIP-482 compact types) ------------------------------------------------------


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _compact_string(text: str) -> bytes:
    raw = text.encode()
    return _uvarint(len(raw) + 1) + raw


def _compact_array(items: list[bytes]) -> bytes:
    return _uvarint(len(items) + 1) + b"".join(items)


_NO_TAGS = b"\x00"


class _Reader:
    """A response body, read field by field."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def _take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def int8(self) -> int:
        return self._take(">b")

    def int16(self) -> int:
        return self._take(">h")

    def int32(self) -> int:
        return self._take(">i")

    def int64(self) -> int:
        return self._take(">q")

    def uvarint(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data):
                raise struct.error("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise struct.error("varint too long")

    def compact_bytes(self) -> bytes | None:
        n = self.uvarint()
        if n == 0:
            return None
        end = self.pos + n - 1
        if end > len(self.data):
            raise struct.error("truncated field")
        raw, self.pos = self.data[self.pos : end], end
        return raw

    def compact_string(self) -> str | None:
        raw = self.compact_bytes()
        return None if raw is None else raw.decode("utf-8", "replace")

    def array_length(self) -> int:
        n = self.uvarint()
        return max(n - 1, 0)

    def tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            size = self.uvarint()
            self.pos += size

    def int16_array(self) -> int:  # non-flexible array length (ApiVersions v0)
        return self.int32()


# -- requests ---------------------------------------------------------------------------------


def _api_versions(session: scram_login.Session, timeout_s: float) -> dict[int, tuple[int, int]]:
    r = _Reader(session.call(_API_VERSIONS, 0, b"", False, timeout_s))
    error = r.int16()
    if error:
        raise Unsupported(f"ApiVersions error {error}")
    out = {}
    for _ in range(r.int16_array()):
        key, low, high = r.int16(), r.int16(), r.int16()
        out[key] = (low, high)
    return out


def _find_coordinators(
    session: scram_login.Session, groups: list[str], timeout_s: float
) -> dict[str, tuple[int, str, int] | None]:
    """group -> (node id, host, port), None for a group the broker answered with an error."""
    body = struct.pack(">b", 0) + _compact_array([_compact_string(g) for g in groups]) + _NO_TAGS
    r = _Reader(session.call(_FIND_COORDINATOR, _FIND_V, body, True, timeout_s))
    r.int32()  # throttle_time_ms
    out: dict[str, tuple[int, str, int] | None] = {}
    for _ in range(r.array_length()):
        key = r.compact_string() or ""
        node, host, port = r.int32(), r.compact_string() or "", r.int32()
        error = r.int16()
        r.compact_string()  # error_message
        r.tags()
        if error == _GROUP_AUTHORIZATION_FAILED:
            raise Refused(f"not authorized to describe consumer group {key}")
        out[key] = (node, host, port) if not error else None
    r.tags()
    return out


def _describe_groups(
    session: scram_login.Session, groups: list[str], timeout_s: float
) -> dict[str, tuple[str, int] | None]:
    body = _compact_array([_compact_string(g) for g in groups]) + struct.pack(">?", False) + _NO_TAGS
    r = _Reader(session.call(_DESCRIBE_GROUPS, _DESCRIBE_V, body, True, timeout_s))
    r.int32()  # throttle_time_ms
    out: dict[str, tuple[str, int] | None] = {}
    for _ in range(r.array_length()):
        error = r.int16()
        group = r.compact_string() or ""
        state = r.compact_string() or ""
        r.compact_string()  # protocol_type
        r.compact_string()  # protocol_data
        members = r.array_length()
        for _ in range(members):
            r.compact_string()  # member_id
            r.compact_string()  # group_instance_id
            r.compact_string()  # client_id
            r.compact_string()  # client_host
            r.compact_bytes()  # member_metadata
            r.compact_bytes()  # member_assignment
            r.tags()
        r.int32()  # authorized_operations
        r.tags()
        if error == _GROUP_AUTHORIZATION_FAILED:
            raise Refused(f"not authorized to describe consumer group {group}")
        # "Dead" with committed offsets: a KIP-848 group (group.protocol=consumer), which the
        # classic DescribeGroups cannot see into; handed back, for librdkafka to describe.
        out[group] = (state if state in _STATES else "Unknown", members) if not error and state != "Dead" else None
    r.tags()
    return out


def _assignment(r: _Reader) -> None:
    """Skip an Assignment: topic partitions (topic id, name, partitions), tagged fields."""
    for _ in range(r.array_length()):
        r.pos += 16  # topic_id (UUID)
        r.compact_string()  # topic_name
        for _ in range(r.array_length()):
            r.int32()
        r.tags()
    r.tags()


def _describe_consumer_groups(
    session: scram_login.Session, groups: list[str], timeout_s: float
) -> dict[str, tuple[str, int] | None]:
    """ConsumerGroupDescribe v0: the state and members of KIP-848 groups, all in one request."""
    body = _compact_array([_compact_string(g) for g in groups]) + struct.pack(">?", False) + _NO_TAGS
    r = _Reader(session.call(_CONSUMER_GROUP_DESCRIBE, _CONSUMER_DESCRIBE_V, body, True, timeout_s))
    r.int32()  # throttle_time_ms
    out: dict[str, tuple[str, int] | None] = {}
    for _ in range(r.array_length()):
        error = r.int16()
        r.compact_string()  # error_message
        group = r.compact_string() or ""
        state = r.compact_string() or ""
        r.int32()  # group_epoch
        r.int32()  # assignment_epoch
        r.compact_string()  # assignor_name
        members = r.array_length()
        for _ in range(members):
            r.compact_string()  # member_id
            r.compact_string()  # instance_id
            r.compact_string()  # rack_id
            r.int32()  # member_epoch
            r.compact_string()  # client_id
            r.compact_string()  # client_host
            for _ in range(r.array_length()):
                r.compact_string()  # subscribed_topic_names
            r.compact_string()  # subscribed_topic_regex
            _assignment(r)  # assignment
            _assignment(r)  # target_assignment
            r.tags()
        r.int32()  # authorized_operations
        r.tags()
        if error == _GROUP_AUTHORIZATION_FAILED:
            raise Refused(f"not authorized to describe consumer group {group}")
        out[group] = (state if state in _STATES else "Unknown", members) if not error else None
    r.tags()
    return out


def _fetch_offsets(
    session: scram_login.Session, groups: list[str], timeout_s: float
) -> dict[str, dict[tuple[str, int], int] | None]:
    """Every committed offset of each group (topics null: all of them)."""
    entries = [_compact_string(g) + _uvarint(0) + _NO_TAGS for g in groups]
    body = _compact_array(entries) + struct.pack(">?", False) + _NO_TAGS
    r = _Reader(session.call(_OFFSET_FETCH, _FETCH_V, body, True, timeout_s))
    r.int32()  # throttle_time_ms
    out: dict[str, dict[tuple[str, int], int] | None] = {}
    for _ in range(r.array_length()):
        group = r.compact_string() or ""
        offsets: dict[tuple[str, int], int] = {}
        failed = False
        for _ in range(r.array_length()):
            topic = r.compact_string() or ""
            for _ in range(r.array_length()):
                partition, offset = r.int32(), r.int64()
                r.int32()  # committed_leader_epoch
                r.compact_string()  # metadata
                if r.int16():
                    failed = True
                elif offset >= 0:
                    offsets[(topic, partition)] = offset
                r.tags()
            r.tags()
        error = r.int16()
        r.tags()
        if error == _GROUP_AUTHORIZATION_FAILED:
            raise Refused(f"not authorized to read the offsets of consumer group {group}")
        out[group] = None if error or failed else offsets
    r.tags()
    return out


def read_groups(settings: Mapping[str, str], groups: list[str], timeout_s: float) -> GroupReads:
    """States, member counts and committed offsets of `groups`. Raises Unsupported when the
    settings or the broker call for librdkafka, Refused when the broker says no."""
    where = scram_login.endpoints(settings)
    mechanism = settings.get("sasl.mechanism") or settings.get("sasl.mechanisms") or ""
    user, password = settings.get("sasl.username"), settings.get("sasl.password")
    if where is None or not user or not password:
        raise Unsupported("connection settings only librdkafka honours")
    result = GroupReads()
    if not groups:
        return result
    sessions: dict[tuple[str, int], scram_login.Session] = {}

    def session_to(address: tuple[str, int] | None) -> scram_login.Session:
        if address is not None and address in sessions:
            return sessions[address]
        try:
            opened = scram_login.open_session(where, mechanism, user, password, timeout_s, address, _CLIENT_ID)
        except scram_login.CannotConnect as exc:
            if exc.refused:
                raise Refused(str(exc)) from None
            raise Unsupported(str(exc)) from None
        sessions[opened.address] = opened
        return opened

    try:
        first = session_to(None)
        versions = _api_versions(first, timeout_s)
        for key, version in ((_FIND_COORDINATOR, _FIND_V), (_DESCRIBE_GROUPS, _DESCRIBE_V), (_OFFSET_FETCH, _FETCH_V)):
            low, high = versions.get(key, (1, 0))
            if not low <= version <= high:
                raise Unsupported(f"the broker does not speak version {version} of API {key} (Kafka 3.0+ does)")
        result.requests += 1
        coordinators = _find_coordinators(first, groups, timeout_s)
        by_coordinator: dict[tuple[str, int], list[str]] = {}
        for group in groups:
            found = coordinators.get(group)
            if found is None:
                result.left.append(group)
            else:
                by_coordinator.setdefault((found[1], found[2]), []).append(group)
        low, high = versions.get(_CONSUMER_GROUP_DESCRIBE, (1, 0))
        kip848 = low <= _CONSUMER_DESCRIBE_V <= high
        for address, members in by_coordinator.items():
            session = session_to(address)
            result.requests += 2
            described = _describe_groups(session, members, timeout_s)
            fetched = _fetch_offsets(session, members, timeout_s)
            unseen = [g for g in members if described.get(g) is None]
            if unseen and kip848:  # KIP-848 groups, which DescribeGroups shows as "Dead"
                result.requests += 1
                described.update(
                    {g: v for g, v in _describe_consumer_groups(session, unseen, timeout_s).items() if v is not None}
                )
            for group in members:
                state, offsets = described.get(group), fetched.get(group)
                if offsets is None:
                    result.left.append(group)
                    continue
                result.offsets[group] = offsets
                if state is None:
                    result.undescribed.append(group)
                else:
                    result.described[group] = state
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise Unsupported(f"the batched group read failed: {exc}") from None
    finally:
        for s in sessions.values():
            s.close()
    return result
