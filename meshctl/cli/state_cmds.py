"""`state list|show|rm|migrate`, `force-unlock` and `import`: adopt and inspect."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path

import click

from meshctl.address import Address, AddressError
from meshctl.cli.common import config_flags, config_options, load_options, progress, workspace
from meshctl.cli.errors import handle_errors
from meshctl.documents import display_path
from meshctl.engine.adopt import adopt
from meshctl.engine.discover import discover_cluster, discovery_workspace, write_discovery
from meshctl.engine.migrate import migrate_state
from meshctl.errors import MeshError


@click.group()
def state() -> None:
    """Inspect and edit what meshctl manages."""


@state.command("list")
@config_options
@click.option("--domain", "domains", multiple=True, metavar="NAME", help="Only these domains' subtrees.")
@handle_errors
def state_list(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    domains: tuple[str, ...],
) -> None:
    """List the addresses of managed resources."""
    ws = workspace(directory, vars_, var_files, state_dir)
    keep = ws.domain_scope(domains) if domains else None
    for address, rs in sorted(ws.read_state().resources.items()):
        if keep is None or rs.domain in keep:
            click.echo(address)


@state.command("show")
@click.argument("address")
@config_options
@handle_errors
def state_show(
    address: str, directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None
) -> None:
    """Show one managed resource as recorded."""
    ws = workspace(directory, vars_, var_files, state_dir)
    current = ws.read_state()
    address = _address(address, current.resources)
    rs = current.resources.get(address)
    if rs is None:
        raise MeshError(f"{address} is not in the state{_did_you_mean(address, list(current.resources))}")
    click.echo(json.dumps(rs.to_json(), indent=2))


@state.command("rm")
@click.argument("addresses", nargs=-1, required=True)
@config_options
@handle_errors
def state_rm(
    addresses: tuple[str, ...],
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
) -> None:
    """Stop managing resources without touching them on the cluster."""
    ws = workspace(directory, vars_, var_files, state_dir)
    with ws.locked("state rm") as current:
        addresses = tuple(dict.fromkeys(_address(a, current.resources) for a in addresses))
        missing = [a for a in addresses if a not in current.resources]
        if missing:
            raise MeshError(f"{missing[0]} is not in the state{_did_you_mean(missing[0], list(current.resources))}")
        for a in addresses:
            del current.resources[a]
        ws.backend.write(current)
    click.echo(
        f"Removed {len(addresses)} resource(s) from the state. They still exist; meshctl no longer manages them."
    )


@state.command("migrate")
@config_options
@click.option("--from-dir", type=click.Path(file_okay=False, path_type=Path), help="Local state to migrate.")
@handle_errors
def state_migrate(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None, from_dir: Path | None
) -> None:
    """Copy local state to the backend the configuration names."""
    ws = workspace(directory, vars_, var_files, state_dir)
    old, backup = migrate_state(ws, from_dir)
    click.echo(
        f"Migrated {len(old.resources)} resources (serial {old.serial}, lineage {old.lineage}) to "
        f"{ws.backend.describe()}; the local copy is now {display_path(backup)}."
    )


@click.command("force-unlock")
@click.argument("lock_id")
@config_options
@handle_errors
def force_unlock(
    lock_id: str, directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None
) -> None:
    """Remove a lock left by a run that died. Only when you know it is not running."""
    ws = workspace(directory, vars_, var_files, state_dir)
    holder = ws.backend.force_unlock(lock_id)
    click.echo(f"Unlocked {ws.backend.describe()}: removed the lock of {holder.describe()}.")


@click.command("import")
@click.argument("address", required=False)
@click.argument("resource_id", required=False, metavar="ID")
@config_flags
@click.option(
    "--dir",
    "directory",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="The mesh directory (default: .).",
)
@click.option(
    "--discover",
    "discover_prefix",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PREFIX]",
    help="Read the live cluster and write reviewable HCL for topics under PREFIX.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --discover: where to write the files (default: the mesh directory).",
)
@click.option("--force", is_flag=True, help="With --discover: overwrite existing files.")
@handle_errors
def import_(
    address: str | None,
    resource_id: str | None,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    directory: Path,
    discover_prefix: str | None,
    out_dir: Path | None,
    force: bool,
) -> None:
    """Adopt an existing resource into state: `import ADDRESS ID`; or write HCL for a whole
    cluster: `import --discover [PREFIX]`."""
    if discover_prefix is not None:
        _discover(directory, out_dir or directory, discover_prefix, force, vars_, var_files, state_dir)
        return
    if not address or not resource_id:
        raise click.UsageError("give ADDRESS and ID, or --discover")
    adopt(workspace(directory, vars_, var_files, state_dir), address, resource_id)
    click.echo(f"Import successful: {address} is now managed. Run `meshctl plan` to see how it differs.")


def _discover(
    directory: Path,
    out_dir: Path,
    prefix: str,
    force: bool,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
) -> None:
    ws = discovery_workspace(directory, load_options(vars_, var_files), state_dir)
    progress(f"meshctl: reading the cluster at {ws.kafka_settings().get('bootstrap.servers', '?')} ...")
    found = discover_cluster(ws, prefix)
    written = write_discovery(found, out_dir, force)
    click.echo(
        f"Wrote {', '.join(display_path(f) for f in written)}: {found.domains} domains, "
        f"{found.products} data products, {found.grants} access grants. Review the comments marked 'guessed', "
        "then `meshctl plan`."
    )
    for reason in found.skipped:
        click.echo(f"  skipped {reason}", err=True)


def _address(text: str, known: Iterable[str]) -> str:
    """The address as state spells it (`module.a["\\u00e9"]` is `module.a["é"]`); bad text is refused."""
    try:
        return str(Address.parse(text))
    except AddressError as exc:
        raise MeshError(f"{exc}{_did_you_mean(text, list(known))}") from None


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
