"""A sensitive variable's value never reaches state or a saved plan (both plain text): a
resource attribute that would hold it is refused before anything is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

SECRET = "retention-kept-s3cr3t"

MESH = (
    MINIMAL.replace('"retention.ms" = "86400000"', '"retention.ms" = "86400000", "x.note" = "keep ${var.note}"')
    + 'variable "note" {\n  sensitive = true\n}\n'
)


def test_a_sensitive_value_in_an_attribute_is_refused(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "x.note" in MESH
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # refused before any connection
    monkeypatch.setenv("MESHCTL_VAR_note", SECRET)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    result = run("plan", "--out", "saved.plan", ".")
    assert result.exit_code == 1
    assert (
        "error: kafka_topic.commerce.sales.orders.v1 (from data_product.sales.orders.v1): config.x.note would hold "
        "the value of the sensitive var.note, and state and saved plans are plain text" in result.stderr
    )
    assert SECRET not in result.output
    assert not (mesh_dir / "saved.plan").exists() and not (mesh_dir / ".meshctl" / "state.json").exists()


KAFKA_SECRET = "cluster-s3cr3t-pw"
STORED = {"sales": "sales-stored-pw-1", "analytics": "analytics-stored-pw-2"}


@pytest.mark.parametrize("on_aws", [False, True])
def test_no_password_in_any_client_config_form(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch, on_aws: bool) -> None:
    """Every form of `client-config`, printed and written, references passwords: neither the
    principals' stored passwords nor meshctl's own (a sensitive variable) appears."""
    aws = 'aws {\n  region = "eu-west-1"\n}\n' if on_aws else ""
    kafka = 'variable "kafka_password" {\n  sensitive = true\n}\nkafka {\n  sasl_password = var.kafka_password\n}\n'
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + kafka + aws})
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never contacted
    monkeypatch.setenv("MESHCTL_VAR_kafka_password", KAFKA_SECRET)
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", STORED["analytics"])  # as a client's shell would have it
    credentials = mesh_dir / ".meshctl" / "credentials"
    credentials.mkdir(parents=True)
    for user, password in STORED.items():
        (credentials / f"{user}.properties").write_text(f"sasl.username={user}\nsasl.password={password}\n")
    seen: dict[str, str] = {}
    for fmt in ("librdkafka", "java", "json"):
        for who in ("sales", "analytics"):
            printed = run("client-config", who, "--format", fmt, ".")
            assert printed.exit_code == 0, printed.output
            written = run("client-config", who, "--format", fmt, "--out", f"out-{fmt}", ".")
            assert written.exit_code == 0, written.output
            seen |= {f"{fmt} {who} printed": printed.output, f"{fmt} {who} --out": written.output}
    files = [p for p in mesh_dir.glob("out-*/*") if p.is_file()]
    assert len(files) == 3 * 2
    seen |= {str(p.relative_to(mesh_dir)): p.read_text() for p in files}
    secrets = {"meshctl's password": KAFKA_SECRET} | {f"{u}'s stored password": pw for u, pw in STORED.items()}
    hits = [f"{what} in {place}" for what, value in secrets.items() for place, text in seen.items() if value in text]
    assert not hits, "secrets found: " + "; ".join(hits)
    assert any("KAFKA_SASL_PASSWORD" in text for text in seen.values())  # the reference is there instead
