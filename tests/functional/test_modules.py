"""Modules without any server: expansion, nested addresses, inputs, outputs, policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.helpers import write_mesh

MESH = """
aws {
  region        = "eu-west-1"
  account_id    = "123456789012"
  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
}
domain "commerce" {
  owners { accountable = "c@acme.example" }
  policy { baseline = { versioning = false, bucket_tags = { cost-center = "42" } } }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "s@acme.example" }
  policy { baseline = { versioning = true } }
}
data_product "orders" {
  domain = "sales"
}
module "baseline" {
  source   = "domain-baseline"
  for_each = mesh.domains
  domain   = each.value
}
"""


def _desired(path: Path) -> dict[str, dict]:
    ws = Workspace(path, LoadOptions(env={}))
    return {r.address: dict(r.attributes) for r in ws.run().resources}


def test_baseline_per_domain_with_nested_addresses(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH})
    desired = _desired(mesh_dir)
    bucket = desired['module.baseline["sales"].aws_s3_bucket.data']
    assert bucket["bucket"] == "meshctl-commerce-sales"
    assert 'module.baseline["sales"].aws_glue_table.product["orders_v1"]' in desired
    assert 'module.baseline["commerce"].aws_glue_table.product["orders_v1"]' not in desired
    # A domain's policy changes the defaults; the nearest domain's value wins.
    assert desired['module.baseline["commerce"].aws_s3_bucket.data']["versioning"] is False
    assert bucket["versioning"] is True
    assert bucket["tags"]["cost-center"] == "42"  # inherited from commerce
    role = desired['module.baseline["sales"].aws_iam_role.domain']
    data = json.loads(role["inline_policies"]["data"])
    resources = {r for st in data["Statement"] for r in st["Resource"]}
    assert resources == {"arn:aws:s3:::meshctl-commerce-sales", "arn:aws:s3:::meshctl-commerce-sales/*"}


def test_module_errors_name_the_line(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH.replace('source   = "domain-baseline"', 'source   = "domain-basline"')})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "main.hcl:19: error: module \"baseline\": no module 'domain-basline'" in result.stderr
    write_mesh(mesh_dir, {"main.hcl": MESH.replace("  domain   = each.value\n", "  domian   = each.value\n")})
    result = run("validate", ".")
    assert 'main.hcl:21: error: module.baseline["commerce"]: the module has no input "domian"' in result.stderr
    assert 'error: module.baseline["commerce"]: missing input "domain"' in result.stderr


def test_names_that_addresses_cannot_hold_are_refused_at_their_block(mesh_dir: Path) -> None:
    """A module's name and a `for_each` resource's name become parts of addresses
    (`module.NAME["KEY"].TYPE.NAME["KEY"]`): identifiers, as in Terraform."""
    write_mesh(mesh_dir, {"main.hcl": MESH.replace('module "baseline"', 'module "base.line"')})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert 'main.hcl:18: error: module "base.line": a module name is an identifier' in result.stderr
    module = mesh_dir / "modules" / "buckets"
    module.mkdir(parents=True)
    (module / "main.hcl").write_text(
        'resource "aws_s3_bucket" "my data" {\n  for_each = ["a", "b"]\n  bucket = "acme-${each.key}"\n}\n'
    )
    write_mesh(mesh_dir, {"main.hcl": MESH + 'module "b" {\n  source = "./modules/buckets"\n}\n'})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert (
        'modules/buckets/main.hcl:1: error: resource "aws_s3_bucket" "my data": with for_each, the name must be an '
        "identifier" in result.stderr
    )
    (module / "main.hcl").write_text('resource "aws_s3_bucket" "" {\n  bucket = "acme-x"\n}\n')
    result = run("validate", ".")
    assert 'modules/buckets/main.hcl:1: error: resource "aws_s3_bucket" "": a resource needs a name' in result.stderr
    (module / "main.hcl").write_text(
        'resource "aws_s3_bucket" "my-data" {\n  for_each = ["a", "b"]\n  bucket = "acme-${each.key}"\n}\n'
    )
    assert _desired(mesh_dir).keys() >= {'module.b.aws_s3_bucket.my-data["a"]', 'module.b.aws_s3_bucket.my-data["b"]'}


def test_the_builtin_modules_are_package_data_and_the_hint_lists_only_modules(mesh_dir: Path) -> None:
    """The built-ins are the package meshctl.builtin_modules (the repository's modules/), read
    through importlib.resources; its __init__.py and __pycache__ are not modules."""
    from meshctl.config.modules import builtin_dirs, packaged_modules_dir

    assert builtin_dirs()[-1] == packaged_modules_dir()
    assert (packaged_modules_dir() / "domain-baseline" / "main.hcl").is_file()
    (packaged_modules_dir() / "__pycache__").mkdir(exist_ok=True)  # importing the package may write it
    for source in ("domain-basline", "__pycache__"):
        write_mesh(mesh_dir, {"main.hcl": MESH.replace('source   = "domain-baseline"', f'source   = "{source}"')})
        result = run("validate", ".")
        assert result.exit_code == 1
        assert f"no module '{source}'" in result.stderr
        hint = "hint: built-in modules: data-product, domain-baseline, file-sink, s3-sink, snowflake-s3-stage; local"
        assert hint in result.stderr


def test_an_installation_without_the_builtin_modules_says_to_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    from meshctl.config import modules

    monkeypatch.setattr(modules, "BUILTIN_PACKAGE", "meshctl.no_builtin_modules")
    modules.packaged_modules_dir.cache_clear()
    try:
        with pytest.raises(
            ModuleNotFoundError, match=r"lacks its built-in modules; reinstall it \(in a checkout: make venv\)"
        ):
            modules.builtin_dirs()
    finally:
        modules.packaged_modules_dir.cache_clear()


def test_local_module_with_template_output(mesh_dir: Path) -> None:
    module = mesh_dir / "modules" / "note"
    module.mkdir(parents=True)
    (module / "main.hcl").write_text(
        'variable "who" {\n  type = string\n}\n'
        'output "text" {\n  value = templatefile("note.j2", { who = var.who, n = length(mesh.domains) })\n}\n'
    )
    (module / "note.j2").write_text("hello {{ who }} of {{ n }} domains\n")
    write_mesh(mesh_dir, {"main.hcl": MESH + 'module "note" {\n  source = "./modules/note"\n  who = "sales"\n}\n'})
    result = run("output", "--name", "module.note.text", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello sales of 2 domains\n"


def test_a_sensitive_output_is_printed_only_when_named(mesh_dir: Path) -> None:
    module = mesh_dir / "modules" / "token"
    module.mkdir(parents=True)
    (module / "main.hcl").write_text(
        'output "token" {\n  value     = "tok-3f9a1c"\n  sensitive = true\n}\n'
        'output "plain" {\n  value = "visible"\n}\n'
    )
    write_mesh(mesh_dir, {"main.hcl": MESH + 'module "t" {\n  source = "./modules/token"\n}\n'})
    listing = run("output", ".")
    assert listing.exit_code == 0, listing.output
    assert "module.t.token (sensitive)" in listing.stdout and "module.t.plain\n" in listing.stdout
    as_json = run("output", "--json", ".")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["module.t.token"] == "(sensitive)"
    assert json.loads(as_json.stdout)["module.t.plain"] == "visible"
    assert "tok-3f9a1c" not in listing.output + as_json.output
    named = run("output", "--name", "module.t.token", ".")
    assert named.stdout == "tok-3f9a1c\n"


def test_an_integration_may_keep_a_vendor_secret(mesh_dir: Path) -> None:
    integration = """
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
access "a" {
  product  = "sales.orders"
  consumer = "analytics"
}
integration "stage" {
  domain = "analytics"
  vendor = "snowflake"
  source = "snowflake-s3-stage"
  reads  = ["sales.orders"]
  inputs = { vendor_secret = true }
  aws {
    trusted_principal = "arn:aws:iam::999999999999:user/snowflake"
    external_id       = "ext"
  }
}
"""
    write_mesh(mesh_dir, {"main.hcl": MESH + integration})
    desired = _desired(mesh_dir)
    secret = desired['module.integration_stage.aws_secretsmanager_secret.vendor["vendor"]']
    assert secret["name"] == "meshctl/vendors/analytics/stage"
    trust = json.loads(desired["module.integration_stage.aws_iam_role.stage"]["assume_role_policy"])
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "ext"}}
    write_mesh(mesh_dir, {"main.hcl": MESH + integration.replace("  inputs = { vendor_secret = true }\n", "")})
    assert not any("aws_secretsmanager_secret.vendor" in a for a in _desired(mesh_dir))


def test_the_s3_sink_joins_only_groups_under_its_own_principals_prefix(mesh_dir: Path) -> None:
    sink = """
domain "analytics" {
  parent = "commerce"
  owners { accountable = "a@acme.example" }
}
access "a" {
  product  = "sales.orders"
  consumer = "analytics"
}
integration "lake" {
  domain = "analytics"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["sales.orders"]
  aws {
    trusted_principal = "arn:aws:iam::123456789012:role/connect-workers"
    external_id       = "ext"
  }
}
"""
    write_mesh(mesh_dir, {"main.hcl": MESH + sink})
    result = run("output", "--name", "module.integration_lake.connector_config", str(mesh_dir))
    assert result.exit_code == 0, result.output
    group = json.loads(result.stdout)["config"]["consumer.override.group.id"]
    assert group == "grp.analytics-lake.sink"
    # Its GROUP ACL is the only one that matches: not the domain's, not the parent's.
    prefixes = [
        a["resource_name"]
        for a in _desired(mesh_dir).values()
        if a.get("resource_type") == "GROUP" and group.startswith(str(a["resource_name"]))
    ]
    assert prefixes == ["grp.analytics-lake."]


def test_deployer_arns_must_be_exact_principals(mesh_dir: Path) -> None:
    cases = [
        ("[]", "deployer_arns is empty: every Deny would lock meshctl out"),
        (
            '["arn:aws:sts::123456789012:assumed-role/Deploy/ci"]',
            "deployer_arns: 'arn:aws:sts::123456789012:assumed-role/Deploy/ci' is a role session; "
            "policies see the role: write 'arn:aws:iam::123456789012:role/Deploy'",
        ),
        (
            '["arn:aws:iam::123456789012:role/*"]',
            "deployer_arns: 'arn:aws:iam::123456789012:role/*' has a wildcard; a deployer is one exact principal",
        ),
        ('["deployer"]', "deployer_arns: 'deployer' is not an IAM user, role or root ARN"),
        (
            '["arn:aws:iam::999999999999:role/deployer"]',
            "deployer_arns: 'arn:aws:iam::999999999999:role/deployer' is not in account_id 123456789012",
        ),
    ]
    for value, message in cases:
        files = {"main.hcl": MESH.replace('["arn:aws:iam::123456789012:role/deployer"]', value)}
        write_mesh(mesh_dir, files)
        result = run("validate", ".")
        assert result.exit_code == 1, value
        assert f"main.hcl:4: error: {message}" in result.stderr, result.stderr
        assert "Traceback" not in result.output


def test_a_kafka_secret_without_a_resource_policy_is_a_warning(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH})
    declared = run("validate", ".")
    assert declared.exit_code == 0 and "without a resource policy" not in declared.stderr
    bare = mesh_dir / "modules" / "bare"  # a vendor module that declares no secret for its principal
    bare.mkdir(parents=True)
    (bare / "main.hcl").write_text('variable "integration" {}\n')
    integration = """
integration "x" {
  domain = "sales"
  vendor = "acme"
  source = "./modules/bare"
}
"""
    write_mesh(mesh_dir, {"main.hcl": MESH + integration})
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert "warning: Kafka credentials without a resource policy: meshctl/kafka/sales-x\n" in result.stderr
