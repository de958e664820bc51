"""Consumer-group prefixes cannot nest: no principal's GROUP ACL covers a relative's groups.

Kafka PREFIXED ACLs are plain string prefixes, so the property is checked on the strings the
compiler really writes, over generated domain trees whose names are prefixes of each other
(`sales`, `salesops`, `sales-ops`, `s`) and integrations named like domains elsewhere.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import stages
from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.model import Mesh
from meshctl.naming import group_prefix
from meshctl.plan.migration import watched_groups
from meshctl.render.client_config import client_configs
from tests.helpers import write_mesh

# Names chosen to be prefixes of one another, with every separator a name may contain.
NAMES = ["sales", "salesops", "sales_ops", "sales-ops", "s", "sa", "ops", "grp", "commerce", "com", "lake", "x"]
# A domain may not be named `grp` (a reserved principal: test_validate_applications); `grpx` is.
DOMAIN_NAMES = [n for n in NAMES if n != "grp"] + ["grpx"]
VENDOR_MODULE = {"vendor/main.hcl": 'variable "integration" {}\n'}


def _domain(name: str, parent: str | None) -> str:
    parent_line = f'  parent = "{parent}"\n' if parent else ""
    return f'domain "{name}" {{\n{parent_line}  owners {{ accountable = "o@acme.example" }}\n}}\n'


def _generated_mesh(rng: random.Random) -> str:
    """A random tree; every domain owns product `p` and reads another's; a few integrations."""
    domains = rng.sample(DOMAIN_NAMES, rng.randint(2, 7))
    parents = {d: (rng.choice(domains[:i]) if i and rng.random() < 0.7 else None) for i, d in enumerate(domains)}
    text = "".join(_domain(d, parents[d]) for d in domains)
    reads: dict[str, str] = {}
    for d in domains:
        text += f'data_product "p" {{\n  domain = "{d}"\n}}\n'
        other = rng.choice([o for o in domains if o != d])
        reads[d] = f"{other}.p"
        text += f'access "{d}_reads_{other}" {{\n  product  = "{other}.p"\n  consumer = "{d}"\n}}\n'
    children = {d: {c for c, p in parents.items() if p == d} for d in domains}
    for name in rng.sample(NAMES, rng.randint(0, 3)):
        # An integration may not share a name with its own domain's children (validation says
        # so: topic namespace); any other domain's name is fair game.
        home = rng.choice([d for d in domains if name not in children[d]])
        text += (
            f'integration "{name}" {{\n  domain = "{home}"\n  vendor = "v"\n  source = "./vendor"\n'
            f'  reads  = ["{reads[home]}"]\n}}\n'
        )
    return text


def _load(directory: Path, text: str) -> Mesh:
    for old in directory.glob("*.hcl"):
        old.unlink()
    (directory / "vendor").mkdir(exist_ok=True)
    write_mesh(directory, {"m.hcl": text, **VENDOR_MODULE})
    return load(directory, LoadOptions(env={})).mesh


def _group_acls(mesh: Mesh) -> dict[str, str]:
    """Principal name -> the resource name of its PREFIXED GROUP ACL, as compiled."""
    out: dict[str, str] = {}
    for r in compile_kafka(mesh):
        a = r.attributes
        if r.type == "kafka_acl" and a["resource_type"] == "GROUP":
            assert a["pattern_type"] == "PREFIXED"
            user = str(a["principal"]).removeprefix("User:")
            assert user not in out, f"two GROUP ACLs for {user}"
            out[user] = str(a["resource_name"])
    return out


def _writers(mesh: Mesh) -> dict[str, set[str]]:
    """Topic -> the principals whose WRITE ACL (literal or prefixed) reaches it."""
    acls = [
        r.attributes for r in compile_kafka(mesh) if r.type == "kafka_acl" and r.attributes["resource_type"] == "TOPIC"
    ]
    out: dict[str, set[str]] = {}
    for topic in map(mesh.topic_name, mesh.products):
        out[topic] = {
            str(a["principal"]).removeprefix("User:")
            for a in acls
            if "WRITE" in a["operations"]  # type: ignore[operator]
            and (
                topic == a["resource_name"]
                or (a["pattern_type"] == "PREFIXED" and topic.startswith(str(a["resource_name"])))
            )
        }
    return out


