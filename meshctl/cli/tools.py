"""`validate`, `fmt` and `graph`: offline commands."""

from __future__ import annotations

import difflib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from meshctl.cli.common import config_options, print_warnings, selected_environment, workspace
from meshctl.cli.errors import handle_errors
from meshctl.cli.root_outputs import format_outputs
from meshctl.config.fmt import format_hcl
from meshctl.config.hcl import HclSyntaxError, parse
from meshctl.config.loader import LoadOptions, environment_names
from meshctl.config.parse_cache import parse_cache_dir
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.engine.workspace import Workspace
from meshctl.errors import ConfigError, Diagnostic, MeshError, error
from meshctl.mesh.applications import application_cluster
from meshctl.mesh.exceptions import in_force
from meshctl.mesh.model import Application
from meshctl.redaction import MASK
from meshctl.render.client_config import DEFAULT_FORMAT, FORMATS, JSON, ClientConfigError, client_configs
from meshctl.render.graph import render_dot


@click.command()
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as JSON.")
@handle_errors
def validate(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None, as_json: bool
) -> None:
    """Check the configuration offline: syntax, references, types and mesh policies.

    A mesh with environments is checked in every environment, one after the other, unless
    -e names one; a problem found in some environments only says which.

    \b
    Examples:
      meshctl validate
      meshctl validate -e prod ./mesh
      meshctl validate --json | jq '.diagnostics[] | .summary'
    """
    names = () if selected_environment() else _declared_environments(directory)
    if names:
        _validate_environments(directory, names, vars_, var_files, state_dir, as_json)
        return
    ws = workspace(directory, vars_, var_files, state_dir)
    if as_json:
        _validate_json(ws)
        return
    mesh = ws.config.mesh
    print_warnings(ws)
    run = ws.run(offline=True)
    run.check_moved()  # moved blocks name addresses the configuration must (not) declare
    resources = run.resources
    click.echo(
        f"Success! The configuration is valid: {len(mesh.domains)} domains, {len(mesh.products)} data products, "
        f"{len(mesh.access)} access grants -> {len(resources)} resources."
    )


def _declared_environments(directory: Path) -> tuple[str, ...]:
    """The environments of the mesh; () when it declares none, or when it cannot even be read
    (validating it the usual way then reports why, in the usual form)."""
    try:
        return environment_names(directory, LoadOptions(cache_dir=parse_cache_dir(os.environ)))
    except MeshError:
        return ()


def _validate_environments(
    directory: Path,
    names: tuple[str, ...],
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    as_json: bool,
) -> None:
    """Each environment validated as `validate -e NAME` would; diagnostics merged, each found in
    only some environments marked with their names."""
    found: dict[Diagnostic, list[str]] = {}
    summaries: dict[str, str] = {}
    exceptions: dict[str, dict[str, object]] = {}  # in force in some environment, by name
    for name in names:
        ws = Workspace(directory, LoadOptions(list(vars_), list(var_files), environment=name), state_dir)
        try:
            diagnostics = list(ws.config.warnings)
            run = ws.run(offline=True)
            run.check_moved()
            mesh = ws.config.mesh
            summaries[name] = (
                f"{len(mesh.domains)} domains, {len(mesh.products)} data products, "
                f"{len(mesh.access)} access grants -> {len(run.resources)} resources"
            )
        except ConfigError as exc:
            diagnostics = exc.diagnostics
        except MeshError as exc:
            found_diag = getattr(exc, "diagnostic", None)
            diagnostics = [found_diag if isinstance(found_diag, Diagnostic) else error(str(exc))]
        for d in diagnostics:
            found.setdefault(d, []).append(name)
        if name in summaries:  # it loaded: never load a broken configuration a second time
            for e in _exceptions(ws):
                exceptions.setdefault(str(e["name"]), e)
    merged = [
        d if len(where) == len(names) else replace(d, summary=f"{d.summary} [environment {', '.join(where)}]")
        for d, where in found.items()
    ]
    errors = [d for d in merged if d.severity == "error"]
    if as_json:
        doc = {
            "format_version": "1.0",
            "valid": not errors,
            "error_count": len(errors),
            "warning_count": len(merged) - len(errors),
            "diagnostics": [diagnostic_json(d) for d in merged],
            "environments": {n: {"valid": n in summaries} for n in names},
            "exceptions": [exceptions[n] for n in sorted(exceptions)],
        }
        click.echo(json.dumps(doc, indent=2))
        if errors:
            click.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the configuration.", err=True)
            sys.exit(1)
        return
    if errors:
        raise ConfigError(merged)
    for d in merged:
        click.echo(d.format(), err=True)
    for name in names:
        click.echo(f"Success! Environment {name} is valid: {summaries[name]}.")


