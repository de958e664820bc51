"""Governance at the nearest common ancestor: the NCA, too many copies, approvals, exceptions."""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError, SourceRange
from meshctl.mesh.exceptions import in_force
from meshctl.mesh.model import Domain, Mesh, Policy
from meshctl.mesh.tree import nearest_common_ancestor
from tests.helpers import write_mesh

TODAY = date(2026, 12, 3)

# -- the nearest common ancestor -----------------------------------------------------------


def _tree(parents: dict[str, str | None]) -> Mesh:
    mesh = Mesh(Path("."))
    for name, parent in parents.items():
        mesh.domains[name] = Domain(name, parent, "", None, Policy(), SourceRange("m.hcl", 1))
    return mesh


DEEP = {
    "root": None,
    "a": "root",
    "a1": "a",
    "a11": "a1",
    "a111": "a11",
    "a12": "a1",
    "b": "root",
    "b1": "b",
    "b11": "b1",
    "other": None,
    "other1": "other",
}


@pytest.mark.parametrize(
    ("domains", "expected"),
    [
        (["a111", "a12"], "a1"),
        (["a111", "a11"], "a11"),  # an ancestor of the other: itself
        (["a111", "b11"], "root"),
        (["a111", "a12", "a11"], "a1"),
        (["a111", "a111"], "a111"),
        (["a1"], "a1"),
        (["b11", "b1", "b"], "b"),
        (["a111", "other1"], None),  # two roots
        (["a111", "nope"], None),
        ([], None),
    ],
)
def test_nearest_common_ancestor_on_a_deep_tree(domains: list[str], expected: str | None) -> None:
    assert nearest_common_ancestor(_tree(DEEP), domains) == expected


def test_nearest_common_ancestor_of_a_deep_chain_is_fast_and_right() -> None:
    parents: dict[str, str | None] = {"d0": None}
    for i in range(1, 300):
        parents[f"d{i}"] = f"d{i - 1}"
    parents["side"] = "d150"
    assert nearest_common_ancestor(_tree(parents), ["d299", "side"]) == "d150"


def test_nearest_common_ancestor_survives_a_cycle() -> None:
    mesh = _tree({"x": "y", "y": "x", "z": "x"})  # validation reports the cycle
    assert nearest_common_ancestor(mesh, ["z", "y"]) in ("x", "y")


# -- meshes --------------------------------------------------------------------------------

TREE = """
domain "commerce" {
  owners {
    accountable = "head@acme.example"
    responsible = ["team-commerce", "deputy@acme.example"]
    consulted   = ["governance@acme.example"]
    informed    = ["all@acme.example"]
  }
  policy {
    POLICY
  }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales@acme.example" }
}
domain "payments" {
  parent = "commerce"
  owners { accountable = "pay@acme.example" }
}
domain "shipping" {
  parent = "commerce"
  owners { accountable = "ship@acme.example" }
}
domain "eu_sales" {
  parent = "sales"
  owners {
    accountable = "eu@acme.example"
  }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
}
"""


def _mesh(policy: str = "", extra: str = "") -> str:
    return TREE.replace("POLICY", policy) + extra


def _load(tmp_path: Path, text: str, today: date = TODAY):  # type: ignore[no-untyped-def]
    return load(write_mesh(tmp_path / "m", {"m.hcl": text}), LoadOptions(env={}, today=today))


def _diags(tmp_path: Path, text: str, today: date = TODAY) -> list[str]:
    try:
        return [d.format() for d in _load(tmp_path, text, today).warnings]
    except ConfigError as exc:
        return [d.format() for d in exc.diagnostics]


def _grant(name: str, consumer: str, approval: str = "", version: str = "") -> str:
    block = f'  approval {{\n    by = "{approval}"\n    ticket = "GOV-1"\n  }}\n' if approval else ""
    return f'access "{name}" {{\n  product = "sales.orders{version}"\n  consumer = "{consumer}"\n{block}}}\n'


def _copy(name: str, domain: str, approval: str = "") -> str:
    block = f'  approval {{ by = "{approval}" }}\n' if approval else ""
    return f'copy "{name}" {{\n  domain = "{domain}"\n  product = "sales.orders.v1"\n{block}}}\n'


# -- too many copies -----------------------------------------------------------------------


def _copies(*domains: str) -> str:
    return "".join(_grant(f"g_{d}", d) + _copy(f"orders_{d}", d) for d in domains)


