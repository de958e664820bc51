"""`meshctl report --html FILE` through the CLI, with the in-memory Kafka provider of
test_report_cli: the page is written atomically from the same document --json prints, beside the
command's usual output and exit code, and it carries no secret and no unescaped name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from meshctl.render.report_html import CSP
from tests.cli import run
from tests.fake_providers import FakeProvider
from tests.functional.test_report_cli import MESH, SECRET, TOPIC, FakeUsage, _usage
from tests.helpers import write_mesh


@pytest.fixture
def kafka(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeUsage:
    fake = FakeUsage(_usage(age_s=10))
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    for name in ("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_PASSWORD", SECRET)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return fake


def test_html_writes_the_page_and_the_table_is_still_printed(kafka: FakeUsage, mesh_dir: Path) -> None:
    result = run("report", "--html", "site/report.html")
    assert result.exit_code == 0, result.output
    assert "meshctl report: environment default" in result.stdout  # the usual output, unchanged
    assert "meshctl: HTML report written to site/report.html" in result.stderr
    page = (mesh_dir / "site" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and f'content="{CSP}"' in page
    assert "sales.orders v1" in page and "sales.customers v1" in page and TOPIC in page
    assert "No SLA breaches." in page
    assert [p.name for p in (mesh_dir / "site").iterdir()] == ["report.html"]  # no temporary file left


def test_the_page_is_drawn_from_the_document_json_prints(kafka: FakeUsage, mesh_dir: Path) -> None:
    result = run("report", "--json", "--html", "report.html")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # stdout is still only the JSON document
    page = (mesh_dir / "report.html").read_text()
    for p in doc["products"]:
        assert f'data-key="{p["topic"]}"' in page
    orders = next(p for p in doc["products"] if p["product"] == "orders")
    assert f'data-value="{orders["lag"]["max"]}"' in page
    # the accountable owner's quotes (sales "lead"@acme.example) are text in the page, not markup
    assert orders["accountable"] == 'sales "lead"@acme.example'
    assert "sales &#34;lead&#34;@acme.example" in page and 'sales "lead"' not in page


def test_a_breach_is_in_the_page_and_fail_on_breach_still_exits_2(kafka: FakeUsage, mesh_dir: Path) -> None:
    kafka.state = _usage(age_s=3600)  # an hour old, against a 5m freshness SLA
    result = run("report", "--fail-on-breach", "--html", "report.html")
    assert result.exit_code == 2
    assert "BREACH" in result.stdout
    page = (mesh_dir / "report.html").read_text()
    assert '<g class="row breach" data-key="commerce.sales.orders.v1">' in page
    assert "BREACH freshness" in page and "over the 5m freshness SLA" in page


def test_an_existing_page_is_replaced_whole(kafka: FakeUsage, mesh_dir: Path) -> None:
    old = mesh_dir / "report.html"
    old.write_text("<html>yesterday's report, much longer than today's " + "x" * 200_000 + "</html>")
    assert run("report", "--html", "report.html").exit_code == 0
    page = old.read_text()
    assert "yesterday" not in page and page.rstrip().endswith("</html>")
    assert sorted(p.name for p in mesh_dir.iterdir() if p.name.startswith(".report.html")) == []


def test_html_and_out_together_write_both(kafka: FakeUsage, mesh_dir: Path) -> None:
    result = run("report", "--format", "prometheus", "--out", "meshctl.prom", "--html", "report.html")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "# TYPE meshctl_product_fanout gauge" in (mesh_dir / "meshctl.prom").read_text()
    assert "<!DOCTYPE html>" in (mesh_dir / "report.html").read_text()


def test_no_secret_in_the_page(kafka: FakeUsage, mesh_dir: Path) -> None:
    assert run("report", "--html", "report.html").exit_code == 0
    assert SECRET not in (mesh_dir / "report.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--html", "same.txt", "--out", "same.txt"], "--html and --out name the same file (same.txt)"),
        (["--html", "./x/../same.txt", "--out", "same.txt"], "--html and --out name the same file"),
        (["--html", "."], "is a directory"),
        (["--html"], "requires an argument"),
    ],
)
def test_bad_html_options_are_one_message_and_exit_1(kafka: FakeUsage, args: list[str], message: str) -> None:
    (Path("x")).mkdir(exist_ok=True)
    result = run("report", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert kafka.reads == 0  # refused before the cluster is read


def test_an_unwritable_page_is_one_error_naming_it(kafka: FakeUsage, mesh_dir: Path) -> None:
    (mesh_dir / "a-file").write_text("not a directory")
    result = run("report", "--html", "a-file/report.html")
    assert result.exit_code == 1
    assert "cannot write a-file/report.html" in result.output and "Traceback" not in result.output
    assert "meshctl report: environment default" in result.stdout  # the report itself was printed first


def test_an_output_that_is_a_symlink_or_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    """`--out /dev/stdout` must not put a file where the link was (as root, /dev/stdout itself):
    a symlink or a non-regular file is written through; a plain path is still replaced atomically."""
    import os
    import threading

    from meshctl.documents import write_output

    real = tmp_path / "real.prom"
    real.write_text("old")
    link = tmp_path / "link.prom"
    link.symlink_to(real)
    write_output(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"

    fifo = tmp_path / "collector.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_output(fifo, "through the pipe\n")
    reader.join(10)
    assert got == ["through the pipe\n"] and fifo.is_fifo()

    plain = tmp_path / "plain.html"
    write_output(plain, "page")
    assert plain.read_text() == "page" and not plain.is_symlink()
