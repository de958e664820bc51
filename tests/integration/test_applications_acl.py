"""Applications on the real broker: one of each kind, the exact ACL bindings of each app
principal, a re-plan without changes, removal (ACLs, then the principal), and the denials plain
confluent-kafka clients meet with the apps' own passwords (docs/design/applications.md, 4 and 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

TOPIC_DENIED, GROUP_DENIED = "TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED"
R, W = ("READ", "DESCRIBE"), ("WRITE", "DESCRIBE")


def _mesh(p: str, with_dashboard: bool = True) -> dict[str, str]:
    owners = '  owners { accountable = "o@acme.example" }\n'

    def product(name: str, domain: str) -> str:
        return f'data_product "{name}" {{\n  domain = "{p}{domain}"\n  topic {{\n    partitions = 1\n  }}\n}}\n'

    def app(name: str, domain: str, kind: str, *lines: str) -> str:
        body = "".join(f"  {line}\n" for line in lines)
        return f'application "{name}" {{\n  domain = "{p}{domain}"\n  kind = "{kind}"\n{body}}}\n'

    apps = (
        app("orders_api", "sales", "producer", "transactional = true", 'writes = ["orders"]')
        + app(
            "enricher",
            "sales",
            "streams",
            "transactional = true",
            f'reads = ["{p}sales.orders"]',
            'writes = ["orders_enriched"]',
        )
        + app("lake_sink", "analytics", "connect", f'reads = ["{p}sales.orders"]')
    )
    if with_dashboard:
        apps += app("dashboard", "analytics", "consumer", f'reads = ["{p}sales.orders"]')
    return {
        "main.hcl": 'kafka {\n  request_timeout = "20s"\n}\n'
        + f'domain "{p}sales" {{\n{owners}}}\ndomain "{p}analytics" {{\n{owners}}}\n'
        + product("orders", "sales")
        + product("orders_enriched", "sales")
        + product("returns", "sales")  # no app writes it: the domain stays its writer
        + f'access "{p}a_orders" {{\n  product  = "{p}sales.orders"\n  consumer = "{p}analytics"\n}}\n'
        # Granted to analytics, named in none of its apps' reads.
        + f'access "{p}a_returns" {{\n  product  = "{p}sales.returns"\n  consumer = "{p}analytics"\n}}\n',
        "apps.hcl": apps,
    }


def _apply(*extra: str) -> str:
    result = run("apply", "--auto-approve", "--no-color", *extra, ".")
    assert result.exit_code == 0, result.output
    assert "Apply complete!" in result.output
    return result.output


def _plan() -> tuple[int, str]:
    result = run("plan", "--no-color", "--detailed-exitcode", ".")
    return result.exit_code, re.sub(r"(?<=\S) {2,}", " ", result.stdout)


def _bindings(who: str, *acls: tuple[str, str, str, tuple[str, ...]]) -> set[tuple[str, str, str, str, str]]:
    return {(f"User:{who}", rtype, name, pattern, op) for rtype, name, pattern, ops in acls for op in ops}


def _creds(workdir: Path, user: str) -> dict[str, str]:
    return kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{user}.properties")


def test_each_kind_gets_exactly_its_acls_and_nothing_more(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    _apply()
    api, enricher, sink, dash = (
        f"{p}sales-orders_api",
        f"{p}sales-enricher",
        f"{p}analytics-lake_sink",
        f"{p}analytics-dashboard",
    )
    orders, enriched, returns = (f"{p}sales.{n}.v1" for n in ("orders", "orders_enriched", "returns"))
    internal = ("READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS")
    expected = {
        api: _bindings(api, ("TOPIC", orders, "LITERAL", W), ("TRANSACTIONAL_ID", f"txn.{api}.", "PREFIXED", W)),
        enricher: _bindings(
            enricher,
            ("TOPIC", orders, "LITERAL", R),
            ("TOPIC", enriched, "LITERAL", W),
            (
                "TOPIC",
                f"{enricher}.",
                "PREFIXED",
                ("CREATE", "READ", "WRITE", "DELETE", "DESCRIBE"),
            ),
            ("GROUP", f"{enricher}.streams", "LITERAL", R),
            ("TRANSACTIONAL_ID", f"{enricher}.", "PREFIXED", W),
        ),
        sink: _bindings(
            sink,
            ("TOPIC", orders, "LITERAL", R),
            ("GROUP", f"{sink}.connect", "LITERAL", R),
            ("GROUP", f"connect-{sink}.", "PREFIXED", R),
            *(("TOPIC", f"{sink}.connect-{role}", "LITERAL", internal) for role in ("configs", "offsets", "status")),
        ),
        dash: _bindings(dash, ("TOPIC", orders, "LITERAL", R), ("GROUP", f"grp.{dash}.", "PREFIXED", R)),
        # The domain keeps DESCRIBE on what its apps write and WRITE on what no app writes (no CLUSTER ACL anywhere).
        f"{p}sales": _bindings(
            f"{p}sales",
            ("TOPIC", orders, "LITERAL", ("DESCRIBE",)),
            ("TOPIC", enriched, "LITERAL", ("DESCRIBE",)),
            ("TOPIC", returns, "LITERAL", W),
        ),
    }
    for who, bindings in expected.items():
        assert kafkautil.acls(admin, {f"User:{who}"}) == bindings, who
    users = kafkautil.scram_users(admin)
    assert {u: users.get(u) for u in (api, enricher, sink, dash)} == dict.fromkeys(
        (api, enricher, sink, dash), ["SCRAM_SHA_512"]
    )
    topics = kafkautil.topics(admin, f"{sink}.")
    assert {n: parts for n, (parts, _) in topics.items()} == {
        f"{sink}.connect-configs": 1,
        f"{sink}.connect-offsets": 25,
        f"{sink}.connect-status": 5,
    }
    configs = kafkautil.topic_configs(admin, sorted(topics))
    assert all(c.get("cleanup.policy") == "compact" for c in configs.values()), configs
    assert (workdir / ".meshctl" / "credentials" / f"{api}.properties").stat().st_mode & 0o777 == 0o600

    # A re-plan reads every app principal, ACL and Connect topic back to its address: no changes.
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")

    # The Streams app creates its internal topics under its own namespace (CREATE is its own);
    # meshctl neither deletes them nor reports them as drift.
    streams_admin = AdminClient(_creds(workdir, enricher) | {"log_level": 0})
    changelog = f"{enricher}.streams-counts-changelog"
    for fut in streams_admin.create_topics([NewTopic(changelog, 1, 1)]).values():
        fut.result(timeout=20)
    assert kafkautil.wait_for_topic(admin, changelog), f"{changelog} never showed in the metadata"
    assert _plan()[0] == 0
    drift = run("drift", "--no-color", ".")
    assert drift.exit_code == 0, drift.output
    # ... and cannot create a topic under another app's namespace, nor the domain's; the Connect
    # worker's principal creates no topic at all, not even under its own namespace.
    sink_admin = AdminClient(_creds(workdir, sink) | {"log_level": 0})
    for who, client, name in (
        (enricher, streams_admin, f"{sink}.connect-extra"),
        (enricher, streams_admin, f"{p}sales.mine"),
        (sink, sink_admin, f"{sink}.connect-extra"),
    ):
        (fut,) = client.create_topics([NewTopic(name, 1, 1)]).values()
        try:
            fut.result(timeout=20)
            raise AssertionError(f"{who} created {name}")
        except KafkaException as exc:
            assert exc.args[0].name() == TOPIC_DENIED, exc


def test_denials_with_the_apps_own_passwords(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    _apply()
    api, enricher, dash = f"{p}sales-orders_api", f"{p}sales-enricher", f"{p}analytics-dashboard"
    orders, enriched, returns = (f"{p}sales.{n}.v1" for n in ("orders", "orders_enriched", "returns"))
    creds = {who: _creds(workdir, who) for who in (api, enricher, dash, f"{p}sales", f"{p}analytics")}

    # Its own product: an idempotent producer with no CLUSTER ACL (KIP-679) delivers.
    assert kafkautil.produce(creds[api], orders, b"order-1") is None
    # App A producing to app B's product.
    assert kafkautil.produce(creds[api], enriched, b"x") == TOPIC_DENIED
    assert kafkautil.produce(creds[enricher], orders, b"x") == TOPIC_DENIED
    # The domain principal lost WRITE on what an app now writes, and kept it on the rest.
    assert kafkautil.produce(creds[f"{p}sales"], orders, b"x") == TOPIC_DENIED
    assert kafkautil.produce(creds[f"{p}sales"], returns, b"return-1") is None
    # A consumer app in its own groups reads; in another app's group, or its domain's, it is refused.
    own = f"grp.{dash}.{p}sales.orders.v1"
    assert kafkautil.consume(creds[dash], orders, own) == b"order-1"
    for group in (f"grp.{api}.{p}sales.orders.v1", f"{enricher}.streams", f"grp.{p}analytics.x"):
        assert kafkautil.consume(creds[dash], orders, group) == GROUP_DENIED, group
    # A consumer app cannot read a product its domain is granted but its reads do not name, nor write.
    assert kafkautil.consume(creds[f"{p}analytics"], returns, f"grp.{p}analytics.r") == b"return-1"
    assert kafkautil.consume(creds[dash], returns, f"grp.{dash}.r") == TOPIC_DENIED
    assert kafkautil.produce(creds[dash], orders, b"x", idempotent=False) == TOPIC_DENIED
    # A transactional producer initialises under its own txn.<P>. ids only.
    assert _init_transactions(creds[api], f"txn.{api}.0") is None
    assert _init_transactions(creds[api], f"txn.{p}sales-other.0") == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
    assert _init_transactions(creds[api], f"{enricher}.streams-0-1") == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"


def _init_transactions(props: dict[str, str], transactional_id: str) -> str | None:
    """None when the producer initialises its transactions, else the error's name."""
    producer = Producer(props | {"transactional.id": transactional_id, "log_level": 0})
    try:
        producer.init_transactions(20)
        return None
    except KafkaException as exc:
        return str(exc.args[0].name())


