"""The batched group reads (providers/kafka/group_reads): the requests' bytes, the responses
parsed field by field, and when the caller is handed groups back (an error for a group, an
old broker, settings only librdkafka honours). The responses here are packed by hand, as the
Kafka protocol's JSON message definitions lay them out; the real broker is
tests/integration/test_report.py."""

from __future__ import annotations

import struct

import pytest

from meshctl.providers.kafka import group_reads, scram_login

SETTINGS = {
    "bootstrap.servers": "127.0.0.1:9092",
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "admin",
    "sasl.password": "pw",
}


def cs(text: str | None) -> bytes:
    """COMPACT_(NULLABLE_)STRING: unsigned varint length + 1 (0: null), then the bytes (short here)."""
    if text is None:
        return b"\x00"
    raw = text.encode()
    assert len(raw) < 127
    return bytes([len(raw) + 1]) + raw


def arr(items: list[bytes]) -> bytes:
    assert len(items) < 127
    return bytes([len(items) + 1]) + b"".join(items)


TAGS = b"\x00"


def find_response(entries: list[tuple[str, int, str, int, int]]) -> bytes:
    body = [cs(k) + struct.pack(">i", node) + cs(host) + struct.pack(">ih", port, err) + cs(None) + TAGS
            for k, node, host, port, err in entries]  # fmt: skip
    return struct.pack(">i", 0) + arr(body) + TAGS


def describe_response(entries: list[tuple[int, str, str, int]]) -> bytes:
    groups = []
    for err, group, state, members in entries:
        member = cs("m") + cs(None) + cs("client") + cs("/127.0.0.1") + cs("meta") + cs("assign") + TAGS
        groups.append(
            struct.pack(">h", err) + cs(group) + cs(state) + cs("consumer") + cs("range")
            + arr([member] * members) + struct.pack(">i", -2147483648) + TAGS
        )  # fmt: skip
    return struct.pack(">i", 0) + arr(groups) + TAGS


def fetch_response(entries: list[tuple[str, list[tuple[str, list[tuple[int, int, int]]]], int]]) -> bytes:
    groups = []
    for group, topics, err in entries:
        t = []
        for name, parts in topics:
            rows = [struct.pack(">iqi", p, off, -1) + cs("") + struct.pack(">h", e) + TAGS for p, off, e in parts]
            t.append(cs(name) + arr(rows) + TAGS)
        groups.append(cs(group) + arr(t) + struct.pack(">h", err) + TAGS)
    return struct.pack(">i", 0) + arr(groups) + TAGS


def versions_response(apis: dict[int, tuple[int, int]]) -> bytes:
    body = b"".join(struct.pack(">hhh", k, lo, hi) for k, (lo, hi) in apis.items())
    return struct.pack(">hi", 0, len(apis)) + body


MODERN = {18: (0, 4), 10: (0, 6), 15: (0, 6), 9: (1, 10), 69: (0, 1)}


def consumer_describe_response(entries: list[tuple[int, str, str, int]]) -> bytes:
    """ConsumerGroupDescribe v0: each member with a subscription and an assignment of one topic."""
    groups = []
    for err, group, state, members in entries:
        assignment = arr([bytes(16) + cs("t") + arr([struct.pack(">i", 0), struct.pack(">i", 1)]) + TAGS]) + TAGS
        member = (
            cs("m") + cs(None) + cs(None) + struct.pack(">i", 3) + cs("client") + cs("/127.0.0.1")
            + arr([cs("t")]) + cs(None) + assignment + assignment + TAGS
        )  # fmt: skip
        groups.append(
            struct.pack(">h", err) + cs(None) + cs(group) + cs(state) + struct.pack(">ii", 3, 3) + cs("uniform")
            + arr([member] * members) + struct.pack(">i", -2147483648) + TAGS
        )  # fmt: skip
    return struct.pack(">i", 0) + arr(groups) + TAGS


class FakeSession:
    """Answers each API key with a canned response; records (api, version, body, flexible)."""

    def __init__(self, answers: dict[int, bytes], address: tuple[str, int] = ("127.0.0.1", 9092)):
        self.answers, self.address = answers, address
        self.calls: list[tuple[int, int, bytes, bool]] = []
        self.closed = False

    def call(self, api_key: int, version: int, body: bytes, flexible: bool, timeout_s: float) -> bytes:
        self.calls.append((api_key, version, body, flexible))
        if api_key not in self.answers:
            raise OSError("connection closed")
        return self.answers[api_key]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> FakeSession:
    fake = FakeSession({18: versions_response(MODERN)})

    def open_session(*args: object, **kwargs: object) -> FakeSession:
        return fake

    monkeypatch.setattr(scram_login, "open_session", open_session)
    return fake