def test_two_copies_are_within_the_default(tmp_path: Path) -> None:
    assert _diags(tmp_path, _mesh(extra=_copies("payments", "shipping"))) == []


def test_three_copies_exceed_the_default_and_a_shared_copy_is_suggested(tmp_path: Path) -> None:
    text = _mesh(extra=_copies("payments", "shipping", "analytics"))
    (found,) = _diags(tmp_path, text)
    assert "warning: sales.orders is copied by 3 domains (payments, shipping, analytics), more than max_copies = 2" in (
        found
    )
    assert "copy.payments.orders_payments.v1 (" in found and "copy.analytics.orders_analytics.v1 (" in found
    assert "the default max_copies is 2" in found
    # payments, shipping and analytics: commerce has no parent in common with analytics.
    assert "share no ancestor domain" in found


def test_the_shared_copy_goes_to_the_nearest_common_ancestor(tmp_path: Path) -> None:
    text = (
        _mesh()
        + 'domain "ops" {\n  parent = "commerce"\n  owners { accountable = "o" }\n}\n'
        + 'domain "ops_a" {\n  parent = "ops"\n  owners { accountable = "o" }\n}\n'
        + 'domain "ops_b" {\n  parent = "ops"\n  owners { accountable = "o" }\n}\n'
        + 'domain "ops_c" {\n  parent = "ops_b"\n  owners { accountable = "o" }\n}\n'
        + _copies("ops_a", "ops_b", "ops_c")
    )
    (found,) = _diags(tmp_path, text)
    assert 'keep one shared copy in domain "ops", the nearest common ancestor of ops_a, ops_b, ops_c' in found


def test_the_nearest_common_ancestor_above_the_producer_may_read_directly(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh("max_copies = 1", _copies("payments", "shipping")))
    assert 'max_copies = 1 is set by domain "commerce" at' in found
    assert 'keep one shared copy in domain "commerce"' in found
    assert 'or read sales.orders directly: it is already inside "commerce"' in found


def test_max_copies_is_inherited_and_a_child_may_tighten_it(tmp_path: Path) -> None:
    text = _mesh("max_copies = 5", _copies("payments", "shipping")).replace(
        'owners { accountable = "sales@acme.example" }',
        'owners { accountable = "sales@acme.example" }\n  policy { max_copies = 1 }',
    )
    (found,) = _diags(tmp_path, text)
    assert "more than max_copies = 1" in found and 'set by domain "sales"' in found


def test_max_copies_cannot_be_loosened(tmp_path: Path) -> None:
    text = _mesh("max_copies = 1").replace(
        'owners { accountable = "sales@acme.example" }',
        'owners { accountable = "sales@acme.example" }\n  policy { max_copies = 3 }',
    )
    found = _diags(tmp_path, text)
    assert any('domain "sales" loosens max_copies inherited from domain "commerce"' in d for d in found)


def test_copies_by_one_domain_of_two_versions_count_once(tmp_path: Path) -> None:
    text = (
        _mesh("max_copies = 1")
        + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n}\n'
        + _grant("g", "payments")
        + _copy("o1", "payments")
        + _copy("o2", "payments").replace("v1", "v2")
    )
    assert _diags(tmp_path, text) == []


def test_max_copies_must_be_a_whole_number(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh("max_copies = -1"))
    assert "m.hcl:9: error: max_copies must be a whole number of at least 0" in found


# -- approvals -----------------------------------------------------------------------------

REQUIRE = 'require_approval = ["access", "copy"]'


@pytest.mark.parametrize("who", ["head@acme.example", "team-commerce", "deputy@acme.example"])
def test_accountable_or_responsible_at_the_nca_approve(tmp_path: Path, who: str) -> None:
    assert _diags(tmp_path, _mesh(REQUIRE, _grant("g", "payments", who))) == []


def test_a_grant_without_the_required_approval_names_who_may_give_it(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh(REQUIRE, _grant("g", "payments")))
    assert found.endswith(
        'm.hcl:37: error: access "g" needs an approval from the accountable or responsible owners of '
        '"commerce": head@acme.example, team-commerce, deputy@acme.example\n'
        '  require_approval = [access, copy] is set by domain "commerce" at '
        + str(tmp_path / "m" / "m.hcl")
        + ':9; "commerce" is the nearest common ancestor of "sales" and "payments"\n'
        '  hint: add approval { by = "head@acme.example" } (until it is given: exception "..." '
        '{ rule = "grant_refused_by_policy", target = "access.g" })'
    )