def _nested(prefixes: dict[str, str]) -> list[tuple[str, str]]:
    """(a, b) where a's PREFIXED ACL matches groups b may use: a may join b's groups."""
    return [(a, b) for a, pa in prefixes.items() for b, pb in prefixes.items() if a != b and pb.startswith(pa)]


def _tree_prefixes(mesh: Mesh) -> dict[str, str]:
    """The old naming (`<domain path>.`, `<domain path>.<integration>.`), to show the check bites."""
    out = {d: mesh.path(d) + "." for d in mesh.domains}
    out |= {i.principal_name: f"{mesh.path(i.domain)}.{i.name}." for i in mesh.integrations}
    return out


def test_no_group_prefix_covers_another_principal_over_generated_trees(tmp_path: Path) -> None:
    rng = random.Random(20261202)
    checked = old_nesting = 0
    for _ in range(150):
        text = _generated_mesh(rng)
        try:
            mesh = _load(tmp_path, text)
        except ConfigError as exc:
            # The only refusals expected: two blocks that would share one principal.
            assert "would share the principal" in exc.format(), f"{exc.format()}\n{text}"
            continue
        prefixes = _group_acls(mesh)
        # Every domain (each reads something) and every integration has its own prefix ...
        assert set(prefixes) == set(mesh.domains) | {i.principal_name for i in mesh.integrations}
        # ... keyed by the principal, and none is a prefix of another's: no parent joins a
        # child's groups, no child its parent's, no domain its integrations', nor the reverse.
        assert all(p == group_prefix(user) for user, p in prefixes.items())
        assert _nested(prefixes) == [], text
        # A group named under one prefix is matched by exactly one principal's ACL.
        for user, p in prefixes.items():
            assert [u for u, q in prefixes.items() if (p + "g").startswith(q)] == [user]
        # Topics nest by design (a child's namespace is inside its parent's), but writing never
        # reaches a relative's product: each topic has exactly one writer, its owner.
        assert _writers(mesh) == {mesh.topic_name(p): {p.domain} for p in mesh.products}
        checked += 1
        old_nesting += bool(_nested(_tree_prefixes(mesh)))
    assert checked > 140
    assert old_nesting > 100  # the tree-shaped naming nests in most of these meshes: the check can fail


def test_relatives_with_prefix_names_and_integrations_named_like_domains(tmp_path: Path) -> None:
    text = (
        _domain("commerce", None)
        + _domain("sales", "commerce")
        + _domain("salesops", "commerce")
        + _domain("ops", "sales")
        + "".join(
            f'data_product "p" {{\n  domain = "{d}"\n}}\n'
            f'access "{d}_reads" {{\n  product  = "{src}.p"\n  consumer = "{d}"\n}}\n'
            for d, src in (("commerce", "ops"), ("sales", "salesops"), ("salesops", "sales"), ("ops", "commerce"))
        )
        # Named like the grandchild `ops` and like the sibling `sales`.
        + 'integration "ops" {\n  domain = "commerce"\n  vendor = "v"\n  source = "./vendor"\n'
        '  reads = ["ops.p"]\n}\n'
        + 'integration "sales" {\n  domain = "salesops"\n  vendor = "v"\n  source = "./vendor"\n'
        '  reads = ["sales.p"]\n}\n'
    )
    mesh = _load(tmp_path, text)
    prefixes = _group_acls(mesh)
    assert prefixes == {
        "commerce": "grp.commerce.",
        "sales": "grp.sales.",
        "salesops": "grp.salesops.",
        "ops": "grp.ops.",
        "commerce-ops": "grp.commerce-ops.",
        "salesops-sales": "grp.salesops-sales.",
    }
    assert _nested(prefixes) == []
    old = _nested(_tree_prefixes(mesh))
    assert ("commerce", "sales") in old and ("commerce", "commerce-ops") in old and ("sales", "ops") in old


