"""The Python SCRAM login: which settings it takes, and the RFC 7677 exchange byte for byte.

The "broker" here is a socketpair answering with RFC 7677's SCRAM-SHA-256 example (user
`user`, password `pencil`), framed as Kafka's SaslHandshake v1 and SaslAuthenticate v1; the
real broker is tests/integration/test_scram_login.py.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from meshctl.providers.kafka import scram_login

CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
CLIENT_FINAL = (
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

PLAIN = {"bootstrap.servers": "127.0.0.1:9092", "security.protocol": "SASL_PLAINTEXT"}


# -- which settings take the Python path --------------------------------------------------


def test_plaintext_sasl_settings_give_the_bootstrap_servers_in_order() -> None:
    found = scram_login.endpoints({**PLAIN, "bootstrap.servers": "a:1, SASL_PLAINTEXT://b:2,[::1]:3"})
    assert found is not None and found.tls is None
    assert found.addresses == (("a", 1), ("b", 2), ("::1", 3))


@pytest.mark.parametrize(
    "extra",
    [
        {"socket.keepalive.enable": "true"},  # changes the connection: librdkafka's to make
        {"client.dns.lookup": "resolve_canonical_bootstrap_servers_only"},
        {"broker.address.family": "v4"},
        {"sasl.oauthbearer.method": "oidc"},
        {"ssl.ca.location": "/ca.pem"},  # TLS settings on a plaintext listener: something is off
    ],
)
def test_a_setting_only_librdkafka_honours_keeps_the_librdkafka_login(extra: dict[str, str]) -> None:
    assert scram_login.endpoints({**PLAIN, **extra}) is None


@pytest.mark.parametrize(
    "settings",
    [
        {"bootstrap.servers": "a:1", "security.protocol": "PLAINTEXT"},
        {"bootstrap.servers": "a:1", "security.protocol": "SSL"},
        {**PLAIN, "bootstrap.servers": "no-port"},
        {**PLAIN, "bootstrap.servers": ""},
        {"bootstrap.servers": "a:1"},
    ],
)
def test_no_sasl_or_no_usable_address_means_no_python_login(settings: dict[str, str]) -> None:
    assert scram_login.endpoints(settings) is None


def test_sasl_ssl_maps_librdkafkas_tls_settings_onto_an_ssl_context() -> None:
    strict = scram_login.endpoints({**PLAIN, "security.protocol": "SASL_SSL"})
    assert strict is not None and strict.tls is not None and strict.tls.check_hostname
    loose = scram_login.endpoints(
        {**PLAIN, "security.protocol": "SASL_SSL", "ssl.endpoint.identification.algorithm": "none"}
    )
    assert loose is not None and loose.tls is not None and not loose.tls.check_hostname
    # A CA file that cannot be read: librdkafka logs in and reports it in its own words.
    assert scram_login.endpoints({**PLAIN, "security.protocol": "SASL_SSL", "ssl.ca.location": "/nope.pem"}) is None


# -- the exchange ---------------------------------------------------------------------------


def _frame(body: bytes, correlation: int) -> bytes:
    payload = struct.pack(">i", correlation) + body
    return struct.pack(">i", len(payload)) + payload


def _read_request(conn: socket.socket) -> tuple[int, int, bytes]:
    size = struct.unpack(">i", _recv(conn, 4))[0]
    data = _recv(conn, size)
    api_key, version, correlation, client_id_length = struct.unpack_from(">hhih", data)
    assert version == 1
    return api_key, correlation, data[10 + client_id_length :]


def _recv(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        assert chunk, "the client closed the connection early"
        data += chunk
    return data


def _auth_response(token: bytes, error: int = 0) -> bytes:
    return struct.pack(">hh", error, -1) + struct.pack(">i", len(token)) + token + struct.pack(">q", 0)


Broker = Callable[[socket.socket, list[bytes]], None]


def rfc_broker(final: str = SERVER_FINAL, refuse_final: bool = False, handshake_error: int = 0) -> Broker:
    def serve(conn: socket.socket, seen: list[bytes]) -> None:
        api_key, correlation, body = _read_request(conn)
        assert api_key == 17 and body == struct.pack(">h", 13) + b"SCRAM-SHA-256"
        conn.sendall(
            _frame(struct.pack(">hi", handshake_error, 1) + struct.pack(">h", 13) + b"SCRAM-SHA-256", correlation)
        )
        if handshake_error:
            return
        api_key, correlation, body = _read_request(conn)
        seen.append(body[4:])
        conn.sendall(_frame(_auth_response(SERVER_FIRST.encode()), correlation))
        api_key, correlation, body = _read_request(conn)
        seen.append(body[4:])
        answer = _auth_response(b"", error=58) if refuse_final else _auth_response(final.encode())
        conn.sendall(_frame(answer, correlation))

    return serve


@contextmanager
def serving(broker: Broker) -> Iterator[tuple[scram_login.Endpoints, list[bytes]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []
    errors: list[BaseException] = []

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            try:
                broker(conn, seen)
            except BaseException as exc:  # reported by the test, not lost in the thread
                errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield scram_login.Endpoints((("127.0.0.1", listener.getsockname()[1]),), None), seen
    finally:
        thread.join(5)
        listener.close()
    assert not errors, errors


@pytest.fixture(autouse=True)
def rfc_nonce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scram_login.secrets, "token_urlsafe", lambda n: CLIENT_NONCE)


def test_the_exchange_sends_rfc_7677s_messages_and_accepts_the_servers_signature() -> None:
    with serving(rfc_broker()) as (where, seen):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is True
    assert seen == [f"n,,n=user,r={CLIENT_NONCE}".encode(), CLIENT_FINAL.encode()]


def test_a_refused_proof_is_false() -> None:
    with serving(rfc_broker(refuse_final=True)) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is False


def test_a_server_that_does_not_know_the_password_cannot_vouch_for_it() -> None:
    forged = "v=" + "A" * 43 + "="
    with serving(rfc_broker(final=forged)) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is None


def test_a_mechanism_the_listener_lacks_tells_nothing() -> None:
    with serving(rfc_broker(handshake_error=33)) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is None


def test_a_server_error_message_is_a_refusal() -> None:
    with serving(rfc_broker(final="e=invalid-proof")) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is False


def test_a_silent_server_is_cut_off_at_the_deadline() -> None:
    def silent(conn: socket.socket, seen: list[bytes]) -> None:
        _read_request(conn)
        threading.Event().wait(1.0)

    with serving(silent) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 0.3) is None


@pytest.mark.parametrize(
    "server_first",
    [
        "r=someone-elses-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        f"r={CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",  # CPU for nothing
        f"r={CLIENT_NONCE}x,s=!!!,i=4096",
        "garbage",
    ],
)
def test_a_server_first_message_that_is_not_scram_tells_nothing(server_first: str) -> None:
    def odd(conn: socket.socket, seen: list[bytes]) -> None:
        _, correlation, _ = _read_request(conn)
        conn.sendall(_frame(struct.pack(">hi", 0, 0), correlation))
        _, correlation, _ = _read_request(conn)
        conn.sendall(_frame(_auth_response(server_first.encode()), correlation))

    with serving(odd) as (where, _):
        assert scram_login.login(where, "SCRAM-SHA-256", "user", "pencil", 5) is None


def test_user_names_are_escaped_as_rfc_5802_says() -> None:
    assert scram_login._saslname("a=b,c") == "a=3Db=2Cc"


def test_an_unknown_mechanism_is_not_attempted() -> None:
    assert scram_login.login(scram_login.Endpoints((("127.0.0.1", 1),), None), "PLAIN", "u", "p", 1) is None