@pytest.mark.parametrize(("who", "role"), [("governance@acme.example", "consulted"), ("all@acme.example", "informed")])
def test_consulted_or_informed_cannot_approve(tmp_path: Path, who: str, role: str) -> None:
    (found,) = _diags(tmp_path, _mesh(REQUIRE, _grant("g", "payments", who)))
    assert f'm.hcl:41: error: access "g": "{who}" is {role} at "commerce", so cannot approve it' in found
    assert 'approvals come from the accountable or responsible owners of "commerce"' in found


def test_the_producers_own_owner_is_not_the_nca_of_siblings(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh(REQUIRE, _grant("g", "payments", "sales@acme.example")))
    assert 'error: access "g": "sales@acme.example" is not accountable or responsible at "commerce"' in found


def test_a_grant_within_one_subtree_is_approved_at_its_nca(tmp_path: Path) -> None:
    # eu_sales is below sales: the NCA of the two is sales itself.
    ok = _mesh(REQUIRE, _grant("g", "eu_sales", "sales@acme.example"))
    assert _diags(tmp_path, ok) == []
    (found,) = _diags(tmp_path / "x", _mesh(REQUIRE, _grant("g", "eu_sales", "head@acme.example")))
    assert 'access "g": "head@acme.example" is not accountable or responsible at "sales"' in found


def test_domains_without_a_common_ancestor_cannot_be_approved(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh(REQUIRE, _grant("g", "analytics", "head@acme.example")))
    assert 'access "g" needs an approval at the nearest common ancestor of "sales" and "analytics", and they ' in found
    assert "share none" in found


def test_copies_need_approval_too_and_only_what_the_policy_lists(tmp_path: Path) -> None:
    only_copies = _mesh('require_approval = ["copy"]', _grant("g", "payments") + _copy("c", "payments"))
    (found,) = _diags(tmp_path, only_copies)
    assert 'copy "c" needs an approval from the accountable or responsible owners of "commerce"' in found
    approved = _mesh(
        'require_approval = ["copy"]', _grant("g", "payments") + _copy("c", "payments", "head@acme.example")
    )
    assert _diags(tmp_path / "x", approved) == []


def test_an_approval_is_checked_even_where_none_is_required(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh("", _grant("g", "payments", "nobody@acme.example")))
    assert 'access "g": "nobody@acme.example" is not accountable or responsible at "commerce"' in found
    assert "checked like a required one" not in found  # shown on a missing approval only


def test_require_approval_is_inherited_and_cannot_be_dropped(tmp_path: Path) -> None:
    text = _mesh('require_approval = ["access"]').replace(
        'owners { accountable = "sales@acme.example" }',
        'owners { accountable = "sales@acme.example" }\n  policy { require_approval = [] }',
    )
    found = _diags(tmp_path, text)
    assert any('domain "sales" loosens require_approval inherited from domain "commerce"' in d for d in found)


def test_require_approval_names_only_access_and_copy(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh('require_approval = ["grant"]'))
    assert "unknown 'grant' in require_approval" in found


def test_a_domains_own_grant_needs_no_approval(tmp_path: Path) -> None:
    found = _diags(tmp_path, _mesh(REQUIRE, _grant("g", "sales")))
    assert len(found) == 1 and 'grants "sales" its own product' in found[0]


# -- exceptions ----------------------------------------------------------------------------


def _exception(rule: str, target: str, expires: str = "2026-12-31", name: str = "e") -> str:
    return (
        f'exception "{name}" {{\n  rule = "{rule}"\n  target = "{target}"\n'
        f'  reason = "the vendor cannot yet"\n  expires = "{expires}"\n}}\n'
    )


NOT_IDEMPOTENT = (
    'application "feed" {\n  domain = "sales"\n  kind = "producer"\n  writes = ["orders"]\n  idempotent = false\n}\n'
)
NOT_TOLERATED = 'data_product "once" {\n  domain = "sales"\n  delivery {\n    duplicates = "not_tolerated"\n  }\n}\n'
LONG = 'data_product "long" {\n  domain = "sales"\n  topic {\n    config = { "retention.ms" = "1209600000" }\n  }\n}\n'