def _validate_json(ws: Workspace) -> None:
    """Diagnostics as data on stdout (Terraform's `validate -json` shape plus hint, file and line);
    exit 1 when invalid, with only a one-line summary on stderr."""
    try:
        diagnostics = ws.config.warnings
    except ConfigError as exc:
        diagnostics = exc.diagnostics
    except MeshError as exc:  # no configuration to check (a missing directory, no *.hcl files)
        found = getattr(exc, "diagnostic", None)  # a file that cannot be read names itself
        diagnostics = [found if isinstance(found, Diagnostic) else error(str(exc))]
    errors = sum(d.severity == "error" for d in diagnostics)
    doc = {
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": len(diagnostics) - errors,
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
        "exceptions": _exceptions(ws) if errors == 0 else [],  # a broken configuration is not loaded twice
    }
    click.echo(json.dumps(doc, indent=2))
    if errors:
        click.echo(f"{errors} error{'s' if errors != 1 else ''} in the configuration.", err=True)
        sys.exit(1)


def _exceptions(ws: Workspace) -> list[dict[str, object]]:
    """The exceptions in force (mesh.exceptions.in_force) of a configuration that loads; []
    when it does not (an expired exception is an error, never in force)."""
    try:
        mesh = ws.config.mesh
    except MeshError:  # ConfigError too: reported as diagnostics
        return []
    return in_force(mesh, ws.load_options.today or ws.today)


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    where = d.source
    return {
        "severity": d.severity,
        "summary": d.summary,
        "detail": d.detail,
        "hint": d.hint,
        "file": where.file if where else None,
        "line": where.line if where else None,
        "range": {"filename": where.file, "line": where.line} if where else None,
    }


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 3 if any file needs formatting (for CI).")
@click.option("--diff", "show_diff", is_flag=True, help="Show the changes as a unified diff.")
@handle_errors
def fmt(directory: Path, check: bool, show_diff: bool) -> None:
    """Rewrite *.hcl files in the canonical layout.

    \b
    Examples:
      meshctl fmt
      meshctl fmt --check --diff ./mesh     # in CI: exit 3 when a file needs formatting
    """
    files = sorted(directory.glob("*.hcl"))
    if not files:
        raise MeshError(f"no *.hcl files in {display_path(directory)}")
    errors = []
    for path in files:
        try:
            parse(read_text(path, display_path(path)), display_path(path))
        except (HclSyntaxError, BadDocumentError) as exc:
            errors.append(exc.diagnostic)
    if errors:
        raise ConfigError(errors)  # never reformat what does not parse
    unformatted = []
    for path in files:
        text = read_text(path, display_path(path))
        formatted = format_hcl(text)
        if formatted == text:
            continue
        unformatted.append(path)
        click.echo(display_path(path))
        if show_diff:
            name = display_path(path)
            click.echo("".join(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True), name, name)))
        if not check:
            try:
                path.write_text(formatted)
            except OSError as exc:
                raise MeshError(f"cannot write {display_path(path)}: {exc.strerror}") from None
    if check and unformatted:
        click.echo(f"{len(unformatted)} file(s) need `meshctl fmt`.", err=True)
        sys.exit(3)


CLIENT_CONFIG_EXAMPLES = """\b
Examples:
  meshctl client-config analytics                  # the domain's principal, Java form
  meshctl client-config sales.orders_api --format librdkafka --out cfg/
  meshctl client-config sales.enricher             # enricher.streams.properties
  meshctl client-config analytics.dashboard --format json > dashboard.json

\b
A librdkafka file plus the password, in Python:
  conf = dict(l.strip().split("=", 1) for l in open(path) if l.strip() and not l.startswith("#"))
  conf["sasl.password"] = os.environ["KAFKA_SASL_PASSWORD"]
  producer = confluent_kafka.Producer(conf)
"""


@click.command("client-config", epilog=CLIENT_CONFIG_EXAMPLES)
@click.argument("principal", metavar="DOMAIN[.APP]")
@config_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=DEFAULT_FORMAT,
    show_default=True,
    help="librdkafka: for confluent-kafka (Python, Go, .NET, Node) and kcat; java: for the Java client, Kafka "
    "Streams and Connect (the default, as before formats existed, so existing setups keep working); json: one "
    "document with both forms, for generators.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Write one file per client.")
