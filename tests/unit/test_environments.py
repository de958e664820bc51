"""Environments in the configuration: selecting one, its connection blocks and variables,
`environment.name`, and which products, grants and applications exist in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.errors import ConfigError
from tests.helpers import write_mesh

ENVS = """
variable "partitions" {
  type    = number
  default = 1
}
variable "retention_days" {
  type    = number
  default = 1
}
kafka {
  bootstrap_servers = "top:9092"
}
schema_registry {
  url = "http://top-registry:8081"
}
environment "dev" {
  kafka {
    bootstrap_servers = "dev:9092"
  }
}
environment "prod" {
  description = "production"
  variables = {
    partitions     = 6
    retention_days = 7
  }
  kafka {
    bootstrap_servers = "prod:9092"
    request_timeout   = "45s"
  }
  schema_registry {
    url = "http://prod-registry:8081"
  }
  aws {
    region = "eu-west-1"
  }
  backend "local" {
    path = "prod-state"
  }
}
domain "sales" {
  owners { accountable = "sales@acme.example" }
  policy { max_partitions = 6 }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic {
    partitions = var.partitions
    config     = { "retention.ms" = tostring(var.retention_days * 86400000) }
  }
}
data_product "payments" {
  domain       = "sales"
  environments = ["dev"]
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
access "analytics_payments" {
  product  = "sales.payments"
  consumer = "analytics"
}
"""


def _load(tmp_path: Path, text: str, environment: str | None, **opts: object) -> LoadedConfig:
    write_mesh(tmp_path, {"main.hcl": text})
    return load(tmp_path, LoadOptions(env={}, environment=environment, **opts))  # type: ignore[arg-type]


def _errors(tmp_path: Path, text: str, environment: str | None, **opts: object) -> str:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text, environment, **opts)
    return "\n".join(d.format() for d in exc.value.diagnostics)


def test_the_environment_s_connection_blocks_replace_the_top_level_ones(tmp_path: Path) -> None:
    dev = _load(tmp_path, ENVS, "dev")
    assert dev.mesh.kafka.bootstrap_servers == "dev:9092"
    assert dev.mesh.registry.url == "http://top-registry:8081"  # dev keeps the top-level registry
    assert dev.mesh.aws == {} and dev.mesh.backend is None
    assert dev.environment.name == "dev" and dev.environment.declared == ("dev", "prod")
    prod = _load(tmp_path, ENVS, "prod")
    assert prod.mesh.kafka.bootstrap_servers == "prod:9092"
    assert prod.mesh.kafka.request_timeout_s == 45.0
    assert prod.mesh.registry.url == "http://prod-registry:8081"
    assert prod.mesh.aws == {"region": "eu-west-1"}
    assert prod.mesh.backend is not None and prod.mesh.backend.settings == {"path": "prod-state"}


def test_the_environment_s_block_replaces_wholesale_not_attribute_by_attribute(tmp_path: Path) -> None:
    text = ENVS.replace('bootstrap_servers = "top:9092"', 'bootstrap_servers = "top:9092"\n  sasl_mechanism = "PLAIN"')
    assert _load(tmp_path, text, "dev").mesh.kafka.sasl_mechanism is None


def test_environment_variables_override_defaults_and_lose_to_the_command_line(tmp_path: Path) -> None:
    prod = _load(tmp_path, ENVS, "prod")
    orders = next(p for p in prod.mesh.products if p.name == "orders")
    assert orders.topic.partitions == 6
    assert orders.topic.config["retention.ms"] == str(7 * 86400000)
    assert prod.variables["partitions"].origin == 'environment "prod" variables'
    dev = _load(tmp_path, ENVS, "dev")
    assert next(p for p in dev.mesh.products if p.name == "orders").topic.partitions == 1
    given = _load(tmp_path, ENVS, "prod", vars=["partitions=2"])
    assert next(p for p in given.mesh.products if p.name == "orders").topic.partitions == 2
    from_env = _load(tmp_path, ENVS, "prod")
    assert from_env.variables["partitions"].value == 6
    write_mesh(tmp_path, {"main.hcl": ENVS})
    env_var = load(tmp_path, LoadOptions(env={"MESHCTL_VAR_partitions": "3"}, environment="prod"))
    assert next(p for p in env_var.mesh.products if p.name == "orders").topic.partitions == 3


def test_validation_runs_after_the_environment_s_values(tmp_path: Path) -> None:
    text = ENVS.replace("partitions     = 6", "partitions     = 12")
    out = _errors(tmp_path, text, "prod")
    assert "main.hcl:" in out and "12" in out and "max_partitions" in out
    _load(tmp_path, text, "dev")  # dev keeps 1 partition: within the policy


def test_environment_name_is_readable_in_expressions(tmp_path: Path) -> None:
    text = ENVS.replace(
        'domain = "sales"\n  topic {', 'domain = "sales"\n  description = "orders in ${environment.name}"\n  topic {'
    )
    assert _load(tmp_path, text, "prod").mesh.products[0].description == "orders in prod"
    plain = """
    domain "sales" {
      owners { accountable = "s@acme.example" }
      description = environment.name
    }
    """
    write_mesh(tmp_path, {"main.hcl": plain})
    assert load(tmp_path, LoadOptions(env={})).mesh.domains["sales"].description == "default"


def test_products_limited_to_environments_and_their_grants(tmp_path: Path) -> None:
    dev = _load(tmp_path, ENVS, "dev").mesh
    assert sorted(p.name for p in dev.products) == ["orders", "payments"]
    assert sorted(a.name for a in dev.access) == ["analytics_orders", "analytics_payments"]
    prod = _load(tmp_path, ENVS, "prod").mesh
    assert [p.name for p in prod.products] == ["orders"]
    assert [a.name for a in prod.access] == ["analytics_orders"]  # the grant goes with its product


def test_an_application_reading_a_product_absent_from_the_environment_is_an_error(tmp_path: Path) -> None:
    app = """
    application "reporter" {
      domain = "analytics"
      kind   = "consumer"
      reads  = ["sales.payments"]
    }
    """
    out = _errors(tmp_path, ENVS + app, "prod")
    assert "main.hcl:" in out and 'application "reporter" reads "sales.payments"' in out
    assert 'environment "prod" does not have' in out and 'environments = ["dev"]' in out
    assert len(_load(tmp_path, ENVS + app, "dev").mesh.applications) == 1
    limited = app.replace('kind   = "consumer"', 'kind   = "consumer"\n  environments = ["dev"]')
    assert _load(tmp_path, ENVS + limited, "prod").mesh.applications == []


def test_unknown_environment_names_in_environments_are_file_line_errors(tmp_path: Path) -> None:
    out = _errors(tmp_path, ENVS.replace('environments = ["dev"]', 'environments = ["dve"]'), "dev")
    assert "main.hcl:" in out and "unknown environment 'dve'" in out and "did you mean 'dev'?" in out
    out = _errors(tmp_path, ENVS.replace('environments = ["dev"]', "environments = []"), "dev")
    assert "environments is empty" in out
    plain = """
    domain "sales" {
      owners { accountable = "s@acme.example" }
    }
    data_product "orders" {
      domain       = "sales"
      environments = ["prod"]
    }
    """
    out = _errors(tmp_path, plain, None)
    assert "main.hcl:6:" in out and "declares no environment blocks" in out


def test_selection_errors(tmp_path: Path) -> None:
    out = _errors(tmp_path, ENVS, None)
    assert "declares environments (dev, prod): choose one" in out and "MESHCTL_ENVIRONMENT" in out
    out = _errors(tmp_path, ENVS, "prdo")
    assert "no such environment" in out and "did you mean 'prod'?" in out
    plain = 'domain "sales" {\n  owners { accountable = "s@acme.example" }\n}\n'
    out = _errors(tmp_path, plain, "dev")
    assert "--environment dev: the mesh declares no environment blocks" in out


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('environment "Prod" {}', 'invalid environment name "Prod"'),
        ('environment "dev" {}', 'duplicate environment "dev"'),
        ("environment {}", "environment block needs 1 label"),
        ('environment "x" {\n  domain "d" {}\n}', "unknown block 'domain' in environment \"x\""),
        ('environment "x" {\n  partitions = 3\n}', "unknown attribute 'partitions' in environment \"x\""),
        ('environment "x" {\n  kafka {}\n  kafka {}\n}', 'duplicate kafka block in environment "x"'),
        ('environment "x" {\n  variables = { nope = 1 }\n}', "no variable 'nope' is declared"),
        ('environment "x" {\n  variables = { partitions = "many" }\n}', "not a valid number"),
        ('environment "x" {\n  variables = { partitions = var.retention_days }\n}', "var"),
        (
            'environment "x" {\n  backend "local" {\n    path = "prod-state"\n  }\n}',
            'environments "prod" and "x" would share one state',
        ),
    ],
)
def test_bad_environment_blocks(tmp_path: Path, block: str, message: str) -> None:
    wanted = "x" if 'environment "x"' in block else "dev"
    out = _errors(tmp_path, ENVS + block + "\n", wanted)
    assert message in out
    assert "main.hcl:" in out


def test_a_mistake_in_another_environment_s_connection_block_is_not_evaluated(tmp_path: Path) -> None:
    # Blocks of an environment that is not selected are never evaluated (nor connected to).
    text = ENVS.replace('bootstrap_servers = "prod:9092"', "bootstrap_servers = var.prod_only")
    assert _load(tmp_path, text, "dev").mesh.kafka.bootstrap_servers == "dev:9092"
    assert "prod_only" in _errors(tmp_path, text, "prod")


def test_a_mesh_without_environments_loads_as_before(tmp_path: Path) -> None:
    text = ENVS[: ENVS.index('environment "dev"')] + ENVS[ENVS.index('domain "sales"') :]
    text = text.replace('  environments = ["dev"]\n', "")
    loaded = _load(tmp_path, text, None)
    assert loaded.environment.name == "default" and not loaded.environment.declared
    assert loaded.mesh.kafka.bootstrap_servers == "top:9092"
    assert len(loaded.mesh.products) == 2


BACKENDS = """
backend "{kind}" {{
{settings}
}}
environment "dev" {{}}
environment "prod" {{
  backend "local" {{
    path = "prod-state"
  }}
}}
domain "sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
"""


def _backend(tmp_path: Path, kind: str, settings: str, environment: str) -> str:
    from meshctl.engine.workspace import Workspace

    write_mesh(tmp_path, {"main.hcl": BACKENDS.format(kind=kind, settings=settings)})
    return Workspace(tmp_path, LoadOptions(env={}, environment=environment), env={}).backend.describe()


def test_each_environment_has_its_own_state(tmp_path: Path) -> None:
    # a top-level backend the environment does not replace: each environment gets its own place in it
    assert _backend(tmp_path, "local", '  path = "state"', "dev") == str(
        tmp_path / "state" / "env" / "dev" / "state.json"
    )
    s3 = '  bucket = "acme-state"\n  key = "mesh/state.json"'
    assert _backend(tmp_path, "s3", s3, "dev") == "s3://acme-state/env/dev/mesh/state.json"
    # the environment's own backend, as written
    assert _backend(tmp_path, "s3", s3, "prod") == str(tmp_path / "prod-state" / "state.json")


def test_default_local_state_and_credentials_per_environment(tmp_path: Path) -> None:
    from meshctl.engine.workspace import Workspace

    write_mesh(tmp_path, {"main.hcl": ENVS})
    dev = Workspace(tmp_path, LoadOptions(env={}, environment="dev"), env={})
    assert dev.backend.describe() == str(tmp_path / ".meshctl" / "env" / "dev" / "state.json")
    assert dev.credential_store().location("x").startswith(str(tmp_path / ".meshctl" / "env" / "dev" / "credentials"))
    elsewhere = Workspace(tmp_path, LoadOptions(env={}, environment="dev"), state_dir=tmp_path / "s", env={})
    assert elsewhere.backend.describe() == str(tmp_path / "s" / "env" / "dev" / "state.json")


def test_state_from_before_environments_is_pointed_out(tmp_path: Path) -> None:
    from meshctl.engine.workspace import Workspace

    write_mesh(tmp_path, {"main.hcl": ENVS.replace('  backend "local" {\n    path = "prod-state"\n  }\n', "")})
    (tmp_path / ".meshctl").mkdir()
    (tmp_path / ".meshctl" / "state.json").write_text("{}")
    warnings = Workspace(tmp_path, LoadOptions(env={}, environment="prod"), env={}).environment_warnings()
    assert len(warnings) == 1 and "from before the mesh had environments" in warnings[0]
    assert str(tmp_path / ".meshctl" / "env" / "prod") in warnings[0]


@pytest.mark.parametrize("wanted", [None, "prod"])
def test_only_malformed_environment_blocks(tmp_path: Path, wanted: str | None) -> None:
    text = 'environment "Prod" {}\ndomain "sales" {\n  owners { accountable = "s@acme.example" }\n}\n'
    out = _errors(tmp_path, text, wanted)
    assert 'main.hcl:1: error: invalid environment name "Prod"' in out
