"""Check a SCRAM password with one login over Kafka's own protocol, without librdkafka.

Refresh asks, for every principal meshctl manages, whether its stored password still logs
in: a password changed out of band shows as drift, which DescribeUserScramCredentials
cannot show (it lists mechanisms and iteration counts, never salts). A librdkafka client
per principal cost ~21 ms of CPU (its own PBKDF2 plus a client's threads and buffers): 4.8 s
of a 10,000-product plan with 404 principals. Here a login is one TCP connection, a
SaslHandshake and the two SaslAuthenticate round trips of RFC 5802, and the salted password
comes from hashlib's PBKDF2, which releases the GIL: ~3 ms a principal, in parallel.

Only settings this module honours exactly take this path (see `endpoints`); anything else
(a keystore, a proxy, OAUTHBEARER, custom DNS handling) keeps the librdkafka login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import ssl
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass

_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
_SASL_HANDSHAKE, _SASL_AUTHENTICATE = 17, 36
_SASL_AUTHENTICATION_FAILED = 58
_CLIENT_ID = b"meshctl-login-check"
# Kafka accepts 4096..16384 iterations; a server asking for far more is not a Kafka broker
# worth burning CPU for.
_MAX_ITERATIONS = 100_000
_MAX_FRAME = 1 << 20
# TLS settings this module maps onto Python's ssl module, exactly as librdkafka reads them.
_TLS_KEYS = frozenset(
    {
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.key.password",
        "ssl.endpoint.identification.algorithm",
        "enable.ssl.certificate.verification",
    }
)
# Settings that change how a connection is made: with one of them, librdkafka logs in.
_CONNECTION_PREFIXES = ("ssl.", "socket.", "broker.", "client.dns", "resolve", "sasl.", "enable.ssl", "connections.")
_SASL_KEYS = frozenset({"sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password"})


class _Refused(Exception):
    """The broker refused the credentials."""


class _CannotTell(Exception):
    """The exchange failed for a reason other than the credentials."""


@dataclass(frozen=True)
class Endpoints:
    """Where and how to connect: the bootstrap servers in order, and TLS if the listener has it."""

    addresses: tuple[tuple[str, int], ...]
    tls: ssl.SSLContext | None


def endpoints(settings: Mapping[str, str]) -> Endpoints | None:
    """The endpoints for a Python login, or None when a setting asks for something only
    librdkafka does (the caller then logs in with librdkafka)."""
    protocol = settings.get("security.protocol", "").upper()
    if protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
        return None
    allowed = _SASL_KEYS | (_TLS_KEYS if protocol == "SASL_SSL" else frozenset())
    if any(k.startswith(_CONNECTION_PREFIXES) and k not in allowed for k in settings):
        return None
    addresses = _addresses(settings.get("bootstrap.servers", ""))
    if not addresses:
        return None
    try:
        tls = _tls_context(settings) if protocol == "SASL_SSL" else None
    except (OSError, ssl.SSLError, ValueError):
        return None  # librdkafka then reports the TLS problem in its own words
    return Endpoints(addresses, tls)


def _addresses(servers: str) -> tuple[tuple[str, int], ...]:
    found: list[tuple[str, int]] = []
    for item in servers.split(","):
        item = item.strip().rsplit("://", 1)[-1]
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit():
            return ()
        found.append((host.strip("[]"), int(port)))
    return tuple(found)


def _tls_context(settings: Mapping[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.get("ssl.ca.location") or None)
    if settings.get("ssl.endpoint.identification.algorithm", "https").lower() == "none":
        context.check_hostname = False
    if settings.get("enable.ssl.certificate.verification", "true").lower() == "false":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.get("ssl.certificate.location"):
        context.load_cert_chain(
            settings["ssl.certificate.location"],
            settings.get("ssl.key.location") or None,
            settings.get("ssl.key.password") or None,
        )
    return context


def login(where: Endpoints, mechanism: str, user: str, password: str, timeout_s: float) -> bool | None:
    """True when the broker accepts `user`/`password`, False when it refuses them, None when
    it cannot tell (unreachable in time, mechanism not enabled, a protocol surprise)."""
    algorithm = _HASHES.get(mechanism.upper())
    if algorithm is None:
        return None
    deadline = time.monotonic() + timeout_s
    for host, port in where.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            with _connect(host, port, where.tls, remaining) as conn:
                _Exchange(conn, deadline).authenticate(mechanism.upper(), algorithm, user, password)
            return True
        except _Refused:
            return False
        except (OSError, _CannotTell, struct.error, ValueError):
            continue  # the next bootstrap server may answer (ValueError: bad base64 from the server)
    return None


class CannotConnect(Exception):
    """No session: no bootstrap server answered, the mechanism is not enabled, or the broker
    refused the credentials (`refused`)."""

    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


def open_session(
    where: Endpoints,
    mechanism: str,
    user: str,
    password: str,
    timeout_s: float,
    address: tuple[str, int] | None = None,
    client_id: bytes = _CLIENT_ID,
) -> Session:
    """An authenticated connection to `address` (else the first bootstrap server that answers),
    for requests after the login (meshctl's batched group reads). The caller closes it."""
    algorithm = _HASHES.get(mechanism.upper())
    if algorithm is None:
        raise CannotConnect(f"mechanism {mechanism} is not SCRAM")
    deadline = time.monotonic() + timeout_s
    last = "no bootstrap server"
    for host, port in [address] if address else where.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            conn = _connect(host, port, where.tls, remaining)
        except OSError as exc:
            last = f"{host}:{port}: {exc}"
            continue
        session = Session(conn, deadline, client_id, (host, port))
        try:
            session.authenticate(mechanism.upper(), algorithm, user, password)
        except _Refused:
            conn.close()
            raise CannotConnect(
                f"the broker at {host}:{port} refused the credentials of {user}", refused=True
            ) from None
        except (OSError, _CannotTell, struct.error, ValueError) as exc:
            conn.close()
            last = f"{host}:{port}: {exc}"
            continue
        return session
    raise CannotConnect(last)


def _connect(host: str, port: int, tls: ssl.SSLContext | None, timeout_s: float) -> socket.socket:
    raw = socket.create_connection((host, port), timeout=timeout_s)
    if tls is None:
        return raw
    try:
        return tls.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


class _Exchange:
    """One connection's SASL exchange: SaslHandshake v1, then SaslAuthenticate v1 twice."""

    max_frame = _MAX_FRAME

    def __init__(self, conn: socket.socket, deadline: float, client_id: bytes = _CLIENT_ID):
        self.conn = conn
        self.deadline = deadline
        self.correlation = 0
        self.client_id = client_id

    def authenticate(self, mechanism: str, algorithm: str, user: str, password: str) -> None:
        self._handshake(mechanism)
        nonce = secrets.token_urlsafe(24)
        first_bare = f"n={_saslname(user)},r={nonce}"
        server_first = self._authenticate(("n,," + first_bare).encode()).decode("utf-8", "replace")
        fields = _fields(server_first)
        server_nonce, salt, iterations = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not server_nonce.startswith(nonce) or not iterations.isdigit() or not salt:
            raise _CannotTell("unexpected server-first-message")
        if not 1 <= int(iterations) <= _MAX_ITERATIONS:
            raise _CannotTell("iteration count out of range")
        salted = hashlib.pbkdf2_hmac(algorithm, password.encode(), base64.b64decode(salt), int(iterations))
        client_key = hmac.digest(salted, b"Client Key", algorithm)
        stored_key = hashlib.new(algorithm, client_key).digest()
        final_bare = f"c=biws,r={server_nonce}"
        auth_message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.digest(stored_key, auth_message, algorithm)
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
        server_final = _fields(self._authenticate(f"{final_bare},p={proof}".encode()).decode("utf-8", "replace"))
        if "e" in server_final:
            raise _Refused()
        expected = hmac.digest(hmac.digest(salted, b"Server Key", algorithm), auth_message, algorithm)
        if not hmac.compare_digest(base64.b64decode(server_final.get("v", "")), expected):
            raise _CannotTell("the server's signature does not match")  # not the broker that holds the password

    def _handshake(self, mechanism: str) -> None:
        body = self._call(_SASL_HANDSHAKE, 1, _string(mechanism))
        (error,) = struct.unpack_from(">h", body)
        if error:
            raise _CannotTell(f"SaslHandshake error {error}")  # the mechanism is not enabled here

    def _authenticate(self, token: bytes) -> bytes:
        body = self._call(_SASL_AUTHENTICATE, 1, struct.pack(">i", len(token)) + token)
        (error,) = struct.unpack_from(">h", body)
        if error == _SASL_AUTHENTICATION_FAILED:
            raise _Refused()
        if error:
            raise _CannotTell(f"SaslAuthenticate error {error}")
        offset = 2
        (message_length,) = struct.unpack_from(">h", body, offset)
        offset += 2 + max(message_length, 0)
        (length,) = struct.unpack_from(">i", body, offset)
        offset += 4
        return body[offset : offset + max(length, 0)]

    def _call(self, api_key: int, version: int, body: bytes, flexible: bool = False) -> bytes:
        """One request and its response's body. A flexible version (KIP-482) has request
        header v2 and response header v1: an empty tagged-field section after each."""
        self.correlation += 1
        header = struct.pack(">hhi", api_key, version, self.correlation) + _string_bytes(self.client_id)
        payload = header + (b"\x00" if flexible else b"") + body
        self._settimeout()
        self.conn.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", self._read(4))
        if not 4 <= size <= self.max_frame:
            raise _CannotTell("bad frame size")
        frame = self._read(size)
        if struct.unpack_from(">i", frame)[0] != self.correlation:
            raise _CannotTell("correlation id mismatch")
        if flexible:
            if frame[4] != 0:  # tagged fields in the response header: none is defined
                raise _CannotTell("unexpected tagged fields in a response header")
            return frame[5:]
        return frame[4:]

    def _read(self, count: int) -> bytes:
        chunks: list[bytes] = []
        while count:
            self._settimeout()
            chunk = self.conn.recv(count)
            if not chunk:
                raise _CannotTell("connection closed")  # Kafka closes after a refused handshake too
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _settimeout(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _CannotTell("timed out")
        self.conn.settimeout(remaining)


# Responses to batched reads (a thousand groups' offsets) are far larger than a login's.
_MAX_DATA_FRAME = 256 << 20


class Session(_Exchange):
    """An authenticated connection that stays open for further requests."""

    max_frame = _MAX_DATA_FRAME

    def __init__(self, conn: socket.socket, deadline: float, client_id: bytes, address: tuple[str, int]):
        super().__init__(conn, deadline, client_id)
        self.address = address

    def call(self, api_key: int, version: int, body: bytes, flexible: bool, timeout_s: float) -> bytes:
        """One request; raises OSError when the broker does not answer in `timeout_s`."""
        self.deadline = time.monotonic() + timeout_s
        try:
            return self._call(api_key, version, body, flexible)
        except _CannotTell as exc:
            raise OSError(str(exc)) from None

    def close(self) -> None:
        self.conn.close()


def _saslname(user: str) -> str:
    """RFC 5802's escaping of a user name inside the client-first-message."""
    return user.replace("=", "=3D").replace(",", "=2C")


def _fields(message: str) -> dict[str, str]:
    return {part[0]: part[2:] for part in message.split(",") if len(part) >= 2 and part[1] == "="}


def _string(value: str) -> bytes:
    return _string_bytes(value.encode())


def _string_bytes(value: bytes) -> bytes:
    return struct.pack(">h", len(value)) + value
