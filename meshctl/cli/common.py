"""What every command shares: options, the workspace, colour, warnings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from meshctl.address import AddressError, Target
from meshctl.config.environments import ENV_VAR
from meshctl.config.loader import LoadOptions
from meshctl.engine.run import Run
from meshctl.engine.workspace import Workspace
from meshctl.naming import NAME_HINT, NAME_RE
from meshctl.plan.diff import PlanOptions
from meshctl.plan.force_replace import check_address
from meshctl.plan.scope import Scope
from meshctl.resources import GUARDED_TYPES


def use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def config_options(fn: Callable) -> Callable:
    fn = click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))(fn)
    return config_flags(fn)


_ENVIRONMENT_KEY = "meshctl.environment"


def _take_environment(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`-e NAME` (or MESHCTL_ENVIRONMENT), kept on the context for `workspace()`: every command
    that loads a mesh takes it, without each command passing it along by hand. A name that
    could not be an environment (it becomes a directory name) is a usage error at once."""
    if value is not None and not NAME_RE.match(value):
        raise click.BadParameter(f"{value!r} is not an environment name: {NAME_HINT}", ctx=ctx, param=param)
    ctx.meta[_ENVIRONMENT_KEY] = value


def selected_environment() -> str | None:
    """The environment the command line selected (None: none)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_ENVIRONMENT_KEY) if ctx is not None else None


def config_flags(fn: Callable) -> Callable:
    fn = click.option(
        "-e",
        "--environment",
        envvar=ENV_VAR,
        expose_value=False,
        callback=_take_environment,
        metavar="NAME",
        help=f"The environment to work on (an environment block of the mesh); also {ENV_VAR}. "
        "Required when the mesh declares environments.",
    )(fn)
    fn = click.option("--var", "vars_", multiple=True, metavar="NAME=VALUE", help="Set a variable.")(fn)
    fn = click.option(
        "--var-file",
        "var_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Read variables from an HCL file of NAME = VALUE lines; repeatable. A variable's value, lowest "
        "precedence first: its default, the environment block's variables, MESHCTL_VAR_NAME, the mesh "
        "directory's meshctl.meshvars, its *.auto.meshvars files (in name order), each --var-file, each --var.",
    )(fn)
    fn = click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where local state and credentials live (default: DIRECTORY/.meshctl).",
    )(fn)
    return fn


def _parse_targets(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """A target that is no address is a usage error before anything is read or contacted."""
    for text in values:
        try:
            Target.parse(text)
        except AddressError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return values


def scope_options(fn: Callable) -> Callable:
    fn = click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDRESS",
        callback=_parse_targets,
        help="Only this resource or block (and what it depends on); repeatable. Also -target=ADDRESS.",
    )(fn)
    fn = click.option(
        "--domain",
        "domains",
        multiple=True,
        metavar="NAME",
        help="Only resources of this domain and the domains below it; repeatable.",
    )(fn)
    return fn


def _parse_replace(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """A `-replace` that is no resource address of a managed type is a usage error before
    anything is read or contacted; written one way (`str(Address)`) for the plan to match."""
    out = []
    for text in values:
        try:
            out.append(str(check_address(text)))
        except AddressError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return tuple(dict.fromkeys(out))


def plan_flags(fn: Callable) -> Callable:
    fn = click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")(fn)
    fn = click.option(
        "-replace",
        "--replace",
        "replace",
        multiple=True,
        metavar="ADDRESS",
        callback=_parse_replace,
        help="Replace this recorded resource although nothing forces it (Terraform's -replace); repeatable. "
        "For kafka_scram_user.NAME a rotation: a new password is stored, then set on the broker in place of "
        "the old one. Objects that hold data need --allow-delete TYPE (or --allow-replace); ACLs and secrets "
        "are never replaced on request.",
    )(fn)
    fn = click.option(
        "--allow-replace",
        is_flag=True,
        help="Allow replacing objects that hold data or grant access (delete and re-create: their data is lost).",
    )(fn)
    fn = click.option(
        "--force-retire",
        is_flag=True,
        help="Retire a product version past its sunset although consumer groups still have offsets on it.",
    )(fn)
    fn = click.option(
        "--allow-delete-topics",
        is_flag=True,
        help="Allow deleting topics that left the configuration (their data is lost); "
        "the same as --allow-delete kafka_topic.",
    )(fn)
    fn = click.option(
        "--allow-delete",
        "allow_delete",
        multiple=True,
        type=click.Choice([*GUARDED_TYPES, "all"]),
        metavar="TYPE",
        help="Allow deleting (or replacing) objects of TYPE that hold data or grant access: "
        f"{', '.join(GUARDED_TYPES)}, or all; repeatable. A topic retired after its sunset that still "
        "holds records needs kafka_topic. prevent_destroy is never overridden.",
    )(fn)
    return fn


def refresh_option(fn: Callable) -> Callable:
    """Terraform's `-refresh=false`, in either spelling: plan from state alone."""
    return click.option(
        "-refresh",
        "--refresh",
        "refresh_live",
        type=click.BOOL,
        default=True,
        show_default=True,
        metavar="BOOL",
        help="-refresh=false: plan from state alone, asking no server anything (state is taken as the "
        "truth: changes made out of band are not seen, topics to delete count as holding data, a version to "
        "retire as still read, schema updates are left for the registry to judge when applied).",
    )(fn)


def refresh_notice(refresh_live: bool) -> None:
    if not refresh_live:
        progress("meshctl: -refresh=false: planning from state alone, no server is asked anything")


def plan_options(
    allow_replace: bool,
    allow_delete_topics: bool,
    force_retire: bool,
    allow_delete: tuple[str, ...],
    scope: Scope | None = None,
    replace: tuple[str, ...] = (),
) -> PlanOptions:
    return PlanOptions(
        allow_replace, allow_delete_topics, force_retire, frozenset(allow_delete), scope or Scope(), frozenset(replace)
    )


def check_replace(run: Run, options: PlanOptions) -> None:
    """Each `-replace` must name a recorded resource the configuration declares, in scope, of a
    type that may be replaced on request (plan.force_replace): a usage error before any request."""
    problems = run.replace_problems(options)
    if problems:
        raise click.UsageError("\n".join(problems))


def workspace(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None
) -> Workspace:
    return Workspace(directory, load_options(vars_, var_files), state_dir)


def load_options(vars_: tuple[str, ...], var_files: tuple[Path, ...], **more: Any) -> LoadOptions:
    """How to load the mesh: the variables given and the environment selected."""
    return LoadOptions(list(vars_), list(var_files), environment=selected_environment(), **more)


def make_scope(run: Run, targets: tuple[str, ...], domains: tuple[str, ...]) -> Scope:
    for target, close in run.unmatched_targets(targets):
        hint = f"; did you mean {close}?" if close else ""
        click.echo(f"warning: --target {target} matches no resource or block{hint}", err=True)
    return run.scope(targets, domains)


def print_warnings(ws: Workspace) -> None:
    for w in ws.config.warnings:
        click.echo(w.format(), err=True)
    for line in ws.environment_warnings():
        click.echo(f"warning: {line}", err=True)


def progress(message: str) -> None:
    """A line of progress: on stderr, so stdout stays data."""
    click.echo(message, err=True)