@click.option(
    "--cluster",
    metavar="NAME",
    help="With several Kafka clusters: the one to connect to (default: the domain's, or the application's). "
    "Only the products on that cluster are configured.",
)
@handle_errors
def client_config(
    principal: str,
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    fmt: str,
    out_dir: Path | None,
    cluster: str | None,
) -> None:
    """Client settings for DOMAIN's principal or application APP's, credentials referenced.

    A domain: a producer file per product it writes, a consumer file per product it is
    granted. An application (`DOMAIN.APP`): producer files for its writes, consumer files for
    its reads; a streams app its `APP.streams.properties`, a connect app its
    `APP.connect-worker.properties`. The password is never written: librdkafka files name the
    environment variable KAFKA_SASL_PASSWORD and where the password is kept; Java files read it
    through a config provider."""
    ws = workspace(directory, vars_, var_files, state_dir)
    mesh = ws.config.mesh
    domain, _, app_name = principal.partition(".")
    if domain not in mesh.domains:
        raise MeshError(f"no domain {domain!r} (domains: {', '.join(sorted(mesh.domains))})")
    target: str | Application = domain
    if app_name:
        apps = {a.name: a for a in mesh.applications if a.domain == domain}
        if app_name not in apps:
            known = ", ".join(sorted(apps)) or "none"
            raise MeshError(f"no application {app_name!r} in domain {domain!r} (its applications: {known})")
        target = apps[app_name]
    user = target.principal_name if isinstance(target, Application) else domain
    home = application_cluster(mesh, target) if isinstance(target, Application) else mesh.domain_cluster(domain)
    cluster = cluster or home
    if cluster not in mesh.cluster_names():
        raise MeshError(f"--cluster {cluster}: no such cluster (clusters: {', '.join(mesh.cluster_names())})")
    settings = ws.kafka_settings(cluster)
    credentials = ws.credential_store(settings, cluster).location(user)
    if not credentials.startswith("secretsmanager:"):
        credentials = str(Path(credentials).resolve())
    registry = ws.registry_url(mesh.registry_of(cluster))
    if mesh.clusters:  # a client connects to one cluster: only the products that live there
        mesh = replace(mesh, products=[p for p in mesh.products if mesh.product_cluster(p) == cluster])
    try:
        files = client_configs(mesh, target, settings, credentials, registry, fmt)
    except ClientConfigError as exc:
        raise MeshError(str(exc)) from None
    if not files:
        if isinstance(target, Application):
            raise MeshError(f"{target.address} reads and writes no product: nothing to configure")
        writers = sorted(f"{a.domain}.{a.name}" for a in mesh.applications if a.domain == domain and a.writes)
        by_apps = f" (its applications write its products: {', '.join(writers)})" if writers else ""
        elsewhere = (
            f' on cluster "{cluster}" (--cluster chooses another)' if len(ws.config.mesh.cluster_names()) > 1 else ""
        )
        raise MeshError(f"domain {domain!r} writes no product and is granted none{elsewhere}{by_apps}")
    if out_dir is None:
        if fmt == JSON:
            click.echo(next(iter(files.values())), nl=False)
            return
        for name, text in files.items():
            click.echo(f"# --- {name}\n{text}")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out_dir / name).write_text(text)
    click.echo(f"Wrote {len(files)} file{'s' if len(files) != 1 else ''} to {display_path(out_dir)}.")


@click.command()
@config_options
@click.option("--name", metavar="MODULE.OUTPUT", help="Print one output as it is (a connector config, SQL).")
@click.option("--json", "as_json", is_flag=True, help="All outputs as JSON.")
@handle_errors
def output(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    name: str | None,
    as_json: bool,
) -> None:
    """The root `output` blocks' values, and module outputs: artefacts such as a connector
    configuration or a vendor's SQL.

    Root outputs are listed as NAME = VALUE, module outputs by name. A `sensitive` output is
    shown as (sensitive), in --json too (unlike Terraform's -json, which prints it): its value
    is printed only when asked for by name.

    \b
    Examples:
      meshctl output
      meshctl output --json
      meshctl output --name bootstrap_servers
      meshctl output --name module.crm.connector_config > connector.json
    """
    ws = workspace(directory, vars_, var_files, state_dir)
    mesh = ws.config.mesh
    outputs = {module.output(key): value for module, values in mesh.outputs.items() for key, value in values.items()}
    hidden = set(mesh.sensitive_outputs)
    for root_name, root in mesh.root_outputs.items():  # an identifier: never a module.* key
        outputs[root_name] = root.value
        if root.sensitive:
            hidden.add(root_name)
    if name is None:
        if as_json:
            shown = {key: MASK if key in hidden else value for key, value in outputs.items()}
            click.echo(json.dumps(shown, indent=2, sort_keys=True))
        else:
            click.echo(format_outputs(mesh.root_outputs), nl=False)
            for key in sorted(k for k in outputs if k not in mesh.root_outputs):
                click.echo(f"{key} {MASK}" if key in hidden else key)
        return
    if name not in outputs:
        close = difflib.get_close_matches(name, list(outputs), n=1)
        raise MeshError(f"no output {name!r}" + (f" (did you mean {close[0]}?)" if close else ""))
    value = outputs[name]
    click.echo(value if isinstance(value, str) else json.dumps(value, indent=2), nl=not str(value).endswith("\n"))


@click.command()
@config_options
@handle_errors
def graph(directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None) -> None:
    """Print the domain tree and who reads which product as Graphviz DOT.

    \b
    Examples:
      meshctl graph | dot -Tsvg > mesh.svg
      meshctl graph -e prod ./mesh
    """
    ws = workspace(directory, vars_, var_files, state_dir)
    click.echo(render_dot(ws.config.mesh), nl=False)
