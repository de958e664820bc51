"""Rotation end to end through the CLI, with the real Kafka provider, the real credential
store and state, and a broker in memory (FakeScramBroker) in place of Kafka's admin client.

The broker keeps each SCRAM user's password and checks logins as a SASL listener does, so
the tests see what a client would: which password opens a connection. Failures are injected
between the store and the broker (the upsert refused) and inside the store (the rename
fails): the store always holds one whole password, old or new; state records the broker's;
the next plan sees the difference and the next apply converges.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from meshctl.credentials import LocalCredentialStore, fingerprint
from meshctl.providers.kafka.client import Acl, KafkaClientError, TopicInfo
from tests.cli import run
from tests.helpers import write_mesh

MESH = """
kafka {
  bootstrap_servers = "127.0.0.1:9"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
"""
SALES = "kafka_scram_user.sales"


class _Done:
    def __init__(self, value: object):
        self.value = value

    def result(self) -> object:
        return self.value


class FakeScramBroker:
    """What the Kafka provider asks of a KafkaClient, in memory: SCRAM users with their
    passwords, ACL bindings, no topics. `sasl = False` answers logins as a cluster without a
    SASL listener does (nothing to tell), so only state's fingerprint can see a change."""

    def __init__(self) -> None:
        self.passwords: dict[str, tuple[str, int, str]] = {}  # user -> (mechanism, iterations, password)
        self.acls: set[Acl] = set()
        self.refuse_upserts: set[str] = set()  # users whose next upsert the broker refuses
        self.sasl = True
        self.upserts: list[str] = []
        self.logins_waited: list[str] = []
        self.requests = 0
        self.broker_count = 1

    def client(self, settings: Mapping[str, str], timeout: float) -> FakeScramBroker:
        return self

    def login(self, user: str, password: str | None) -> bool:
        return user in self.passwords and password == self.passwords[user][2]

    # -- reads
    def check_connection(self) -> None:
        pass

    def describe_acls(self) -> _Done:
        return _Done(sorted(self.acls, key=str))

    def describe_scram_users(self) -> _Done:
        return _Done({u: [(m, i)] for u, (m, i, _) in self.passwords.items()})

    def list_topics(self) -> dict[str, TopicInfo]:
        return {}

    def describe_topic_configs(self, topics: list[str]) -> dict[str, dict[str, str]]:
        return {}

    def check_logins(
        self, users: Mapping[str, str], password_of: Callable[[str], str | None]
    ) -> dict[str, bool | None]:
        if not self.sasl:
            return {}
        return {u: self.login(u, password_of(u)) for u in users}

    # -- writes
    def create_acls(self, acls: list[Acl]) -> dict[Acl, KafkaClientError | None]:
        self.acls |= set(acls)
        return dict.fromkeys(acls)

    def delete_acls(self, acls: list[Acl]) -> dict[Acl, KafkaClientError | None]:
        self.acls -= set(acls)
        return dict.fromkeys(acls)

    def upsert_scram_users(self, users: dict[str, tuple[str, int, str]]) -> dict[str, KafkaClientError | None]:
        out: dict[str, KafkaClientError | None] = {}
        for name, credential in users.items():
            self.upserts.append(name)
            if name in self.refuse_upserts:
                self.refuse_upserts.discard(name)
                out[name] = KafkaClientError("Kafka refused to create SCRAM users: the controller is not available")
                continue
            self.passwords[name] = credential
            out[name] = None
        return out

    def delete_scram_users(self, users: dict[str, str]) -> dict[str, KafkaClientError | None]:
        for name in users:
            self.passwords.pop(name, None)
        return dict.fromkeys(users)

    def wait_scram_users(self, present: Mapping[str, tuple[str, int]], absent: Iterable[tuple[str, str]] = ()) -> bool:
        return True

    def wait_logins(self, users: Mapping[str, tuple[str, str]]) -> bool:
        self.logins_waited += sorted(users)
        return all(self.login(u, p) for u, (_, p) in users.items())

    def wait_topics_present(self, names: list[str]) -> bool:
        return True


@pytest.fixture
def broker(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeScramBroker:
    fake = FakeScramBroker()
    monkeypatch.setattr("meshctl.engine.workspace.KafkaClient", fake.client)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return fake


def _store(mesh_dir: Path) -> LocalCredentialStore:
    return LocalCredentialStore(mesh_dir / ".meshctl" / "credentials")


def _recorded(mesh_dir: Path, address: str = SALES) -> dict:
    state = json.loads((mesh_dir / ".meshctl" / "state.json").read_text())
    entry = next(r for r in state["resources"] if r["address"] == address)
    return dict(entry["attributes"])


def _applied(broker: FakeScramBroker, mesh_dir: Path) -> str:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    password = _store(mesh_dir).get("sales")
    assert password and broker.login("sales", password)
    return password


def test_replace_rotates_the_password_in_place(broker: FakeScramBroker, mesh_dir: Path) -> None:
    old = _applied(broker, mesh_dir)
    other = _store(mesh_dir).get("analytics")
    acls = set(broker.acls)
    result = run("apply", "-replace=kafka_scram_user.sales", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    assert "# kafka_scram_user.sales will be replaced, as requested" in result.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in result.stdout
    assert "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." in result.stdout
    assert "kafka_scram_user.sales: Replacing (new password)..." in result.stderr
    assert "Destroying" not in result.stderr  # in place: the user is never deleted
    new = _store(mesh_dir).get("sales")
    assert new and new != old
    assert broker.login("sales", new) and not broker.login("sales", old)
    assert broker.logins_waited == ["sales"]  # apply read the change back by logging in with it
    assert _recorded(mesh_dir)["password"] == fingerprint(new)
    assert _store(mesh_dir).get("analytics") == other  # only the one asked for
    assert broker.acls == acls  # the principal's ACLs were never touched
    assert "New password of User:sales in" in result.stderr
    assert old not in result.output and new not in result.output
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


@pytest.mark.parametrize("sasl", [True, False], ids=["sasl-listener", "no-login-check"])
def test_a_rotation_refused_by_the_broker_converges_on_the_next_apply(
    broker: FakeScramBroker, mesh_dir: Path, sasl: bool
) -> None:
    old = _applied(broker, mesh_dir)
    broker.sasl = sasl
    broker.refuse_upserts = {"sales"}
    failed = run("apply", "-replace=kafka_scram_user.sales", "--auto-approve", "--no-color", ".")
    assert failed.exit_code == 1, failed.output
    assert "error: kafka_scram_user.sales: Kafka refused to create SCRAM users" in failed.stderr
    new = _store(mesh_dir).get("sales")
    # The store is ahead of the broker: it holds the new password whole; the old one still
    # opens connections, and state still records the broker's (the old fingerprint).
    assert new and new != old
    assert broker.login("sales", old)
    assert _recorded(mesh_dir)["password"] == fingerprint(old)
    assert "New password" not in failed.stderr  # nothing to hand out: the broker does not have it

    plan = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert plan.exit_code == 2, plan.output
    assert "# kafka_scram_user.sales will be updated in-place" in plan.stdout
    assert "the stored password is not the one apply last set (a rotation stopped after storing it" in plan.stdout
    assert "- password_applied = false" in plan.stdout
    assert ("- authenticates    = false" in plan.stdout) is sasl  # the login check sees it too, when it can
    drift = run("drift", "--no-color", ".")
    assert drift.exit_code == 2 and "+ password_applied = false" in drift.stdout

    converged = run("apply", "--auto-approve", "--no-color", ".")
    assert converged.exit_code == 0, converged.output
    assert _store(mesh_dir).get("sales") == new  # the stored one is set, not yet another
    assert broker.login("sales", new) and not broker.login("sales", old)
    assert _recorded(mesh_dir)["password"] == fingerprint(new)
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_store_that_fails_mid_write_keeps_the_old_password_and_the_broker_is_left_alone(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _applied(broker, mesh_dir)
    upserts = len(broker.upserts)
    path = _store(mesh_dir).path("sales")
    real_replace = os.replace

    def no_rename(src: object, dst: object) -> None:
        if Path(str(dst)).name == path.name:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]  # os.replace takes any path-like

    monkeypatch.setattr("meshctl.credentials.os.replace", no_rename)
    result = run("apply", "-replace=kafka_scram_user.sales", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 1, result.output
    assert "the new password of User:sales could not be stored" in result.stderr
    assert "No space left on device" in result.stderr and "the broker was left as it was" in result.stderr
    assert len(broker.upserts) == upserts  # nothing was sent
    assert _store(mesh_dir).get("sales") == old and broker.login("sales", old)
    assert not path.with_name(path.name + ".new").exists()
    assert _recorded(mesh_dir)["password"] == fingerprint(old)
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0  # nothing changed anywhere


def test_the_store_holds_the_old_password_or_the_new_one_at_every_step(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write the rotation makes to the credentials directory, observed as it happens:
    the file a client reads holds one whole password, the old one until the rename, the new
    one after; the broker is asked only once the store holds the new one."""
    old = _applied(broker, mesh_dir)
    store = _store(mesh_dir)
    seen: list[tuple[str, str | None]] = []
    real_replace, real_upsert = os.replace, broker.upsert_scram_users

    def replace(src: object, dst: object) -> None:
        ours = Path(str(dst)).name == "sales.properties"  # os is one module: state writes rename too
        if ours:
            seen.append(("before rename", store.get("sales")))
        real_replace(src, dst)  # type: ignore[arg-type]
        if ours:
            seen.append(("after rename", store.get("sales")))

    def upsert(users: dict[str, tuple[str, int, str]]) -> dict[str, KafkaClientError | None]:
        seen.append(("upsert", store.get("sales")))
        return real_upsert(users)

    monkeypatch.setattr("meshctl.credentials.os.replace", replace)
    monkeypatch.setattr(broker, "upsert_scram_users", upsert)
    assert run("apply", "-replace=kafka_scram_user.sales", "--auto-approve", ".").exit_code == 0
    new = store.get("sales")
    assert seen == [("before rename", old), ("after rename", new), ("upsert", new)]
    assert oct(store.path("sales").stat().st_mode & 0o777) == "0o600"


def test_a_saved_rotation_plan_applies_as_planned(broker: FakeScramBroker, mesh_dir: Path) -> None:
    old = _applied(broker, mesh_dir)
    made = run("plan", "-replace=kafka_scram_user.sales", "--out", "rotate.plan", "--no-color", ".")
    assert made.exit_code == 0, made.output
    doc = json.loads((mesh_dir / "rotate.plan").read_text())
    change = next(c for c in doc["resource_changes"] if c["address"] == SALES)
    assert change["action_reason"] == "replace_by_request"
    assert doc["meshctl_saved_plan"]["options"]["replace"] == [SALES]
    refused = run("apply", "rotate.plan", "-replace=kafka_scram_user.analytics")
    assert refused.exit_code == 1 and "-replace are chosen when the plan is made" in refused.stderr
    applied = run("apply", "rotate.plan", "--no-color")
    assert applied.exit_code == 0, applied.output
    new = _store(mesh_dir).get("sales")
    assert new != old and broker.login("sales", new) and not broker.login("sales", old)


def test_replace_problems_are_usage_errors_before_kafka_is_asked(
    broker: FakeScramBroker, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(broker, "check_connection", lambda: asked.append("connect"))
    monkeypatch.setattr(broker, "describe_scram_users", lambda: asked.append("describe"))
    fresh = run("plan", "-replace=kafka_scram_user.sales", ".")
    assert fresh.exit_code == 1
    assert "Error: -replace=kafka_scram_user.sales: not created yet" in fresh.stderr
    assert "meshctl: refreshing" not in fresh.stderr and asked == []


def test_an_application_principal_rotates_like_a_domains(broker: FakeScramBroker, mesh_dir: Path) -> None:
    """Every kafka_scram_user rotates, whatever declares it: here an application's
    (`kafka_scram_user.<domain>.<app>`, principal `<domain>-<app>`)."""
    app = 'application "api" {\n  domain = "sales"\n  kind   = "producer"\n  writes = []\n}\n'
    write_mesh(mesh_dir, {"main.hcl": MESH + app})
    assert run("apply", "--auto-approve", ".").exit_code == 0
    old = _store(mesh_dir).get("sales-api")
    domain = _store(mesh_dir).get("sales")
    assert old and broker.login("sales-api", old)
    result = run("apply", "-replace=kafka_scram_user.sales.api", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    assert "# kafka_scram_user.sales.api will be replaced, as requested" in result.stdout
    assert "New password of User:sales-api in" in result.stderr
    new = _store(mesh_dir).get("sales-api")
    assert new and new != old and broker.login("sales-api", new) and not broker.login("sales-api", old)
    assert _recorded(mesh_dir, "kafka_scram_user.sales.api")["password"] == fingerprint(new)
    assert _store(mesh_dir).get("sales") == domain  # the domain's principal is another one
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_user_gone_from_the_broker_comes_back_with_a_new_password_when_replaced(
    broker: FakeScramBroker, mesh_dir: Path
) -> None:
    """Rotating because the password leaked, after someone deleted the user: the create uses a
    new password, never the stored one the rotation is meant to retire."""
    old = _applied(broker, mesh_dir)
    del broker.passwords["sales"]
    result = run("apply", "-replace=kafka_scram_user.sales", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    assert "# kafka_scram_user.sales will be created" in result.stdout
    assert "replace requested: gone from the cluster, so created with a new password" in result.stdout
    new = _store(mesh_dir).get("sales")
    assert new and new != old and broker.login("sales", new)
    assert _recorded(mesh_dir)["password"] == fingerprint(new)
    again = run("apply", "--auto-approve", "--no-color", ".")  # without the flag a plain create keeps the store's
    assert again.exit_code == 0 and _store(mesh_dir).get("sales") == new
