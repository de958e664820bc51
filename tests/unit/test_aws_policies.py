"""Resource policies never lock meshctl out, and a role's secret pattern reaches its own
secret only. Policies are evaluated here with IAM's condition and wildcard semantics
(`*` any run of characters, `?` exactly one), since moto does not evaluate them."""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import pytest

from meshctl.compile.aws import admit_deployers
from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from meshctl.iam.identity import deployer_problem, principal_arn
from tests.helpers import write_mesh

ACCOUNT = "123456789012"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci/meshctl-deployer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/alice"


def iam_like(pattern: str, value: str) -> bool:
    """IAM's StringLike/ArnLike: `*` matches any run of characters (also `/` and `:`), `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _values(v: object) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def _condition_holds(operator: str, expected: list[str], actual: str | None) -> bool:
    base = operator.removesuffix("IfExists")
    if actual is None:
        return operator.endswith("IfExists")
    matches = {
        "StringEquals": lambda p: p == actual,
        "ArnEquals": lambda p: p == actual,
        "StringLike": lambda p: iam_like(p, actual),
        "ArnLike": lambda p: iam_like(p, actual),
        "Bool": lambda p: p.lower() == actual.lower(),
    }
    negated = {"StringNotEquals": "StringEquals", "ArnNotEquals": "ArnEquals", "StringNotLike": "StringLike"}
    negated["ArnNotLike"] = "ArnLike"
    if base in negated:
        return not any(map(matches[negated[base]], expected))
    return any(map(matches[base], expected))


def denied(statement: dict, principal: str, secure: bool = True) -> bool:
    """Whether this Deny statement applies to a request by `principal` (every condition holds)."""
    assert statement["Effect"] == "Deny"
    context = {
        "aws:principalarn": principal,
        "aws:principalaccount": principal.split(":")[4],
        "aws:securetransport": "true" if secure else "false",
    }
    for operator, block in (statement.get("Condition") or {}).items():
        for key, expected in block.items():
            if not _condition_holds(operator, _values(expected), context.get(key.lower())):
                return False
    return True


def _denies(policy: str) -> list[dict]:
    return [st for st in json.loads(policy)["Statement"] if st["Effect"] == "Deny"]


# -- admit_deployers: every kind of Deny ------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/owner"}},
        {"StringNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/owner"]}},
        {"ArnNotLike": {"AWS:PrincipalARN": ["arn:aws:iam::123456789012:role/owner*"]}},
        {"ArnNotEqualsIfExists": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/owner"]}},
        None,  # denies everyone
        {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}},  # denies the whole account
        {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}},  # on another key
    ],
)
def test_every_deny_spares_the_deployers_and_nobody_else(condition: dict | None) -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    policy = {"Version": "2012-10-17", "Statement": [statement, {"Effect": "Allow", "Action": "s3:Get*"}]}
    intruder = "arn:aws:iam::123456789012:role/intruder"
    assert denied(statement, intruder)  # the Deny as written applies to an outsider
    out = admit_deployers(policy, (DEPLOYER, ADMIN))
    deny = out["Statement"][0]
    assert not denied(deny, DEPLOYER) and not denied(deny, ADMIN)
    assert denied(deny, intruder)  # and still to the outsider
    assert out["Statement"][1] == policy["Statement"][1]  # an Allow is left alone
    assert policy["Statement"][0] == statement  # the input is not changed in place


def test_existing_exception_is_extended_not_duplicated() -> None:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/owner", DEPLOYER]}},
    }
    out = admit_deployers({"Statement": statement}, (DEPLOYER,))
    assert out["Statement"][0]["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/owner", DEPLOYER]}
    }


def test_a_transport_only_deny_stays_as_it_is() -> None:
    tls = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert admit_deployers({"Statement": [tls]}, (DEPLOYER,))["Statement"] == [tls]
    assert not denied(tls, DEPLOYER, secure=True) and denied(tls, DEPLOYER, secure=False)


# -- the shipped modules: deployers in every Deny, nobody else let in ---------------------

MESH = f"""
aws {{
  region        = "eu-west-1"
  account_id    = "{ACCOUNT}"
  deployer_arns = ["{DEPLOYER}", "{ADMIN}"]
}}
domain "sales" {{
  owners {{ accountable = "s@acme.example" }}
  policy {{ allowed_vendors = ["snowflake", "kafka-connect"] }}
}}
domain "salesops" {{
  owners {{ accountable = "o@acme.example" }}
  policy {{ allowed_vendors = ["snowflake", "kafka-connect"] }}
}}
domain "sales-eu" {{
  owners {{ accountable = "e@acme.example" }}
}}
domain "sale" {{
  owners {{ accountable = "x@acme.example" }}
}}
data_product "orders" {{
  domain = "sales"
}}
access "ops_reads_orders" {{
  product  = "sales.orders"
  consumer = "salesops"
}}
module "baseline" {{
  source   = "domain-baseline"
  for_each = mesh.domains
  domain   = each.value
}}
integration "snowflake" {{
  domain = "sales"
  vendor = "snowflake"
  source = "snowflake-s3-stage"
  reads  = ["sales.orders"]
  inputs = {{ vendor_secret = true }}
  aws {{
    trusted_principal = "arn:aws:iam::999999999999:user/snowflake"
    external_id       = "ext-1"
  }}
}}
integration "lake" {{
  domain = "salesops"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["sales.orders"]
  aws {{
    trusted_principal = "arn:aws:iam::{ACCOUNT}:role/connect-workers"
    external_id       = "ext-2"
  }}
}}
"""


@pytest.fixture
def desired(mesh_dir: Path) -> dict[str, dict]:
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return {r.address: dict(r.attributes) for r in Workspace(mesh_dir, LoadOptions(env={})).run().resources}


def _resource_policies(desired: dict[str, dict]) -> dict[str, str]:
    return {a: str(r["policy"]) for a, r in desired.items() if r.get("policy") and "assume_role_policy" not in r}


def _role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_modules_admit_the_deployers_in_every_deny(desired: dict[str, dict]) -> None:
    policies = _resource_policies(desired)
    # Buckets and secrets of 4 domains, the integrations' Kafka secrets, one vendor secret.
    assert len(policies) == 4 * 2 + 2 + 1
    for address, policy in policies.items():
        for st in _denies(policy):
            assert not denied(st, DEPLOYER) and not denied(st, ADMIN), (address, st)


def test_secrets_admit_only_their_role(desired: dict[str, dict]) -> None:
    roles = {str(r["name"]) for r in desired.values() if "assume_role_policy" in r}
    assert roles == {
        "meshctl-sales",
        "meshctl-salesops",
        "meshctl-sales-eu",
        "meshctl-sale",
        "meshctl-sales.snowflake",
        "meshctl-salesops.lake",
    }
    owner = {
        "meshctl/kafka/sales": "meshctl-sales",
        "meshctl/kafka/salesops": "meshctl-salesops",
        "meshctl/kafka/sales-eu": "meshctl-sales-eu",
        "meshctl/kafka/sale": "meshctl-sale",
        "meshctl/kafka/sales-snowflake": "meshctl-sales.snowflake",
        "meshctl/kafka/salesops-lake": "meshctl-salesops.lake",
        "meshctl/vendors/sales/snowflake": "meshctl-sales.snowflake",
    }
    secrets = {str(r["name"]): str(r["policy"]) for r in desired.values() if str(r.get("name", "")) in owner}
    assert set(secrets) == set(owner)  # integration secrets are managed resources too
    for name, policy in secrets.items():
        readers = {role for role in roles if not any(denied(st, _role_arn(role)) for st in _denies(policy))}
        assert readers == {owner[name]}, name


def test_buckets_admit_only_their_domain_and_its_integrations(desired: dict[str, dict]) -> None:
    roles = [str(r["name"]) for r in desired.values() if "assume_role_policy" in r]
    for r in desired.values():
        if "bucket" not in r:
            continue
        bucket = str(r["bucket"])
        readers = {role for role in roles if not any(denied(st, _role_arn(role)) for st in _denies(str(r["policy"])))}
        assert readers == {role for role in roles if role.split(".")[0] == bucket}, bucket


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(6))


def test_secret_patterns_never_cross(desired: dict[str, dict]) -> None:
    """Every generated secret name, plus names built to look alike, with Secrets Manager's
    random suffix: each role's GetSecretValue patterns reach exactly its own secrets."""
    rng = random.Random(7)
    names = {str(r["name"]) for r in desired.values() if str(r.get("name", "")).startswith("meshctl/")}
    names |= {"meshctl/kafka/sales-", "meshctl/kafka/sales-x", "meshctl/kafka/salesops-snowflake"}
    names |= {"meshctl/kafka/sales-abcdef", "meshctl/kafka/sales/x", "meshctl/kafka/s"}
    prefix = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:"
    arns = {f"{prefix}{name}-{_suffix(rng)}": name for name in sorted(names) for _ in range(20)}
    arns |= {f"{prefix}{name}-??????": name for name in names}  # '?' in a name is taken literally
    expected = {
        "meshctl-sales": {"meshctl/kafka/sales"},
        "meshctl-salesops": {"meshctl/kafka/salesops"},
        "meshctl-sales-eu": {"meshctl/kafka/sales-eu"},
        "meshctl-sale": {"meshctl/kafka/sale"},
        "meshctl-sales.snowflake": {"meshctl/kafka/sales-snowflake", "meshctl/vendors/sales/snowflake"},
        "meshctl-salesops.lake": {"meshctl/kafka/salesops-lake"},
    }
    for r in desired.values():
        if "inline_policies" not in r:
            continue
        patterns = [
            p
            for doc in r["inline_policies"].values()
            for st in json.loads(doc)["Statement"]
            if "secretsmanager:GetSecretValue" in _values(st["Action"])
            for p in _values(st["Resource"])
        ]
        reached = {name for arn, name in arns.items() if any(iam_like(p, arn) for p in patterns)}
        assert reached == expected[str(r["name"])], r["name"]


