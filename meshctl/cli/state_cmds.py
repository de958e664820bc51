"""`state list|show|rm|mv|migrate`, `force-unlock` and `import`: adopt and inspect."""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import click

from meshctl import interrupt
from meshctl.address import Address, AddressError, ModuleAddress, parse_address
from meshctl.cli.common import config_flags, config_options, load_options, progress, workspace
from meshctl.cli.errors import handle_errors
from meshctl.documents import display_path
from meshctl.engine.adopt import adopt
from meshctl.engine.discover import discover_cluster, discovery_workspace, write_discovery
from meshctl.engine.migrate import migrate_state
from meshctl.errors import MeshError
from meshctl.naming import DEFAULT_CLUSTER, cluster_of
from meshctl.state_model import ResourceState


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
    """List the addresses of managed resources.

    \b
    Examples:
      meshctl state list
      meshctl state list --domain sales
    """
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
    """Show one managed resource as recorded.

    \b
    Examples:
      meshctl state show kafka_topic.commerce.sales.orders.v1
      meshctl state show -e prod aws_s3_bucket.data
    """
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
    """Stop managing resources without touching them on the cluster.

    \b
    Examples:
      meshctl state rm aws_s3_bucket.data
      meshctl state rm kafka_acl.analytics.reads.sales.orders kafka_topic.commerce.sales.orders.v1
    """
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


@state.command("mv")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@config_options
@click.option("--lock-timeout", default=0.0, type=float, metavar="SECONDS", help="Wait this long for the state lock.")
@handle_errors
def state_mv(
    source: str,
    destination: str,
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    lock_timeout: float,
) -> None:
    """Give a managed resource another address in state, without touching it on the cluster.

    As Terraform's `state mv`: for a rename in the configuration that no `moved` block records.
    DST must not be in state already; the type cannot change, nor the cluster of a Kafka or
    registry object (`TYPE.@eu/...`): the object lives where it lives. Each environment (-e)
    has its own state: an object never moves from one to another.

    \b
    Examples:
      meshctl state mv aws_s3_bucket.data aws_s3_bucket.raw
      meshctl state mv 'aws_s3_bucket.data' 'module.lake.aws_s3_bucket.data'
      meshctl state mv -e prod aws_iam_role.reader 'aws_iam_role.reader["sales"]'
      meshctl state mv module.lake module.sales_lake          # every entry of the module
    """
    ws = workspace(directory, vars_, var_files, state_dir)
    ws.backend.lock("state mv", lock_timeout)
    try:
        current = ws.read_state()
        moves = planned_moves(source, destination, current.resources)
        current.resources = moved_state(current.resources, moves)
        ws.backend.write(current)
    finally:
        with interrupt.shielded():  # the lock is released even when a signal arrives right now
            ws.backend.unlock()
    what = f"{len(moves)} resources" if len(moves) > 1 else next(iter(moves))
    click.echo(
        f"Moved {what} to {destination if len(moves) > 1 else next(iter(moves.values()))}. "
        "Nothing changed on the cluster; run `meshctl plan` to check."
    )


def planned_moves(source: str, destination: str, recorded: Mapping[str, ResourceState]) -> dict[str, Address]:
    """Each state entry `state mv SRC DST` moves (its address -> the new one), checked against
    state: refused before anything is written. SRC and DST are two resources, or two modules
    (every entry within SRC moves below DST, as Terraform's `state mv module.a module.b`)."""
    src, dst = _parsed(source, recorded), _parsed(destination, recorded)
    if isinstance(src, ModuleAddress) or isinstance(dst, ModuleAddress):
        if not (isinstance(src, ModuleAddress) and isinstance(dst, ModuleAddress)):
            raise MeshError(f"{source} and {destination}: a module moves to a module, a resource to a resource")
        return _module_moves(src, dst, recorded)
    src, dst = Address.parse(_address(source, recorded)), Address.parse(_address(destination, recorded))
    if str(src) not in recorded:
        raise MeshError(f"{src} is not in the state{_did_you_mean(str(src), list(recorded))}")
    if str(dst) in recorded:
        raise MeshError(f"{dst} is already in the state: `meshctl state rm {dst}` first if it is to go")
    if src.type != dst.type:
        raise MeshError(f"{src} is a {src.type}, {dst} a {dst.type}: state mv cannot change a resource's type")
    (src_cluster, _), (dst_cluster, _) = cluster_of(src.label), cluster_of(dst.label)
    if src_cluster != dst_cluster:
        where = {
            c: "the default cluster" if c == DEFAULT_CLUSTER else f"cluster {c!r}" for c in (src_cluster, dst_cluster)
        }
        raise MeshError(
            f"{src} is on {where[src_cluster]}, {dst} on {where[dst_cluster]}: an object cannot move between "
            "clusters in state (it lives on its cluster); create it on the other one and delete the old one"
        )
    return {str(src): dst}


def _parsed(text: str, known: Mapping[str, ResourceState]) -> Address | ModuleAddress:
    try:
        return parse_address(text)
    except AddressError as exc:
        raise MeshError(f"{exc}{_did_you_mean(text, list(known))}") from None


def _module_moves(src: ModuleAddress, dst: ModuleAddress, recorded: Mapping[str, ResourceState]) -> dict[str, Address]:
    if src.is_root or dst.is_root:
        raise MeshError("state mv moves one module instance to another: the root module is neither")
    if src.contains(dst) or dst.contains(src):
        raise MeshError(f"{src} and {dst}: a module cannot move into itself or one of its own")
    moves = {a: rs.addr.moved(src, dst) for a, rs in recorded.items() if rs.addr.within(src)}
    if not moves:
        raise MeshError(f"nothing in the state is in {src}")
    taken = sorted(str(new) for new in moves.values() if str(new) in recorded)
    if taken:
        raise MeshError(f"{dst} already holds {taken[0]} in the state: `meshctl state rm` it first if it is to go")
    return moves


def moved_state(recorded: Mapping[str, ResourceState], moves: Mapping[str, Address]) -> dict[str, ResourceState]:
    """State with each entry of `moves` recorded at its new address, and what depended on a moved
    entry depending on its new address."""
    renamed = {old: str(new) for old, new in moves.items()}
    out: dict[str, ResourceState] = {}
    for address, rs in recorded.items():
        if any(d in renamed for d in rs.depends_on):
            rs = dataclasses.replace(rs, depends_on=tuple(renamed.get(d, d) for d in rs.depends_on))
        new = moves.get(address)
        if new is None:
            out[address] = rs
            continue
        module = str(new.module) if new.module.steps else ""
        out[str(new)] = dataclasses.replace(rs, name=new.label, module=module)
    return out


@state.command("migrate")
@config_options
@click.option("--from-dir", type=click.Path(file_okay=False, path_type=Path), help="Local state to migrate.")
@handle_errors
def state_migrate(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None, from_dir: Path | None
) -> None:
    """Copy local state to the backend the configuration names.

    \b
    Examples:
      meshctl state migrate                       # after adding a backend "s3" block
      meshctl state migrate --from-dir old/.meshctl
    """
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
    """Remove a lock left by a run that died. Only when you know it is not running.

    \b
    Examples:
      meshctl force-unlock 3f2a9c1e-...            # the id the lock error printed
    """
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
    cluster: `import --discover [PREFIX]`.

    \b
    Examples:
      meshctl import kafka_topic.commerce.sales.orders.v1 commerce.sales.orders.v1
      meshctl import --discover commerce. --out discovered/
    """
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
