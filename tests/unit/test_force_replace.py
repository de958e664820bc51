"""`-replace=ADDRESS` without servers: the flag's parsing, the planner's marking (actions,
Terraform's action_reason, the reason shown, the summary), the JSON plan and its round trip,
what is refused (types, opt-ins, addresses not recorded or out of scope), the walk of an
in-place rotation, and the credential stores' rotate (local files; Secrets Manager in moto)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from meshctl.credentials import LocalCredentialStore, SecretsManagerCredentialStore, fingerprint
from meshctl.engine.walk import APPLY
from meshctl.naming import secret_name
from meshctl.plan.build import build_plan
from meshctl.plan.diff import PlanOptions
from meshctl.plan.force_replace import replace_problems
from meshctl.plan.jsonformat import plan_from_json, plan_to_json
from meshctl.plan.model import REPLACE, REPLACE_BY_REQUEST, Plan, ResourceChange
from meshctl.plan.scope import Scope
from meshctl.providers.base import Managed
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.render.markdown import render_markdown
from meshctl.render.text import render_plan
from meshctl.state_model import ResourceState, State
from tests.cli import run
from tests.fake_providers import FakeProvider
from tests.helpers import MINIMAL, write_mesh
from tests.unit.test_build_plan import ACCESS, DOMAINS, GRANT, TODAY, Case, S, T, _inputs, _plan, _product
from tests.unit.test_walk import _apply, walk_all

USER = "kafka_scram_user.sales"


def _replace(*addresses: str, **flags: object) -> PlanOptions:
    return replace(PlanOptions(**flags), replace=frozenset(addresses))  # type: ignore[arg-type]


def _change(plan: Plan, address: str) -> ResourceChange:
    return next(c for c in plan.changes if c.address == address)


# -- the planner marks the replacement ---------------------------------------------------------


def test_a_scram_user_asked_for_is_replaced_in_place_as_requested(tmp_path: Path) -> None:
    plan, errors = _plan(tmp_path, Case(options=_replace(USER)))
    assert errors == []
    user = _change(plan, USER)
    assert user.actions == REPLACE and user.action_reason == REPLACE_BY_REQUEST
    assert user.reason == "replace requested: a new password replaces the old one"
    assert user.replace_paths == () and user.replace_requested and user.replaced_in_place
    assert not user.blocked and user.before == user.after  # nothing else differs
    assert plan.counts() == (1, 0, 1)  # Terraform counts a replace once each way
    others = [c for c in plan.changes if c.address != USER]
    assert others and all(c.is_noop for c in others)  # the principal's ACLs stay as they are
    assert _change(_plan(tmp_path / "none", Case())[0], USER).is_noop  # not asked: nothing to do


def test_a_changed_mechanism_asked_for_too_is_a_real_delete_and_create(tmp_path: Path) -> None:
    def other_mechanism(live: dict) -> None:
        live[USER]["mechanism"] = "SCRAM-SHA-256"

    plan, _ = _plan(tmp_path, Case(live=other_mechanism, options=_replace(USER)))
    user = _change(plan, USER)
    assert user.action_reason == REPLACE_BY_REQUEST  # the request is the reason, as in Terraform
    assert user.replace_paths == (("mechanism",),) and "the SCRAM mechanism changed" in user.reason
    assert user.replace_requested and not user.replaced_in_place  # the old mechanism's credential is deleted
    unasked = _change(_plan(tmp_path / "unasked", Case(live=other_mechanism))[0], USER)
    assert unasked.action_reason == "replace_because_cannot_update" and not unasked.replace_requested


def test_a_user_gone_from_the_cluster_is_created_as_requested_with_a_new_password(tmp_path: Path) -> None:
    def gone(live: dict) -> None:
        del live[USER]

    user = _change(_plan(tmp_path, Case(live=gone, options=_replace(USER)))[0], USER)
    assert user.actions == ("create",) and user.action_reason == REPLACE_BY_REQUEST
    assert user.replace_requested and not user.replaced_in_place
    assert user.reason == "replace requested: gone from the cluster, so created with a new password"
    text = render_plan(plan_to_json(_plan(tmp_path / "t", Case(live=gone, options=_replace(USER)))[0]), False)
    assert f"# {USER} will be created" in text
    plain = _change(_plan(tmp_path / "plain", Case(live=gone))[0], USER)
    assert plain.actions == ("create",) and not plain.action_reason and not plain.replace_requested


def test_the_json_plan_says_replace_by_request_and_survives_a_round_trip(tmp_path: Path) -> None:
    plan, _ = _plan(tmp_path, Case(options=_replace(USER)))
    doc = plan_to_json(plan)
    (entry,) = [c for c in doc["resource_changes"] if c["address"] == USER]
    assert entry["action_reason"] == "replace_by_request"
    assert entry["change"]["actions"] == ["delete", "create"]
    assert "replace_paths" not in entry["change"]  # nothing in the configuration forces it
    assert doc["summary"] == {"add": 1, "change": 0, "destroy": 1, "blocked": 0} and doc["applyable"]
    back = plan_from_json(json.loads(json.dumps(doc)))
    assert back.changes == sorted(plan.changes, key=lambda c: c.address)
    assert _change(back, USER).replaced_in_place


def test_the_text_and_markdown_plans_show_terraforms_headline(tmp_path: Path) -> None:
    doc = plan_to_json(_plan(tmp_path, Case(options=_replace(USER)))[0])
    text = render_plan(doc, color=False)
    assert "  # kafka_scram_user.sales will be replaced, as requested\n" in text
    assert "  # (from domain.sales; replace requested: a new password replaces the old one)\n" in text
    assert '-/+ resource "kafka_scram_user" "sales" {' in text
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in text
    assert "will be replaced, as requested" in render_markdown(doc)
    forced = render_plan(plan_to_json(_plan(tmp_path / "f", Case(config=DOMAINS + _product(1) + ACCESS))[0]), False)
    assert f"# {T} must be replaced" in forced  # a replace nobody asked for keeps its headline


# -- what a request may replace ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "allowed"),
    [
        ({}, False),
        ({"allow_delete": frozenset({"kafka_topic"})}, True),
        ({"allow_delete_data": True}, True),  # --allow-delete-topics
        ({"allow_replace": True}, True),
        ({"allow_delete": frozenset({"all"})}, True),
        ({"allow_delete": frozenset({"schema_subject"})}, False),  # another type's opt-in
    ],
)
def test_a_topic_is_replaced_on_request_only_under_its_delete_opt_in(
    tmp_path: Path, flags: dict, allowed: bool
) -> None:
    plan, errors = _plan(tmp_path, Case(options=_replace(T, **flags)))
    if not allowed:
        (error,) = errors
        assert (
            f"-replace={T}: replacing it deletes its records and creates it empty: pass --allow-delete kafka_topic "
            "(or --allow-delete-topics) or --allow-replace to replace it anyway"
        ) in error
        assert plan.changes == []  # refused before refresh: no plan to show
        return
    assert errors == []
    topic = _change(plan, T)
    assert topic.actions == REPLACE and topic.action_reason == REPLACE_BY_REQUEST and not topic.blocked
    assert topic.reason == "replace requested" and topic.holds_data and not topic.replaced_in_place
    # A topic is not renewed in place: the walk deletes it, then creates it.
    assert [verb for verb, _, _ in walk_all([topic])] == ["delete", APPLY]


def test_a_subject_needs_its_own_opt_in(tmp_path: Path) -> None:
    _, errors = _plan(tmp_path, Case(options=_replace(S)))
    assert "pass --allow-delete schema_subject or --allow-replace" in errors[0]
    assert "--allow-delete-topics" not in errors[0]
    plan, errors = _plan(tmp_path / "ok", Case(options=_replace(S, allow_delete=frozenset({"schema_subject"}))))
    assert errors == [] and _change(plan, S).action_reason == REPLACE_BY_REQUEST


def test_an_acl_is_never_replaced_on_request(tmp_path: Path) -> None:
    everything = {"allow_replace": True, "allow_delete": frozenset({"all"})}
    _, errors = _plan(tmp_path, Case(options=_replace(GRANT, **everything)))
    (error,) = errors
    assert f"-replace={GRANT}: kafka_acl is never replaced on request: an ACL holds nothing" in error
    assert "would only deny its principal in between" in error


def test_a_secret_is_never_replaced_on_request(tmp_path: Path) -> None:
    secret = 'resource "aws_secretsmanager_secret" "k" {\n  name = "meshctl/kafka/sales"\n}\n'
    config = DOMAINS + _product() + ACCESS + secret
    everything = {"allow_replace": True, "allow_delete": frozenset({"all"})}
    _, errors = _plan(
        tmp_path, Case(config=config, applied=config, options=_replace("aws_secretsmanager_secret.k", **everything))
    )
    (error,) = errors
    assert "aws_secretsmanager_secret is never replaced on request" in error
    assert "to rotate the password, replace the principal's kafka_scram_user" in error


@pytest.mark.parametrize(
    ("case", "address", "phrase"),
    [
        (Case(applied=None), USER, "not created yet (the configuration declares it, the state does not record it)"),
        (
            Case(config=DOMAINS.split('domain "analytics"')[0]),
            "kafka_scram_user.analytics",
            "no longer in the configuration",
        ),
        (
            Case(),
            "kafka_scram_user.sale",
            "neither the state nor the configuration has this resource; did you mean kafka_scram_user.sales?",
        ),
        (Case(), "kafka_scram_user.zzzzzzzzzzzz", "neither the state nor the configuration has this resource"),
        (Case(), "kafka_scram_user.", "is not a resource address"),
        (Case(), "no_such_type.x", "is no resource meshctl manages"),
        (
            Case(options=PlanOptions(scope=Scope(targets=(T,)))),
            USER,
            f"outside this plan's --target/--domain scope: add --target {USER}",
        ),
    ],
    ids=["not created yet", "removed", "misspelt", "unknown", "malformed", "unknown type", "out of scope"],
)
def test_an_address_that_names_nothing_to_replace_is_refused(
    tmp_path: Path, case: Case, address: str, phrase: str
) -> None:
    case = replace(case, options=replace(case.options, replace=frozenset({address})))
    plan, errors = _plan(tmp_path, case)
    assert len(errors) == 1 and f"-replace={address}: " in errors[0] and phrase in errors[0], errors
    assert plan.changes == []


def test_a_request_inside_the_targets_plans(tmp_path: Path) -> None:
    options = replace(_replace(USER), scope=Scope(targets=(USER,)))
    plan, errors = _plan(tmp_path, Case(options=options))
    assert errors == [] and [c.address for c in plan.actionable] == [USER]


def test_every_problem_is_listed_at_once_in_address_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    desired, prior, _ = _inputs(tmp_path, Case())
    problems = replace_problems(
        desired.resources, prior, [r.address for r in desired.resources], _replace(GRANT, T, USER)
    )
    assert [p.split(":", 1)[0] for p in problems] == [f"-replace={GRANT}", f"-replace={T}"]


# -- apply: the walk and the store ---------------------------------------------------------------


def _rotation() -> ResourceChange:
    attrs = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    return ResourceChange(
        USER, "kafka_scram_user", "sales", "domain.sales", REPLACE, attrs, attrs, action_reason=REPLACE_BY_REQUEST
    )


def test_an_in_place_rotation_is_one_apply_step_and_state_never_loses_the_user() -> None:
    kafka = FakeProvider("kafka")
    recorded = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192, "password": "sha256:old"}
    state = State(resources={USER: ResourceState("kafka_scram_user", "sales", recorded, "domain.sales")})
    result, state, writes, _ = _apply(Plan([_rotation()]), state, kafka=kafka)
    assert kafka.batches == [("apply", (USER,))]  # no delete half
    assert writes == [[USER]]  # state is written once, and holds the user throughout
    assert result.ok and result.counts == {"added": 1, "changed": 0, "destroyed": 1}


def test_a_rotation_failed_at_the_provider_keeps_the_recorded_entry() -> None:
    kafka = FakeProvider("kafka")
    kafka.fail[USER] = "refused"
    recorded = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192, "password": "sha256:old"}
    state = State(resources={USER: ResourceState("kafka_scram_user", "sales", recorded, "domain.sales")})
    result, state, _, _ = _apply(Plan([_rotation()]), state, kafka=kafka)
    assert result.failed == {USER: "refused"} and state.resources[USER].attributes["password"] == "sha256:old"


def test_the_local_store_rotates_by_renaming_a_synced_new_file_over_the_old(tmp_path: Path) -> None:
    store = LocalCredentialStore(
        tmp_path / "credentials", {"bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL"}
    )
    old = store.get_or_create("sales", "SCRAM-SHA-512")
    new = store.rotate("sales", "SCRAM-SHA-512")
    assert new != old and store.get("sales") == new and len(new) >= 40
    text = store.path("sales").read_text()
    assert old not in text and text.count("sasl.password=") == 1
    assert (
        "bootstrap.servers=b:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=sales\n"
        in text
    )
    assert oct(store.path("sales").stat().st_mode & 0o777) == "0o600"
    assert oct(store.directory.stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in store.directory.iterdir()) == ["sales.properties"]  # no .new left behind
    (store.directory / "sales.properties.new").write_text("stray")
    assert store.users() == ["sales"]  # a stray .new is no credential
    assert store.rotate("sales", "SCRAM-SHA-512") != new and store.get("sales")


def test_the_local_store_rotates_a_user_it_had_no_file_for(tmp_path: Path) -> None:
    store = LocalCredentialStore(tmp_path / "credentials")
    assert store.get("nobody") is None
    password = store.rotate("nobody", "SCRAM-SHA-256")
    assert store.get("nobody") == password and store.mechanism("nobody") == "SCRAM-SHA-256"


def test_secrets_manager_keeps_the_old_value_as_awsprevious() -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        store = SecretsManagerCredentialStore(client, {"bootstrap.servers": "b:9092"})
        old = store.get_or_create("sales", "SCRAM-SHA-512")
        new = store.rotate("sales", "SCRAM-SHA-512")
        assert new != old and store.get("sales") == new
        previous = client.get_secret_value(SecretId=secret_name("sales"), VersionStage="AWSPREVIOUS")
        assert json.loads(previous["SecretString"])["password"] == old
        current = json.loads(client.get_secret_value(SecretId=secret_name("sales"))["SecretString"])
        assert current == {
            "username": "sales",
            "mechanism": "SCRAM-SHA-512",
            "password": new,
            "bootstrap.servers": "b:9092",
        }
        versions = client.list_secret_version_ids(SecretId=secret_name("sales"))["Versions"]
        assert sorted(tuple(v["VersionStages"]) for v in versions) == [("AWSCURRENT",), ("AWSPREVIOUS",)]
        fresh = store.rotate("other", "SCRAM-SHA-512")  # no secret yet: one is made
        assert store.get("other") == fresh


# -- refresh: the stored password against state's fingerprint ------------------------------------


class _Logins:
    """Just what _refresh_users asks of a client: logins answered as a listener without SASL does."""

    def check_logins(self, users: dict, password_of: object) -> dict:
        return {}


class _Store:
    def __init__(self, passwords: dict[str, str]):
        self.passwords = passwords

    def get(self, user: str) -> str | None:
        return self.passwords.get(user)

    def location(self, user: str) -> str:
        return f"mem:{user}"


@pytest.mark.parametrize(
    ("recorded", "stored", "flagged"),
    [
        ("same", "pw-new", False),
        ("other", "pw-new", True),
        (None, "pw-new", False),  # adopted: state never saw a password, nothing to compare
        ("other", None, False),  # nothing stored: nothing to set (the login check speaks for it)
    ],
)
def test_refresh_flags_a_stored_password_state_did_not_record(
    recorded: str | None, stored: str | None, flagged: bool
) -> None:
    provider = KafkaProvider(lambda: None, _Store({"sales": stored} if stored else {}))  # type: ignore[arg-type, return-value]
    provider._client = _Logins()  # type: ignore[assignment]
    attrs = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    fp = {"same": fingerprint("pw-new"), "other": fingerprint("pw-old"), None: None}[recorded]
    managed = Managed(USER, "kafka_scram_user", attrs, {**attrs, "password": fp} if fp else dict(attrs))
    live = provider._refresh_users([managed], {"sales": [("SCRAM-SHA-512", 8192)]})
    assert ("password_applied" in live[USER]) is flagged
    if flagged:
        assert live[USER]["password_applied"] is False


# -- the CLI flag --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["plan", "-replace=kafka_scram_user.", "."],
            "Error: Invalid value for '-replace' / '--replace': 'kafka_scram_user.' is not a resource address",
        ),
        (
            ["apply", "--replace", "module.x", "."],
            "Error: Invalid value for '-replace' / '--replace': 'module.x' is not a resource address (TYPE.NAME): "
            "it names a module",
        ),
        (
            ["plan", "--replace=kafka_topics.sales.orders.v1", "."],
            "'kafka_topics.sales.orders.v1' is no resource meshctl manages",
        ),
        (["apply", "-replace"], "Error: Option '-replace' requires an argument."),
    ],
)
def test_a_malformed_replace_is_a_usage_error_before_anything_is_read(
    mesh_dir: Path, args: list[str], message: str
) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL.replace('domain "commerce"', 'domain "commerce" {\n}\ndomain "x"')})
    result = run(*args)  # a configuration that does not even load: the flag is refused before it is read
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.mark.parametrize(
    "spelling",
    [
        ["-replace=kafka_scram_user.sales"],
        ["--replace", "kafka_scram_user.sales"],
        ["--replace=kafka_scram_user.sales"],
        ["-replace", "kafka_scram_user.sales"],
    ],
)
def test_every_spelling_of_the_flag_reaches_the_check(mesh_dir: Path, spelling: list[str]) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run("plan", *spelling, "-replace=kafka_scram_user.analytics", ".")
    assert result.exit_code == 1, result.output
    assert "-replace=kafka_scram_user.analytics: not created yet" in result.stderr
    assert "-replace=kafka_scram_user.sales: not created yet" in result.stderr
    assert "refreshing" not in result.stderr  # a usage error before any server is asked


def test_help_shows_replace_examples() -> None:
    for command in ("plan", "apply"):
        shown = run(command, "--help").stdout
        assert "-replace, --replace ADDRESS" in shown
        assert "-replace=kafka_scram_user.sales" in shown


def test_the_pure_planner_refuses_a_bad_replace_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """For callers other than the CLI: build_plan compares nothing when a request is refused."""
    monkeypatch.chdir(tmp_path)
    desired, prior, observed = _inputs(tmp_path, Case())
    plan, diags = build_plan(desired, prior, observed, _replace("kafka_scram_user.nope"), TODAY)
    assert diags.has_errors and plan.changes == []
