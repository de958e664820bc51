"""The login check against the real broker: the Python SCRAM login and librdkafka's give the
same verdict for every principal (accepted, refused, nothing stored), and both read a
password changed out of band as refused."""

from __future__ import annotations

import time
from pathlib import Path

import certifi
import pytest
from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

from meshctl.providers.kafka import scram_login
from meshctl.providers.kafka.client import KafkaClient
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.integration import mesh


def _upsert(admin: AdminClient, users: dict[str, str]) -> None:
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    futures = admin.alter_user_scram_credentials(
        [UserScramCredentialUpsertion(user, info, password.encode()) for user, password in users.items()]
    )
    for future in futures.values():
        future.result(timeout=30)


def _verdicts(settings: dict[str, str], users: list[str], stored: dict[str, str]) -> dict[str, bool | None]:
    client = KafkaClient(settings, timeout_s=20)
    return client.check_logins(dict.fromkeys(users, "SCRAM-SHA-512"), stored.get)


def _both_paths(broker: KafkaSandbox) -> tuple[dict[str, str], dict[str, str]]:
    direct = broker.admin_config()
    via_librdkafka = direct | {"socket.keepalive.enable": "true"}  # a setting only librdkafka honours
    assert scram_login.endpoints(direct) is not None and scram_login.endpoints(via_librdkafka) is None
    return direct, via_librdkafka


def test_python_and_librdkafka_logins_agree_on_every_verdict(
    broker: KafkaSandbox, admin: AdminClient, prefix: str
) -> None:
    right, changed, unstored, odd = (f"{prefix}-{n}" for n in ("right", "changed", "unstored", "o=d,d"))
    _upsert(admin, {right: "pw-right", changed: "pw-new", unstored: "pw-x", odd: "p,w=odd"})
    stored = {right: "pw-right", changed: "pw-old", odd: "p,w=odd"}
    users = [right, changed, unstored, odd]
    expected = {right: True, changed: False, unstored: None, odd: True}
    deadline = time.monotonic() + 20  # a new credential reaches the broker's cache a moment after the write
    direct, via_librdkafka = _both_paths(broker)
    while (seen := _verdicts(direct, users, stored)) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    assert seen == expected
    assert _verdicts(via_librdkafka, users, stored) == expected


def test_a_password_changed_out_of_band_is_refused_at_once(
    broker: KafkaSandbox, admin: AdminClient, prefix: str
) -> None:
    user = f"{prefix}-rotated"
    _upsert(admin, {user: "before"})
    direct, _ = _both_paths(broker)
    deadline = time.monotonic() + 20
    while _verdicts(direct, [user], {user: "before"}) != {user: True} and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _verdicts(direct, [user], {user: "before"}) == {user: True}
    _upsert(admin, {user: "after"})  # same mechanism and iterations, a new salt: only a login tells
    while _verdicts(direct, [user], {user: "before"}) != {user: False} and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _verdicts(direct, [user], {user: "before"}) == {user: False}
    assert _verdicts(direct, [user], {user: "after"}) == {user: True}


def test_an_unreachable_broker_tells_nothing_rather_than_refused(broker: KafkaSandbox) -> None:
    settings = broker.admin_config() | {"bootstrap.servers": "127.0.0.1:1"}
    assert _verdicts(settings, ["anyone"], {"anyone": "pw"}) == {"anyone": None}


def test_over_sasl_ssl_both_logins_agree_and_meshctl_plans_and_applies(
    broker: KafkaSandbox, admin: AdminClient, prefix: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker's SASL_SSL listener (a self-signed certificate the client trusts through
    ssl.ca.location): the Python login over TLS and librdkafka's agree, and meshctl works end
    to end over it, a password changed out of band showing in the plan."""
    tls = broker.tls_client_config(broker.admin_user, broker.password)
    direct = scram_login.endpoints(tls)
    assert direct is not None and direct.tls is not None
    user = f"{prefix}-tls"
    _upsert(admin, {user: "pw-tls"})
    expected = {user: True}
    deadline = time.monotonic() + 20
    while (seen := _verdicts(tls, [user], {user: "pw-tls"})) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    assert seen == expected
    assert _verdicts(tls | {"socket.keepalive.enable": "true"}, [user], {user: "pw-tls"}) == expected
    assert _verdicts(tls, [user], {user: "wrong"}) == {user: False}
    untrusted = tls | {"ssl.ca.location": certifi.where()}  # public CAs: none signed the broker's certificate
    assert _verdicts(untrusted, [user], {user: "pw-tls"}) == {user: None}  # cannot tell, never "refused"

    properties = workdir / "tls.properties"
    properties.write_text(f"ssl.ca.location={broker.ca_path}\n")
    monkeypatch.setenv("MESHCTL_KAFKA_PROPERTIES_FILE", str(properties))
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", tls["bootstrap.servers"])
    monkeypatch.setenv("MESHCTL_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    mesh.write(workdir, prefix)
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
    _upsert(admin, {f"{prefix}sales": "changed-out-of-band"})
    deadline = time.monotonic() + 20
    while (drifted := run("plan", "--detailed-exitcode", "--no-color", ".")).exit_code != 2:
        assert time.monotonic() < deadline, drifted.output
        time.sleep(0.5)
    assert f"kafka_scram_user.{prefix}sales" in drifted.output