OFF_PATH = {
    "non_idempotent_producer": (
        NOT_IDEMPOTENT,
        "application.sales.feed",
        'application "feed" turns off producer idempotence',
    ),
    "delivery_contract": (NOT_TOLERATED, "data_product.sales.once.v1", 'promises duplicates = "not_tolerated"'),
    "retention_above_policy": (LONG, "data_product.sales.long.v1", "retention.ms 14d is over the maximum retention 7d"),
    "grant_refused_by_policy": (_grant("g", "payments"), "access.g", 'access "g" needs an approval'),
}
POLICY = 'max_retention = "7d"\n    require_approval = ["access"]'


@pytest.mark.parametrize("rule", sorted(OFF_PATH))
def test_off_the_happy_path_without_an_exception_is_an_error(tmp_path: Path, rule: str) -> None:
    block, _, message = OFF_PATH[rule]
    found = _diags(tmp_path, _mesh(POLICY, block))
    assert len(found) == 1 and "error: " in found[0] and message in found[0]
    assert rule in found[0]  # the hint names the exception's rule


@pytest.mark.parametrize("rule", sorted(OFF_PATH))
def test_a_matching_exception_excuses_it_until_its_last_day(tmp_path: Path, rule: str) -> None:
    block, target, message = OFF_PATH[rule]
    text = _mesh(POLICY, block + _exception(rule, target, "2026-12-03"))
    assert _diags(tmp_path, text, today=date(2026, 12, 3)) == []  # expires today: still in force
    found = _diags(tmp_path, text, today=date(2026, 12, 4))
    assert any('error: exception "e" expired on 2026-12-03' in d for d in found)
    assert any(message in d for d in found)  # expired: it no longer excuses


def test_an_exception_for_another_rule_or_target_excuses_nothing(tmp_path: Path) -> None:
    text = _mesh(POLICY, LONG + _exception("delivery_contract", "data_product.sales.long.v1"))
    found = _diags(tmp_path, text)
    assert any("retention.ms 14d is over the maximum" in d for d in found)
    assert any(
        'warning: exception "e" excuses nothing: data_product.sales.long.v1 is on the happy path' in d for d in found
    )


def test_an_exception_for_an_unknown_target_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    (found,) = _diags(tmp_path, _mesh("", _exception("delivery_contract", "data_product.sales.order.v1")))
    assert 'm.hcl:39: warning: exception "e" excuses nothing: data_product.sales.order.v1 is not declared' in found
    assert "did you mean 'data_product.sales.orders.v1'?" in found


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('rule = "whatever"', 'exception "e": unknown rule "whatever"'),
        ('expires = "2026-13-01"', "expires '2026-13-01' is not a date"),
        ('expires = "next year"', "expires 'next year' is not a date"),
        ('reason = "  "', 'exception "e" gives no reason'),
    ],
)
def test_bad_exception_blocks(tmp_path: Path, attrs: str, message: str) -> None:
    block = _exception("delivery_contract", "data_product.sales.orders.v1")
    key = attrs.split(" = ")[0]
    block = "\n".join(attrs if line.strip().startswith(key + " =") else line for line in block.splitlines()) + "\n"
    found = _diags(tmp_path, _mesh("", block))
    assert any(message in d for d in found), found


def test_duplicate_exceptions(tmp_path: Path) -> None:
    block = _exception("delivery_contract", "data_product.sales.once.v1")
    found = _diags(tmp_path, _mesh("", NOT_TOLERATED + block + block))
    assert any('error: duplicate exception "e"' in d for d in found)


def test_exceptions_in_force_as_data(tmp_path: Path) -> None:
    text = _mesh(
        POLICY,
        NOT_TOLERATED
        + _exception("delivery_contract", "data_product.sales.once.v1", "2027-01-02", "b")
        + LONG
        + _exception("retention_above_policy", "data_product.sales.long.v1", "2026-12-03", "a"),
    )
    mesh = _load(tmp_path, text).mesh
    shown = in_force(mesh, TODAY)
    assert [(e["name"], e["rule"], e["expires"], e["days_left"]) for e in shown] == [
        ("a", "retention_above_policy", "2026-12-03", 0),
        ("b", "delivery_contract", "2027-01-02", 30),
    ]
    assert shown[0]["target"] == "data_product.sales.long.v1" and shown[0]["reason"] == "the vendor cannot yet"
    assert shown[0]["line"] == 56
    assert in_force(mesh, date(2026, 12, 4))[0]["name"] == "b"  # a expired