def test_the_three_requests_batch_every_group(session: FakeSession) -> None:
    session.answers[10] = find_response([("g1", 1, "127.0.0.1", 9092, 0), ("g2", 1, "127.0.0.1", 9092, 0)])
    session.answers[15] = describe_response([(0, "g1", "Stable", 2), (0, "g2", "Empty", 0)])
    session.answers[9] = fetch_response(
        [("g1", [("t", [(0, 5, 0), (1, -1, 0)])], 0), ("g2", [("t", [(0, 9, 0)]), ("u", [(3, 1, 0)])], 0)]
    )
    found = group_reads.read_groups(SETTINGS, ["g1", "g2"], 5.0)
    assert found.described == {"g1": ("Stable", 2), "g2": ("Empty", 0)}
    assert found.offsets == {"g1": {("t", 0): 5}, "g2": {("t", 0): 9, ("u", 3): 1}}  # -1: none committed
    assert found.left == [] and found.requests == 3
    assert [(api, version, flexible) for api, version, _, flexible in session.calls] == [
        (18, 0, False),
        (10, 4, True),
        (15, 5, True),
        (9, 8, True),
    ]
    # FindCoordinator v4: key_type 0 (group), both keys; OffsetFetch v8: each group with topics null
    assert session.calls[1][2] == b"\x00" + arr([cs("g1"), cs("g2")]) + TAGS
    assert session.calls[3][2] == arr([cs("g1") + b"\x00" + TAGS, cs("g2") + b"\x00" + TAGS]) + b"\x00" + TAGS
    assert session.calls[2][2] == arr([cs("g1"), cs("g2")]) + b"\x00" + TAGS
    assert session.closed


def test_groups_with_an_error_are_handed_back(session: FakeSession) -> None:
    session.answers[10] = find_response(
        [("g1", 1, "127.0.0.1", 9092, 0), ("g2", 1, "127.0.0.1", 9092, 0), ("g3", -1, "", -1, 15)]
    )
    session.answers[15] = describe_response([(0, "g1", "Dead", 0), (14, "g2", "", 0)])  # g1: KIP-848; g2: loading
    session.answers[9] = fetch_response([("g1", [("t", [(0, 1, 0)])], 0), ("g2", [("t", [(0, 1, 3)])], 0)])
    session.answers[69] = consumer_describe_response([(69, "g1", "", 0)])  # GROUP_ID_NOT_FOUND there too
    found = group_reads.read_groups(SETTINGS, ["g1", "g2", "g3"], 5.0)
    # g1's offsets are read, its state is not; g2's partition error and g3's coordinator: all left
    assert sorted(found.left) == ["g2", "g3"] and found.undescribed == ["g1"]
    assert found.described == {} and found.offsets == {"g1": {("t", 0): 1}}


def test_kip848_groups_are_described_in_one_more_request(session: FakeSession) -> None:
    session.answers[10] = find_response([("g1", 1, "127.0.0.1", 9092, 0), ("g2", 1, "127.0.0.1", 9092, 0)])
    session.answers[15] = describe_response([(0, "g1", "Stable", 1), (0, "g2", "Dead", 0)])
    session.answers[9] = fetch_response([("g1", [("t", [(0, 1, 0)])], 0), ("g2", [("t", [(1, 2, 0)])], 0)])
    session.answers[69] = consumer_describe_response([(0, "g2", "Reconciling", 2)])
    found = group_reads.read_groups(SETTINGS, ["g1", "g2"], 5.0)
    assert found.described == {"g1": ("Stable", 1), "g2": ("Reconciling", 2)}
    assert found.requests == 4 and found.left == [] and found.undescribed == []
    assert session.calls[-1][:2] == (69, 0) and session.calls[-1][2] == arr([cs("g2")]) + b"\x00" + TAGS
    # a broker without ConsumerGroupDescribe: the group is handed back to be described
    session.answers[18] = versions_response({k: v for k, v in MODERN.items() if k != 69})
    again = group_reads.read_groups(SETTINGS, ["g1", "g2"], 5.0)
    assert again.undescribed == ["g2"] and again.offsets["g2"] == {("t", 1): 2} and again.requests == 3


def test_a_refused_group_is_refused(session: FakeSession) -> None:
    session.answers[10] = find_response([("g1", 1, "127.0.0.1", 9092, 30)])
    with pytest.raises(group_reads.Refused, match="g1"):
        group_reads.read_groups(SETTINGS, ["g1"], 5.0)


def test_an_old_broker_is_unsupported(session: FakeSession) -> None:
    session.answers[18] = versions_response({**MODERN, 10: (0, 3)})  # FindCoordinator without batching
    with pytest.raises(group_reads.Unsupported, match="Kafka 3.0"):
        group_reads.read_groups(SETTINGS, ["g1"], 5.0)


def test_a_truncated_answer_is_unsupported(session: FakeSession) -> None:
    session.answers[10] = find_response([("g1", 1, "127.0.0.1", 9092, 0)])[:-6]
    with pytest.raises(group_reads.Unsupported):
        group_reads.read_groups(SETTINGS, ["g1"], 5.0)


@pytest.mark.parametrize(
    "settings",
    [
        {**SETTINGS, "socket.keepalive.enable": "true"},  # only librdkafka honours it
        {**SETTINGS, "security.protocol": "PLAINTEXT"},
        {k: v for k, v in SETTINGS.items() if k != "sasl.password"},
    ],
)
def test_settings_the_session_cannot_serve_are_unsupported(settings: dict[str, str]) -> None:
    with pytest.raises(group_reads.Unsupported):
        group_reads.read_groups(settings, ["g1"], 5.0)


def test_no_groups_no_request(session: FakeSession) -> None:
    assert group_reads.read_groups(SETTINGS, [], 5.0).requests == 0 and session.calls == []


def test_varints_round_trip() -> None:
    for n in (0, 1, 127, 128, 300, 16384, 2**31):
        assert group_reads._Reader(group_reads._uvarint(n)).uvarint() == n
