"""The sandbox broker survives deleted SCRAM users and a SIGKILL: every login still works after `up`.

Kafka 4.1's broker rebuilds its SCRAM credentials at start by replaying the metadata log
into one delta from an empty image; a removal replayed before any live user then drops the
whole SCRAM-SHA-512 map (admin included). The sandbox keeps a metadata snapshot so a start
never replays removals onto an empty image. This test uses its own broker and directory.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from meshctl_sandbox.__main__ import ENV_FILE, cmd_up
from meshctl_sandbox.kafka import KafkaSandbox, free_port

pytestmark = pytest.mark.integration

# With admin, these names put a removal first in the broker's replay order (a HashMap of
# user names), which is what triggered the loss: the test fails without the workaround.
DELETED_USERS = ("alice", "bob", "carol", "dave")
_SHA512 = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
_AUTH_ERRORS = {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}


def _alter(admin: AdminClient, changes: list[object]) -> None:
    for future in admin.alter_user_scram_credentials(changes).values():  # type: ignore[arg-type]
        future.result(timeout=15)


def _login_error(config: dict[str, str]) -> str | None:
    """None if `config` authenticates and can read cluster metadata; else why not."""
    errors: list[KafkaError] = []
    client = AdminClient({**config, "log_level": 0, "error_cb": errors.append})
    future = client.describe_cluster(request_timeout=10)
    while not future.done():
        client.poll(0.1)  # serves error_cb: a refused login shows there at once
        refused = [e.str() for e in errors if e.code() in _AUTH_ERRORS]
        if refused:
            return refused[0]
    try:
        future.result(timeout=0)
    except KafkaException as exc:
        return "; ".join([e.str() for e in errors] or [str(exc)])
    return None


def _login_eventually(config: dict[str, str], timeout: float = 15.0) -> str | None:
    # A new credential reaches the broker's cache through the metadata log: a moment later.
    deadline = time.monotonic() + timeout
    while True:
        why = _login_error(config)
        if why is None or time.monotonic() > deadline:
            return why
        time.sleep(0.5)


def _env_file(root: Path) -> dict[str, str]:
    lines = (root / ENV_FILE).read_text().splitlines()
    pairs = (line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
    return {key: value.strip("'") for key, value in pairs}


def test_up_after_deleted_users_and_sigkill_keeps_every_login(tmp_path: Path) -> None:
    ports = {"port": free_port(), "controller_port": free_port()}

    def sandbox() -> KafkaSandbox:  # what `up --dir` builds for Kafka
        return KafkaSandbox(tmp_path / "kafka", heap="256m", **ports)

    first = sandbox()
    try:
        assert cmd_up([first], tmp_path, timeout=120) == 0
        admin = AdminClient(first.admin_config() | {"log_level": 0})
        _alter(admin, [UserScramCredentialUpsertion(u, _SHA512, f"{u}-secret".encode()) for u in DELETED_USERS])
        assert _login_eventually(first.client_config("alice", "alice-secret")) is None
        _alter(admin, [UserScramCredentialDeletion(u, ScramMechanism.SCRAM_SHA_512) for u in DELETED_USERS])
        pid = first.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        while first.is_running():
            time.sleep(0.1)

        second = sandbox()
        assert cmd_up([second], tmp_path, timeout=120) == 0
        env = _env_file(tmp_path)
        assert env["MESHCTL_KAFKA_SASL_USERNAME"] == "admin"
        assert _login_error(second.client_config("admin", env["MESHCTL_KAFKA_SASL_PASSWORD"])) is None
        admin = AdminClient(second.admin_config() | {"log_level": 0})
        _alter(admin, [UserScramCredentialUpsertion("erin", _SHA512, b"erin-secret")])
        assert _login_eventually(second.client_config("erin", "erin-secret")) is None
        assert _login_error(second.client_config("erin", "wrong-secret")) is not None  # logins are really checked
        assert _login_error(second.client_config("alice", "alice-secret")) is not None  # deleted stays deleted
    finally:
        sandbox().stop(timeout=10)