def test_a_domain_and_an_integration_may_not_share_a_principal(tmp_path: Path) -> None:
    text = (
        _domain("sales", None)
        + _domain("sales-lake", None)
        + 'integration "lake" {\n  domain = "sales"\n  vendor = "v"\n  source = "./vendor"\n}\n'
    )
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert 'm.hcl:7: error: integration "lake" would share the principal User:sales-lake with domain "sales-lake"' in (
        caught.value.format()
    )


def test_two_integrations_may_not_share_a_principal(tmp_path: Path) -> None:
    text = (
        _domain("a", None)
        + _domain("a-b", None)
        + 'integration "b-c" {\n  domain = "a"\n  vendor = "v"\n  source = "./vendor"\n}\n'
        + 'integration "c" {\n  domain = "a-b"\n  vendor = "v"\n  source = "./vendor"\n}\n'
    )
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert 'integration "c" would share the principal User:a-b-c with integration "b-c" of domain "a"' in (
        caught.value.format()
    )


@pytest.mark.parametrize("bad", ["", "a.b", "."])
def test_a_principal_name_with_a_dot_has_no_group_prefix(bad: str) -> None:
    with pytest.raises(ValueError):
        group_prefix(bad)


def test_client_config_group_id_falls_under_the_principals_own_prefix(tmp_path: Path) -> None:
    text = (
        _domain("commerce", None)
        + _domain("sales", "commerce")
        + 'data_product "orders" {\n  domain = "commerce"\n}\n'
        + 'access "sales_orders" {\n  product  = "commerce.orders"\n  consumer = "sales"\n}\n'
    )
    mesh = _load(tmp_path, text)
    files = client_configs(mesh, "sales", {"bootstrap.servers": "b:9092"}, "/creds/sales.properties", "")
    consumer = files["commerce.orders.v1.consumer.properties"]
    group = next(line.split("=", 1)[1] for line in consumer.splitlines() if line.startswith("group.id="))
    assert group == "grp.sales.commerce.orders.v1"
    prefixes = _group_acls(mesh)
    assert [u for u, p in prefixes.items() if group.startswith(p)] == ["sales"]  # the parent's ACL does not match


def test_retirement_watches_every_readers_groups_and_not_the_owners(tmp_path: Path) -> None:
    text = (
        _domain("commerce", None)
        + _domain("sales", "commerce")
        + _domain("analytics", None)
        + 'data_product "orders" {\n  domain = "sales"\n  version = 1\n}\n'
        + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n'
        '  lifecycle {\n    replaces = 1\n    sunset = "2099-01-01"\n  }\n}\n'
        + 'access "a" {\n  product  = "sales.orders"\n  consumer = "analytics"\n}\n'
        + 'integration "lake" {\n  domain = "analytics"\n  vendor = "v"\n  source = "./vendor"\n'
        '  reads = ["sales.orders.v1"]\n}\n'
    )
    mesh = _load(tmp_path, text)
    topics, prefixes = watched_groups(mesh, stages(mesh, date(2026, 12, 2), set()))
    assert topics == ["commerce.sales.orders.v1", "commerce.sales.orders.v2"]
    # The readers' own prefixes, plus the tree-shaped ones their groups had before: groups
    # named so still hold offsets, and an old version must not go under them.
    assert prefixes == ("analytics.", "analytics.lake.", "grp.analytics-lake.", "grp.analytics.")
    assert not any(p.startswith(("grp.sales", "commerce")) for p in prefixes)  # the owner is no reader


def test_an_integration_may_not_write_under_a_product_topic_name(tmp_path: Path) -> None:
    text = (
        _domain("sales", None)
        + 'data_product "orders" {\n  domain = "sales"\n  topic {\n    name = "sales.lake.orders"\n  }\n}\n'
        + 'integration "lake" {\n  domain = "sales"\n  vendor = "v"\n  source = "./vendor"\n}\n'
    )
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert (
        'm.hcl:10: error: integration "lake" may write every topic under "sales.lake.", which includes product '
        'topic "sales.lake.orders"'
    ) in caught.value.format()
    mesh = _load(tmp_path, text.replace('"sales.lake.orders"', '"sales.orders-lake"'))
    assert _writers(mesh) == {"sales.orders-lake": {"sales"}}