def test_removing_an_application_deletes_its_acls_then_its_principal(
    workdir: Path, prefix: str, admin: AdminClient
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    _apply()
    dash = f"{p}analytics-dashboard"
    assert kafkautil.acls(admin, {f"User:{dash}"})
    write_mesh(workdir, _mesh(p, with_dashboard=False))
    code, plan = _plan()
    assert code == 2
    assert (
        f"- kafka_scram_user.{p}analytics.dashboard" in plan
        or f"kafka_scram_user.{p}analytics.dashboard will be destroyed" in plan
    ), plan
    output = _apply()
    lines = output.splitlines()

    def first(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    # ACLs go before the principal (they depend on it).
    assert first(f"kafka_acl.{dash}/") < first(f"kafka_scram_user.{p}analytics.dashboard"), output
    assert kafkautil.acls(admin, {f"User:{dash}"}) == set()
    assert dash not in kafkautil.scram_users(admin)
    assert not (workdir / ".meshctl" / "credentials" / f"{dash}.properties").exists()
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")


ACCOUNT = "123456789012"
MOTO_USER = f"arn:aws:sts::{ACCOUNT}:user/moto"  # moto's identity: the deployer every Deny spares


def _aws_mesh(p: str, apps: bool = True) -> dict[str, str]:
    runs_as = f"arn:aws:iam::{ACCOUNT}:role/{p}enricher"
    main = f'''
aws {{
  region     = "eu-west-1"
  account_id = "{ACCOUNT}"
}}
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
}}
module "baseline" {{
  source        = "domain-baseline"
  for_each      = mesh.domains
  domain        = each.value
  bucket_prefix = "{p}"
}}
'''
    app_blocks = f'''
application "enricher" {{
  domain = "{p}sales"
  kind   = "producer"
  writes = ["orders"]
  aws {{
    runs_as = ["{runs_as}"]
  }}
}}
application "audit" {{
  domain = "{p}sales"
  kind   = "consumer"
  reads  = ["{p}sales.orders"]
}}
'''
    return {"main.hcl": main, "apps.hcl": app_blocks if apps else ""}


def test_on_aws_each_app_password_lives_in_its_own_secret(
    workdir: Path, prefix: str, aws_env: dict[str, str], admin: AdminClient, broker: KafkaSandbox
) -> None:
    p = prefix
    write_mesh(workdir, _aws_mesh(p))
    _apply()
    sm = boto3.client("secretsmanager")
    enricher, audit = f"{p}sales-enricher", f"{p}sales-audit"
    role = f"arn:aws:iam::{ACCOUNT}:role/{p}enricher"
    domain_role = f"arn:aws:iam::{ACCOUNT}:role/{p}-{p}sales"

    def policy(user: str) -> dict[str, dict]:
        doc = json.loads(sm.get_resource_policy(SecretId=f"meshctl/kafka/{user}")["ResourcePolicy"])
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        return {st["Effect"]: st for st in statements}

    mine = policy(enricher)
    assert mine["Allow"]["Principal"] == {"AWS": role} or mine["Allow"]["Principal"] == {"AWS": [role]}
    assert sorted(mine["Deny"]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == sorted([role, MOTO_USER])
    # Without runs_as: whoever may read the domain's secret (its role), and the deployer.
    theirs = policy(audit)
    assert set(theirs) == {"Deny"}
    assert sorted(theirs["Deny"]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == sorted([domain_role, MOTO_USER])
    # The secret holds the password the broker accepts; no local file is written.
    value = json.loads(sm.get_secret_value(SecretId=f"meshctl/kafka/{enricher}")["SecretString"])
    assert value["username"] == enricher and value["mechanism"] == "SCRAM-SHA-512"
    settings = broker.client_config(enricher, value["password"])
    assert kafkautil.produce(settings, f"{p}sales.orders.v1", b"o-1") is None
    assert not (workdir / ".meshctl" / "credentials" / f"{enricher}.properties").exists()
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")

    # Removing the apps deletes their principals and secrets (7-day recovery window) in one apply;
    # a secret holds a value, so its deletion is opted into as for any secret.
    write_mesh(workdir, _aws_mesh(p, apps=False))
    _apply("--allow-delete", "aws_secretsmanager_secret")
    for user in (enricher, audit):
        assert "DeletedDate" in sm.describe_secret(SecretId=f"meshctl/kafka/{user}")
        assert user not in kafkautil.scram_users(admin)
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")


def test_migrating_a_domain_to_applications_in_the_recommended_steps(
    workdir: Path, prefix: str, admin: AdminClient
) -> None:
    """Design section 8: without apps nothing changes; apps with `writes = []` only add; moving
    `writes` updates the domain's ACL in place (WRITE removed, DESCRIBE kept) in the same apply."""
    p = prefix
    full = _mesh(p, with_dashboard=False)
    write_mesh(workdir, {"main.hcl": full["main.hcl"], "apps.hcl": ""})
    _apply()
    orders = f"{p}sales.orders.v1"
    creds = _creds(workdir, f"{p}sales")
    assert kafkautil.produce(creds, orders, b"before") is None

    # Step 1: the app is declared, reading only: the plan adds, and changes nothing of the domain.
    api = f"{p}sales-orders_api"
    step1 = f'application "orders_api" {{\n  domain = "{p}sales"\n  kind = "producer"\n  writes = []\n}}\n'
    write_mesh(workdir, {"apps.hcl": step1})
    code, plan = _plan()
    assert code == 2 and "Plan: 1 to add, 0 to change, 0 to destroy." in plan, plan  # its principal
    _apply()
    assert kafkautil.produce(creds, orders, b"still the domain") is None

    # Step 2: writes move to the app; the domain's ACL on that topic is updated in place.
    write_mesh(workdir, {"apps.hcl": step1.replace("writes = []", 'writes = ["orders"]')})
    code, plan = _plan()
    assert code == 2, plan
    assert (
        f'~ resource "kafka_acl" "{p}sales/topic/{orders}"' in plan or f"~ kafka_acl.{p}sales/topic/{orders}" in plan
    ), plan
    assert "Plan: 1 to add, 1 to change, 0 to destroy." in plan, plan  # the app's WRITE; the domain's ACL
    _apply()
    assert kafkautil.produce(creds, orders, b"x") == TOPIC_DENIED
    assert kafkautil.produce(_creds(workdir, api), orders, b"by the app") is None
    assert kafkautil.acls(admin, {f"User:{p}sales"}) >= {(f"User:{p}sales", "TOPIC", orders, "LITERAL", "DESCRIBE")}
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")
