"""Copies, approvals and exceptions through the CLI: validate's messages and exit codes,
`validate --json`'s exceptions in force, and the approvals section of the Markdown plan."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.fake_providers import FakeKafka, FakeProvider
from tests.helpers import write_mesh

KAFKA = 'kafka {\n  bootstrap_servers = "127.0.0.1:9"\n}\n'
TREE = """domain "commerce" {
  owners {
    accountable = "head@acme.example"
    responsible = "team-commerce"
    consulted   = ["governance@acme.example"]
  }
  policy {
    require_approval = ["access", "copy"]
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
data_product "orders" {
  domain  = "sales"
  version = 1
}
"""
APPROVED = """access "payments_orders" {
  product  = "sales.orders"
  consumer = "payments"
  approval {
    by     = "head@acme.example"
    ticket = "GOV-7"
  }
}
copy "orders_local" {
  domain  = "payments"
  product = "sales.orders.v1"
  approval { by = "team-commerce" }
}
"""
LATER = (date.today() + timedelta(days=400)).isoformat()
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _exception(expires: str, target: str = "data_product.sales.once.v1") -> str:
    return (
        'data_product "once" {\n  domain = "sales"\n  delivery {\n    duplicates = "not_tolerated"\n  }\n}\n'
        f'exception "exactly_once" {{\n  rule    = "delivery_contract"\n  target  = "{target}"\n'
        f'  reason  = "billing counts each order once"\n  expires = "{expires}"\n'
        '  approved_by = "head@acme.example"\n}\n'
    )


def test_a_valid_copy_with_its_approvals_validates(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + APPROVED})
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Success! The configuration is valid: 3 domains, 1 data products, 1 access grants")


def test_a_wrong_approver_is_one_error_naming_who_may_approve(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + APPROVED.replace("head@acme.example", "governance@acme.example")})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert result.stderr == (
        'main.hcl:27: error: access "payments_orders": "governance@acme.example" is consulted at "commerce", '
        "so cannot approve it\n"
        '  "commerce" is the nearest common ancestor of "sales" and "payments"\n'
        '  hint: approvals come from the accountable or responsible owners of "commerce": head@acme.example, '
        "team-commerce\n\n1 error in the configuration.\n"
    )


def test_a_copy_of_an_ungranted_product_is_refused(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + "copy " + APPROVED.split("copy ")[1]})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert 'error: copy "orders_local": domain "payments" is not granted sales.orders v1' in result.stderr


def test_validate_json_lists_the_exceptions_in_force(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + _exception(LATER)})
    result = run("validate", "--json", ".")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["valid"] is True and doc["diagnostics"] == []
    assert doc["exceptions"] == [
        {
            "name": "exactly_once",
            "rule": "delivery_contract",
            "target": "data_product.sales.once.v1",
            "reason": "billing counts each order once",
            "expires": LATER,
            "days_left": 400,
            "approved_by": "head@acme.example",
            "file": "main.hcl",
            "line": 29,
        }
    ]


def test_validate_json_without_exceptions_lists_none(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE})
    doc = json.loads(run("validate", "--json", ".").stdout)
    assert doc["exceptions"] == []


def test_an_expired_exception_fails_validate_with_exit_1(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + _exception(YESTERDAY)})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert f'main.hcl:33: error: exception "exactly_once" expired on {YESTERDAY}' in result.stderr
    assert 'main.hcl:26: error: data_product.sales.once.v1 promises duplicates = "not_tolerated"' in result.stderr
    as_json = run("validate", "--json", ".")
    assert as_json.exit_code == 1
    doc = json.loads(as_json.stdout)
    assert doc["error_count"] == 2 and doc["exceptions"] == []


def test_an_exception_matching_nothing_is_a_warning_and_validate_succeeds(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": TREE + _exception(LATER, "data_product.sales.orders.v1")})
    result = run("validate", ".")
    assert result.exit_code == 1  # the product promising no duplicates is still unexcused
    write_mesh(
        mesh_dir,
        {
            "main.hcl": TREE
            + _exception(LATER, "data_product.sales.orders.v1")
            .split("exception")[0]
            .replace("not_tolerated", "tolerated")
            + "exception"
            + _exception(LATER, "data_product.sales.orders.v1").split("exception", 1)[1]
        },
    )
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert (
        'main.hcl:31: warning: exception "exactly_once" excuses nothing: data_product.sales.orders.v1 is on the '
        "happy path" in result.stderr
    )


@pytest.fixture
def fake_kafka(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKafka:
    fake = FakeKafka()
    # A copy is a MirrorMaker 2 connector on the Connect worker (compile.connect).
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws"), "connect": FakeProvider("connect")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    return fake


def test_the_markdown_plan_lists_the_approvals_of_grants_it_adds(mesh_dir: Path, fake_kafka: FakeKafka) -> None:
    write_mesh(mesh_dir, {"main.hcl": KAFKA + TREE + APPROVED})
    result = run("plan", "--markdown", "-refresh=false", ".")
    assert result.exit_code == 0, result.output
    assert "#### Approvals this change needs" in result.stdout
    assert (
        "| `access.payments_orders` | sales.orders | payments | commerce | head@acme.example, team-commerce "
        "| approved by head@acme.example (GOV-7) |"
    ) in result.stdout
    # The copy compiles to resources of its own (compile.copies): adding them needs its approval too.
    assert (
        "| `copy.payments.orders_local.v1` | sales.orders | payments | commerce | head@acme.example, team-commerce "
        "| approved by team-commerce |"
    ) in result.stdout
    # Applied, the grant and the copy are no longer being added: the section goes.
    assert run("apply", "--auto-approve", "--no-color", ".").exit_code == 0
    again = run("plan", "--markdown", "-refresh=false", ".")
    assert again.exit_code == 0, again.output
    assert "Approvals" not in again.stdout


def test_the_markdown_plan_shows_an_exception_standing_in_for_an_approval(
    mesh_dir: Path, fake_kafka: FakeKafka
) -> None:
    grant = 'access "payments_orders" {\n  product  = "sales.orders"\n  consumer = "payments"\n}\n'
    pending = (
        f'exception "pending" {{\n  rule = "grant_refused_by_policy"\n  target = "access.payments_orders"\n'
        f'  reason = "incident 42: the approval follows"\n  expires = "{LATER}"\n}}\n'
    )
    write_mesh(mesh_dir, {"main.hcl": KAFKA + TREE + grant + pending})
    result = run("plan", "--markdown", "-refresh=false", ".")
    assert result.exit_code == 0, result.output
    assert f"| **missing**: exception `pending` lets it stand until {LATER} |" in result.stdout


def test_a_plan_without_approvals_has_no_section(mesh_dir: Path, fake_kafka: FakeKafka) -> None:
    text = KAFKA + TREE.replace('require_approval = ["access", "copy"]', "")
    write_mesh(
        mesh_dir,
        {
            "main.hcl": text
            + APPROVED.split("copy ")[0].replace(
                '  approval {\n    by     = "head@acme.example"\n    ticket = "GOV-7"\n  }\n', ""
            )
        },
    )
    result = run("plan", "--markdown", "-refresh=false", ".")
    assert result.exit_code == 0, result.output
    assert "Approvals" not in result.stdout
