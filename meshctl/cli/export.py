"""`meshctl export`: the mesh as data contracts (ODCS) and a Backstage catalog. Offline."""

from __future__ import annotations

from pathlib import Path

import click

from meshctl.cli.common import config_options, print_warnings, selected_environment, workspace
from meshctl.cli.errors import handle_errors
from meshctl.documents import display_path
from meshctl.errors import MeshError
from meshctl.render.catalog.export import ALL, FORMATS, export

EXPORT_EXAMPLES = """\b
Examples:
  meshctl export --out catalog                       # odcs/*.odcs.yaml and backstage/catalog-info.yaml
  meshctl export -e prod --format odcs --out contracts ./mesh
  meshctl export --format backstage > catalog-info.yaml
  meshctl export --format odcs | less
"""


@click.command("export", epilog=EXPORT_EXAMPLES)
@config_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=ALL,
    show_default=True,
    help="odcs: one Open Data Contract Standard (v3.1.0) document per product version; backstage: "
    "catalog-info.yaml entities (Group, Domain, System, API, Component); all: both.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the files under DIR (odcs/<domain>.<product>.v<N>.odcs.yaml, backstage/catalog-info.yaml) "
    "instead of printing them as one YAML stream. Existing files of the same names are overwritten; no "
    "other file is touched.",
)
@handle_errors
def export_(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    fmt: str,
    out_dir: Path | None,
) -> None:
    """Render the mesh as data contracts and a service catalog, offline.

    From the same model `plan` compiles: an ODCS data contract per product version (schema,
    owners with their RACI roles, SLA, delivery contract, the topic and, when the configuration
    names them, the cluster's bootstrap servers: never a credential), and Backstage entities: a
    Domain per domain, a System per product, an API per version (AsyncAPI, the schema as its
    payload), a Group per owner team and a Component per reader, the access grants as its
    consumesApis. No server is contacted; a version's status (active, deprecated, retired) is
    today's, as plan sees it."""
    ws = workspace(directory, vars_, var_files, state_dir)
    mesh = ws.config.mesh
    print_warnings(ws)
    environment = ws.config.environment.name if ws.config.environment.is_declared else selected_environment()
    result = export(mesh, fmt, ws.today, environment)
    for cluster in result.without_servers:
        click.echo(
            f"note: cluster {cluster!r}: the configuration names no bootstrap servers (or only with credentials "
            "in them): its contracts have no servers entry",
            err=True,
        )
    if out_dir is None:
        for f in result.files:
            click.echo(f"# {f.path}\n{f.text}", nl=False)
        return
    written = 0
    for f in result.files:
        path = out_dir.joinpath(*f.path.split("/"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.text, encoding="utf-8")
        except OSError as exc:
            raise MeshError(f"cannot write {display_path(path)}: {exc.strerror}") from None
        written += 1
    click.echo(f"Wrote {written} file{'s' if written != 1 else ''} to {display_path(out_dir)}.")