def test_old_trailing_star_pattern_did_cross() -> None:
    """The pattern this replaces: `sales-*` also reached the integration's and other domains' secrets."""
    old = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:meshctl/kafka/sales-*"
    new = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:meshctl/kafka/sales-??????"
    other = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:meshctl/kafka/sales-snowflake-Ab12Cd"
    assert iam_like(old, other) and not iam_like(new, other)


# -- who the deployer is -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("arn:aws:sts::123456789012:assumed-role/Deployer/ci-42", "arn:aws:iam::123456789012:role/Deployer"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/D/s@x.com", "arn:aws-us-gov:iam::123456789012:role/D"),
        ("arn:aws:iam::123456789012:user/ops/alice", "arn:aws:iam::123456789012:user/ops/alice"),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
        ("arn:aws:sts::123456789012:federated-user/bob", "arn:aws:sts::123456789012:federated-user/bob"),
        ("arn:aws:sts::123456789012:user/moto", "arn:aws:sts::123456789012:user/moto"),
    ],
)
def test_principal_arn_of_a_caller(caller: str, expected: str) -> None:
    assert principal_arn(caller) == expected


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        ("arn:aws:iam::123456789012:role/ci/deployer", None),
        ("arn:aws:iam::123456789012:user/alice", None),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:assumed-role/D/s", "write 'arn:aws:iam::123456789012:role/D'"),
        ("arn:aws:iam::123456789012:role/*", "wildcard"),
        ("arn:aws:iam::123456789012:role/deploy?r", "wildcard"),
        ("deployer", "is not an IAM user, role or root ARN"),
        ("arn:aws:iam::12345:role/x", "is not an IAM user, role or root ARN"),
    ],
)
def test_deployer_arns_are_exact_principals(arn: str, problem: str | None) -> None:
    found = deployer_problem(arn)
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_a_domains_password_on_another_cluster_has_the_same_guard_and_only_its_role_reads_it(
    mesh_dir: Path,
) -> None:
    """sales owns a product on cluster eu: its principal there has a password of its own, in
    meshctl/kafka/@eu/sales, which the baseline declares with the same Deny as the home one, and
    which the domain's role (only) may read; a domain with products on one cluster keeps exactly
    one secret and its one credentials statement."""
    eu = MESH.replace('data_product "orders" {\n  domain = "sales"\n}', "")
    eu += 'kafka "eu" {\n  bootstrap_servers = "eu:9092"\n}\n'
    eu += 'data_product "orders" {\n  domain  = "sales"\n  cluster = "eu"\n}\n'
    eu += 'data_product "refunds" {\n  domain = "sales"\n}\n'
    eu = eu.replace(
        'product  = "sales.orders"\n  consumer = "salesops"', 'product  = "sales.refunds"\n  consumer = "salesops"'
    )
    eu = eu.replace('reads  = ["sales.orders"]', 'reads  = ["sales.refunds"]')
    write_mesh(mesh_dir, {"main.hcl": eu})
    desired = {r.address: dict(r.attributes) for r in Workspace(mesh_dir, LoadOptions(env={})).run().resources}
    secret = desired['module.baseline["sales"].aws_secretsmanager_secret.kafka_elsewhere["eu"]']
    home = desired['module.baseline["sales"].aws_secretsmanager_secret.kafka']
    assert (secret["name"], home["name"]) == ("meshctl/kafka/@eu/sales", "meshctl/kafka/sales")
    assert _denies(str(secret["policy"])) == _denies(str(home["policy"]))
    role = desired['module.baseline["sales"].aws_iam_role.domain']["inline_policies"]
    assert isinstance(role, dict)
    (statement,) = json.loads(str(role["credentials_elsewhere"]))["Statement"]
    assert statement["Resource"] == [
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:meshctl/kafka/@eu/sales-??????"
    ]
    others = [a for a in desired if "kafka_elsewhere" in a]
    assert others == ['module.baseline["sales"].aws_secretsmanager_secret.kafka_elsewhere["eu"]']
    ops = desired['module.baseline["salesops"].aws_iam_role.domain']["inline_policies"]
    assert isinstance(ops, dict) and "credentials_elsewhere" not in ops