def test_a_transactional_producer_cannot_turn_off_idempotence(tmp_path: Path) -> None:
    text = _mesh("", NOT_IDEMPOTENT.replace("  idempotent", "  transactional = true\n  idempotent"))
    (found,) = _diags(tmp_path, text)
    assert 'application "feed" is transactional, which needs an idempotent producer' in found


def test_idempotent_applies_to_producers(tmp_path: Path) -> None:
    text = _mesh("", 'application "reader" {\n  domain = "sales"\n  kind = "consumer"\n  idempotent = false\n}\n')
    (found,) = _diags(tmp_path, text)
    assert 'application "reader": idempotent applies to producers and streams, not consumer' in found


# -- the Markdown plan's approvals ---------------------------------------------------------


def test_approvals_for_the_grants_and_copies_a_plan_adds(tmp_path: Path) -> None:
    from meshctl.mesh.approvals import approvals_for
    from meshctl.plan.diff import diff
    from meshctl.plan.jsonformat import plan_to_json
    from meshctl.render.markdown import render_markdown
    from meshctl.state_model import State

    text = _mesh(
        REQUIRE,
        _grant("g", "payments", "head@acme.example")
        + _grant("h", "shipping", "team-commerce")
        + _copy("c", "payments", "deputy@acme.example"),
    )
    mesh = _load(tmp_path, text).mesh
    # Copies are not compiled yet: a copy being added is named as the source of a created resource.
    rows = approvals_for(mesh, {"access.g", "copy.payments.c.v1"}, TODAY)
    assert [(r["address"], r["approver_domain"], r["approved_by"]) for r in rows] == [
        ("access.g", "commerce", "head@acme.example"),
        ("copy.payments.c.v1", "commerce", "deputy@acme.example"),
    ]
    assert rows[0]["approvers"] == ["head@acme.example", "team-commerce", "deputy@acme.example"]
    assert rows[0]["ticket"] == "GOV-1" and rows[1]["ticket"] is None
    empty = plan_to_json(diff([], State(), {}))
    page = render_markdown(empty, rows)
    assert "#### Approvals this change needs" in page
    assert (
        "| `copy.payments.c.v1` | sales.orders | payments | commerce | head@acme.example, team-commerce, "
        "deputy@acme.example | approved by deputy@acme.example |"
    ) in page
    assert render_markdown(empty, []) == render_markdown(empty)  # no approvals: the page as before
    assert approvals_for(mesh, set(), TODAY) == []


def test_an_expired_exceptions_reason_is_shown_on_one_line(tmp_path: Path) -> None:
    block = _exception("delivery_contract", "data_product.sales.once.v1", "2026-12-02").replace(
        '"the vendor cannot yet"', '"line one\\nerror: forged"'
    )
    found = _diags(tmp_path, _mesh("", NOT_TOLERATED + block))
    expired = next(d for d in found if "expired on 2026-12-02" in d)
    assert "delivery_contract for data_product.sales.once.v1: line one error: forged" in expired
    assert "\nerror: forged" not in expired


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (_grant("g", "payments", "head@acme.example\\nerror: forged"), "approval.by must be one line of text"),
        (
            _exception("delivery_contract", "data_product.sales.once.v1\\u001b[2J"),
            "exception.target must be one line of text",
        ),
    ],
)
def test_names_shown_in_messages_are_one_line(tmp_path: Path, block: str, message: str) -> None:
    found = _diags(tmp_path, _mesh("", block))
    assert any(message in d for d in found), found


def test_the_report_document_lists_the_exceptions_in_force(tmp_path: Path) -> None:
    from datetime import datetime

    from meshctl.plan.report import build_report

    text = _mesh(POLICY, LONG + _exception("retention_above_policy", "data_product.sales.long.v1", "2026-12-03"))
    mesh = _load(tmp_path, text).mesh
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    doc = build_report(mesh, {}, now)
    assert doc["exceptions"] == in_force(mesh, TODAY)
    assert [e["name"] for e in doc["exceptions"]] == ["e"]  # type: ignore[union-attr]
    assert build_report(mesh, {}, now, today=date(2026, 12, 4))["exceptions"] == []  # expired the day before
