"""`show`: a saved plan (`plan --out FILE`) or the state, as text or as Terraform's JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from meshctl.cli.common import config_flags, use_color, workspace
from meshctl.cli.errors import handle_errors
from meshctl.plan import planfile
from meshctl.plan.jsonformat import FORMAT_VERSION, plan_to_json
from meshctl.render.text import render_plan
from meshctl.resources import provider_of
from meshctl.state_model import State


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path), metavar="[PLANFILE|DIR]")
@config_flags
@click.option("--json", "as_json", is_flag=True, help="Terraform's JSON shape: a plan's, or the state's values.")
@click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")
@handle_errors
def show(
    path: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    as_json: bool,
    no_color: bool,
) -> None:
    """Show a saved plan, or the state of the mesh in DIR (default: .).

    A saved plan is read alone: nothing is loaded, no server is asked. Neither shows a secret:
    saved plans and state hold none (passwords are stored apart, as a fingerprint in state;
    sensitive variables are named without their values), as `plan --json` prints none.

    \b
    Examples:
      meshctl plan --out release.plan && meshctl show release.plan
      meshctl show --json release.plan | jq '.resource_changes[].address'
      meshctl show                      # what state records for the mesh here
      meshctl show -e prod --json ./mesh
    """
    if path.is_file():
        saved = planfile.load(path)
        doc = plan_to_json(saved.plan)
        if as_json:
            variables: dict[str, object] = {n: {"value": v} for n, v in sorted(saved.variables.items())}
            variables.update({n: {"sensitive": True} for n in sorted(saved.sensitive)})
            shown = {**doc, "variables": variables, "environment": saved.environment}
            click.echo(json.dumps(shown, indent=2))
        else:
            made = f" for environment {saved.environment!r}" if saved.environment else ""
            click.echo(f"Saved plan{made}, from state serial {saved.plan.state_serial}:\n", err=True)
            click.echo(render_plan(doc, use_color(no_color)), nl=False)
        return
    current = workspace(path, vars_, var_files, state_dir).read_state()
    if as_json:
        click.echo(json.dumps(state_values(current), indent=2))
        return
    if not current.resources:
        click.echo("The state is empty: nothing is managed.")
        return
    for address, rs in sorted(current.resources.items()):
        click.echo(f"# {address}:")
        click.echo(f'resource "{rs.type}" "{rs.name}" {{')
        width = max((len(k) for k in rs.attributes), default=0)
        for key, value in rs.attributes.items():
            click.echo(f"    {key.ljust(width)} = {json.dumps(value)}")
        click.echo("}\n")


def state_values(state: State) -> dict[str, object]:
    """The state in the shape of Terraform's `show -json` (`values.root_module.resources`); an
    address keeps its module, and `lineage`/`serial` say which state it is."""
    resources = [
        {
            "address": address,
            "mode": "managed",
            "type": rs.type,
            "name": rs.name,
            "provider_name": f"meshctl/{provider_of(rs.type, address)}",
            "values": dict(rs.attributes),
            **({"module_address": rs.module} if rs.module else {}),
        }
        for address, rs in sorted(state.resources.items())
    ]
    return {
        "format_version": FORMAT_VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "values": {"root_module": {"resources": resources}},
    }
