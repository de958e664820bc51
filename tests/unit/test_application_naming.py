"""The names of an application's groups, transactional ids and topics cannot nest
(docs/design/applications.md, section 2): no PREFIXED pattern of one principal (`grp.<P>.`,
`txn.<P>.`, `<P>.`, `connect-<P>.`) matches a name another principal owns. Checked on the
strings meshctl.naming writes, over adversarial principal names, and on a compiled mesh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import stages
from meshctl.naming import (
    NAME_RE,
    application_namespace,
    application_principal,
    connect_group_id,
    connect_internal_topics,
    connect_sink_group_prefix,
    consumer_group_id,
    group_prefix,
    reserved_principal,
    streams_application_id,
    transactional_prefix,
)
from meshctl.plan.migration import watched_groups
from tests.unit.test_compile_applications import APPS, load_mesh
from tests.unit.test_validate_applications import BASE

# Names that are prefixes of one another with every separator a name may hold, and names that
# look like the markers.
ADVERSARIAL = ["a", "a-b", "a_b", "ab", "b", "a-b-c", "b-c", "connect", "connect-x", "connectx", "grp", "txn", "x"]
names = st.one_of(st.sampled_from(ADVERSARIAL), st.from_regex(r"\A[a-z][a-z0-9_-]{0,6}\Z"))


def patterns(p: str) -> dict[str, list[str]]:
    """Every PREFIXED pattern an application principal's ACLs use, by resource type."""
    return {
        "GROUP": [group_prefix(p), connect_sink_group_prefix(p)],
        "TRANSACTIONAL_ID": [transactional_prefix(p), application_namespace(p)],
        "TOPIC": [application_namespace(p)],
    }


def owned(p: str, root_domain: bool) -> dict[str, list[str]]:
    """Names principal `p` uses, by resource type; a root domain's topics live under `<p>.` too."""
    topics = [f"{streams_application_id(p)}-store-changelog", *connect_internal_topics(p).values()]
    if root_domain:
        topics.append(f"{p}.orders.v1")
    return {
        "GROUP": [
            consumer_group_id(p, "sales.orders", 1),
            streams_application_id(p),
            connect_group_id(p),
            f"{connect_sink_group_prefix(p)}s3",
        ],
        "TRANSACTIONAL_ID": [f"{transactional_prefix(p)}0", f"{streams_application_id(p)}-0a1b-1"],
        "TOPIC": topics,
    }


def principal_of(domain: str, app_name: str | None) -> str:
    return domain if app_name is None else application_principal(domain, app_name)


@settings(max_examples=400, deadline=None)
@given(
    st.tuples(names, st.one_of(st.none(), names)),
    st.tuples(names, st.one_of(st.none(), names)),
)
def test_no_prefixed_pattern_of_one_principal_matches_a_name_of_another(
    one: tuple[str, str | None], other: tuple[str, str | None]
) -> None:
    p, q = principal_of(*one), principal_of(*other)
    if p == q or reserved_principal(p) or reserved_principal(q) or not (NAME_RE.match(p) and NAME_RE.match(q)):
        return  # one principal, or names validation refuses (unique principals, reserved names)
    theirs = owned(q, root_domain=other[1] is None)
    for rtype, prefixes in patterns(p).items():
        for prefix in prefixes:
            hits = [n for n in theirs[rtype] if n.startswith(prefix)]
            assert not hits, f"{rtype} PREFIXED {prefix!r} of User:{p} matches {hits} of User:{q}"
    # Each principal's own names are covered by its own patterns (the check can fail).
    mine = owned(p, root_domain=False)
    for rtype in ("GROUP", "TRANSACTIONAL_ID"):
        literal = {streams_application_id(p), connect_group_id(p)}
        assert all(n in literal or any(n.startswith(x) for x in patterns(p)[rtype]) for n in mine[rtype])


def test_the_reserved_markers_are_what_would_nest() -> None:
    """Without the reservation, these principals' patterns would cover another principal's names."""
    assert consumer_group_id("x", "a.b", 1).startswith(application_namespace("grp"))  # a principal `grp`
    assert f"{transactional_prefix('x')}0".startswith(application_namespace("txn"))  # a principal `txn`
    assert f"{connect_sink_group_prefix('x')}s3".startswith(group_prefix("connect-x")[4:])
    assert streams_application_id("connect-x").startswith(connect_sink_group_prefix("x"))  # `connect-x` vs app x
    assert all(reserved_principal(n) for n in ("grp", "txn", "connect", "connect-x"))
    assert not any(reserved_principal(n) for n in ("connectx", "grpx", "a-connect", "txn_ops"))


def test_compiled_prefixed_acls_of_the_design_mesh_match_only_their_own_names(tmp_path: Path) -> None:
    mesh = load_mesh(tmp_path)
    res = compile_kafka(mesh, stages(mesh, date(2026, 12, 3), set()))
    acls = [r.attributes for r in res if r.type == "kafka_acl"]
    users = {str(a["principal"]).removeprefix("User:") for a in acls}
    owners = {u: owned(u, root_domain=u in mesh.domains and mesh.domains[u].parent is None) for u in users}
    for a in acls:
        if a["pattern_type"] != "PREFIXED":
            continue
        user, rtype, prefix = (
            str(a["principal"]).removeprefix("User:"),
            str(a["resource_type"]),
            str(a["resource_name"]),
        )
        for other, names_of in owners.items():
            if other != user:
                assert not [n for n in names_of.get(rtype, []) if n.startswith(prefix)], (user, prefix, other)
    # Every PREFIXED ACL is one of the shapes above (no other prefix sneaks in).
    shapes = {(u, t, x) for u in users for t, xs in patterns(u).items() for x in xs}
    shapes |= {(d, "GROUP", group_prefix(d)) for d in mesh.domains}
    prefixed = {
        (str(a["principal"]).removeprefix("User:"), str(a["resource_type"]), str(a["resource_name"]))
        for a in acls
        if a["pattern_type"] == "PREFIXED"
    }
    assert prefixed <= shapes and len(prefixed) >= 6


def test_retirement_watches_the_groups_of_reading_applications_by_kind(tmp_path: Path) -> None:
    base = (
        BASE
        + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n'
        + '  lifecycle {\n    replaces = 1\n    sunset = "2099-01-01"\n  }\n}\n'
        + 'data_product "orders_enriched" {\n  domain = "sales"\n}\n'
    )
    apps = APPS.replace(', "payments.transactions.v2"', "")
    mesh = load_mesh(tmp_path, apps, base)
    _, prefixes = watched_groups(mesh, stages(mesh, date(2026, 12, 3), set()))
    assert {"grp.analytics-dashboard.", "sales-enricher.streams", "connect-analytics-lake_sink."} <= set(prefixes)
    assert "grp.sales-orders_api." not in prefixes  # it writes orders, reads nothing
    assert not any(p.startswith("grp.sales.") for p in prefixes)  # the owner is no reader
