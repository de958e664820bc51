"""`meshctl client-config` through the CLI, without a broker: the forms, the files written,
and one clear error for each bad request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh


@pytest.fixture
def mesh(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never contacted
    monkeypatch.setenv("MESHCTL_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    return write_mesh(mesh_dir, {"main.hcl": MINIMAL})


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_default_form_is_java_as_before(mesh: Path) -> None:
    result = run("client-config", "analytics", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# --- sales.orders.v1.consumer.properties\n")
    props = _properties(result.stdout.split("\n", 1)[1])
    credentials = mesh.resolve() / ".meshctl" / "credentials" / "analytics.properties"
    assert props["sasl.jaas.config"].endswith(f'password="${{file:{credentials}:sasl.password}}";')
    assert props["group.id"] == "grp.analytics.sales.orders.v1"
    assert props["security.protocol"] == "SASL_PLAINTEXT"


def test_librdkafka_form_to_files(mesh: Path) -> None:
    result = run("client-config", "sales", "--format", "librdkafka", "--out", "cfg", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote 1 file to cfg.\n"
    text = (mesh / "cfg" / "sales.orders.v1.producer.properties").read_text()
    props = _properties(text)
    assert props["sasl.username"] == "sales" and "sasl.jaas.config" not in props and "sasl.password" not in props
    assert "# meshctl.password.env=KAFKA_SASL_PASSWORD\n" in text
    assert f"# meshctl.password.file={mesh.resolve() / '.meshctl' / 'credentials' / 'sales.properties'}\n" in text


def test_json_form_is_one_document_on_stdout_or_in_one_file(mesh: Path) -> None:
    result = run("client-config", "analytics", "--format", "json", ".")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format_version"] == "1.0" and doc["principal"] == "analytics"
    assert [c["group_id"] for c in doc["clients"]] == ["grp.analytics.sales.orders.v1"]
    assert run("client-config", "analytics", "--format", "json", "--out", "cfg", ".").exit_code == 0
    assert json.loads((mesh / "cfg" / "analytics.client-config.json").read_text()) == doc


def test_on_aws_the_password_comes_from_secrets_manager(mesh: Path) -> None:
    write_mesh(mesh, {"main.hcl": MINIMAL + 'aws {\n  region = "eu-west-1"\n}\n'})
    java = run("client-config", "analytics", ".")
    assert java.exit_code == 0, java.output
    assert 'password="${env:KAFKA_SASL_PASSWORD}";' in java.stdout
    assert "--secret-id meshctl/kafka/analytics" in java.stdout
    librdkafka = run("client-config", "analytics", "--format", "librdkafka", ".").stdout
    assert "# meshctl.password.secretsmanager=meshctl/kafka/analytics\n" in librdkafka
    doc = json.loads(run("client-config", "analytics", "--format", "json", ".").stdout)
    assert doc["password"] == {
        "env": "KAFKA_SASL_PASSWORD",
        "secretsmanager": "meshctl/kafka/analytics",
        "key": "password",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "error: no domain 'nobody' (domains: analytics, commerce, sales)"),
        (["sales.nothing"], "error: no application 'nothing' in domain 'sales' (its applications: none)"),
        (["commerce"], "error: domain 'commerce' writes no product and is granted none\n"),
    ],
)
def test_a_bad_request_is_one_clear_error(mesh: Path, args: list[str], message: str) -> None:
    result = run("client-config", *args, ".")
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert not result.stdout


def test_an_unknown_format_is_a_usage_error(mesh: Path) -> None:
    result = run("client-config", "sales", "--format", "yaml", ".")
    assert result.exit_code == 1  # meshctl's exit code for every usage error
    assert "'yaml' is not one of 'librdkafka', 'java', 'json'" in result.stderr


def test_help_says_the_default_and_why_with_examples() -> None:
    result = run("client-config", "--help")
    assert result.exit_code == 0
    assert "[default: java]" in result.stdout and "existing setups keep working" in result.stdout
    assert "meshctl client-config sales.orders_api --format librdkafka --out cfg/" in result.stdout
    assert 'conf["sasl.password"] = os.environ["KAFKA_SASL_PASSWORD"]' in result.stdout


APPS = """
application "orders_api" {
  domain        = "sales"
  kind          = "producer"
  transactional = true
  writes        = ["orders"]
}
application "dashboard" {
  domain = "analytics"
  kind   = "consumer"
  reads  = ["sales.orders.v1"]
}
application "enricher" {
  domain        = "sales"
  kind          = "streams"
  transactional = true
  reads         = ["sales.orders"]
}
application "lake" {
  domain = "analytics"
  kind   = "connect"
  reads  = ["sales.orders"]
  principal {
    mechanism = "SCRAM-SHA-256"
  }
}
"""


@pytest.fixture
def apps(mesh: Path) -> Path:
    return write_mesh(mesh, {"main.hcl": MINIMAL + APPS})


@pytest.mark.parametrize(
    ("who", "fmt", "files"),
    [
        ("sales.orders_api", "librdkafka", ["orders_api.sales.orders.v1.producer.properties"]),
        ("sales.orders_api", "java", ["orders_api.sales.orders.v1.producer.properties"]),
        ("analytics.dashboard", "librdkafka", ["dashboard.sales.orders.v1.consumer.properties"]),
        ("sales.enricher", "java", ["enricher.streams.properties"]),
        ("analytics.lake", "java", ["lake.connect-worker.properties"]),
        ("sales.orders_api", "json", ["sales-orders_api.client-config.json"]),
        ("analytics.lake", "json", ["analytics-lake.client-config.json"]),
    ],
)
def test_an_applications_files_from_hcl(apps: Path, who: str, fmt: str, files: list[str]) -> None:
    result = run("client-config", who, "--format", fmt, "--out", "cfg", ".")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (apps / "cfg").iterdir()) == files


def test_an_applications_principal_and_names(apps: Path) -> None:
    producer = _properties(run("client-config", "sales.orders_api", "--format", "librdkafka", ".").stdout)
    assert producer["sasl.username"] == "sales-orders_api" and producer["transactional.id"] == "txn.sales-orders_api.0"
    consumer = _properties(run("client-config", "analytics.dashboard", "--format", "librdkafka", ".").stdout)
    assert consumer["group.id"] == "grp.analytics-dashboard.sales.orders.v1"
    streams = _properties(run("client-config", "sales.enricher", ".").stdout)
    assert streams["application.id"] == "sales-enricher.streams"
    assert streams["processing.guarantee"] == "exactly_once_v2"
    worker = run("client-config", "analytics.lake", ".").stdout
    props = _properties(worker)
    assert props["group.id"] == "analytics-lake.connect" and props["sasl.mechanism"] == "SCRAM-SHA-256"
    credentials = apps.resolve() / ".meshctl" / "credentials" / "analytics-lake.properties"
    assert f'password="${{file:{credentials}:sasl.password}}";' in props["sasl.jaas.config"]


def test_the_domain_no_longer_gets_what_its_app_writes(apps: Path) -> None:
    result = run("client-config", "sales", ".")
    assert result.exit_code == 1
    assert (
        "error: domain 'sales' writes no product and is granted none (its applications write its products: "
        "sales.orders_api)" in result.stderr
    )


@pytest.mark.parametrize("who", ["sales.enricher", "analytics.lake"])
def test_a_jvm_application_has_no_librdkafka_form(apps: Path, who: str) -> None:
    result = run("client-config", who, "--format", "librdkafka", ".")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "runs on the JVM, so its configuration exists in --format java (or json) only" in result.stderr


def test_an_unknown_application_names_the_domains_applications(apps: Path) -> None:
    result = run("client-config", "sales.nothing", ".")
    assert result.exit_code == 1
    assert "error: no application 'nothing' in domain 'sales' (its applications: enricher, orders_api)" in result.stderr