COPY = """
copy "orders_copy" {
  domain  = "salesops"
  product = "sales.orders"
  version = 1
}
"""


def test_a_copy_s_connector_secret_is_declared_with_its_domain_s_policy(mesh_dir: Path) -> None:
    """The copy's principal password: without a declared secret the credential store would
    create it with no resource policy; it admits whom its copying domain's own secret admits."""
    write_mesh(mesh_dir, {"main.hcl": MESH + COPY})
    resources = Workspace(mesh_dir, LoadOptions(env={})).run().resources
    by_address = {r.address: r for r in resources}
    secret = by_address["aws_secretsmanager_secret.salesops-orders_copy-v1+copy"]
    assert secret.attributes["name"] == "meshctl/kafka/salesops-orders_copy-v1+copy"
    roles = {str(r.attributes["name"]) for r in resources if "assume_role_policy" in r.attributes}
    denies = _denies(str(secret.attributes["policy"]))
    assert {role for role in roles if not any(denied(st, _role_arn(role)) for st in denies)} == {"meshctl-salesops"}
    assert not any(denied(st, DEPLOYER) or denied(st, ADMIN) for st in denies)
    # and the copy's password waits for it
    assert secret.address in by_address["kafka_scram_user.salesops-orders_copy-v1+copy"].depends_on


def test_without_aws_a_copy_declares_no_secret(mesh_dir: Path) -> None:
    plain = MESH[MESH.index('domain "sales"') : MESH.index('module "baseline"')]
    write_mesh(mesh_dir, {"main.hcl": plain + COPY})
    resources = Workspace(mesh_dir, LoadOptions(env={})).run().resources
    assert "kafka_scram_user.salesops-orders_copy-v1+copy" in {r.address for r in resources}
    assert not [r for r in resources if r.type == "aws_secretsmanager_secret"]
