"""The `meshctl` command line: parse flags, call the core, render, choose the exit code."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from meshctl import __version__
from meshctl.cli.errors import handle_errors
from meshctl.cli.hooks import ProgressHooks
from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError, display_path
from meshctl.plan.diff import PlanOptions
from meshctl.plan.model import Plan
from meshctl.render.jsonplan import plan_to_json
from meshctl.render.text import Styler, render_plan


def _use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _config_options(fn: Callable) -> Callable:
    fn = click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))(fn)
    fn = click.option("--var", "vars_", multiple=True, metavar="NAME=VALUE", help="Set a variable.")(fn)
    fn = click.option(
        "--var-file",
        "var_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Read variables from an HCL file of NAME = VALUE lines.",
    )(fn)
    fn = click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where state and credentials live (default: DIRECTORY/.meshctl).",
    )(fn)
    return fn


def _plan_options(fn: Callable) -> Callable:
    fn = click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")(fn)
    fn = click.option(
        "--allow-replace", is_flag=True, help="Allow replacing topics (delete and re-create: their data is lost)."
    )(fn)
    fn = click.option(
        "--allow-delete-topics",
        is_flag=True,
        help="Allow deleting topics that left the configuration (their data is lost).",
    )(fn)
    return fn


def _workspace(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None
) -> Workspace:
    return Workspace(directory, LoadOptions(list(vars_), list(var_files)), state_dir)


def _print_warnings(ws: Workspace) -> None:
    for w in ws.config.warnings:
        click.echo(w.format(), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks and client logs.")
@click.version_option(__version__, prog_name="meshctl")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Declarative provisioning for a data mesh on Kafka.

    Describe domains, data products and access grants in HCL; `plan` shows what
    would change on the live cluster, `apply` carries it out.
    """
    ctx.obj = {"debug": debug}
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)
        rdkafka = logging.getLogger("meshctl.librdkafka")
        rdkafka.propagate = True


@cli.command()
@_config_options
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as JSON.")
@handle_errors
def validate(
    directory: Path, vars_: tuple[str, ...], var_files: tuple[Path, ...], state_dir: Path | None, as_json: bool
) -> None:
    """Check the configuration offline: syntax, references, types and mesh policies."""
    ws = _workspace(directory, vars_, var_files, state_dir)
    mesh = ws.config.mesh
    if as_json:
        click.echo(
            json.dumps(
                {
                    "format_version": "1.0",
                    "valid": True,
                    "error_count": 0,
                    "warning_count": len(ws.config.warnings),
                    "diagnostics": [
                        {
                            "severity": d.severity,
                            "summary": d.summary,
                            "detail": d.detail,
                            "range": {"filename": d.source.file, "line": d.source.line} if d.source else None,
                        }
                        for d in ws.config.warnings
                    ],
                },
                indent=2,
            )
        )
        return
    _print_warnings(ws)
    resources = ws.desired()
    click.echo(
        f"Success! The configuration is valid: {len(mesh.domains)} domains, {len(mesh.products)} data products, "
        f"{len(mesh.access)} access grants -> {len(resources)} resources."
    )


@cli.command()
@_config_options
@_plan_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (Terraform's plan shape).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 2 when something does.")
@handle_errors
def plan(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    no_color: bool,
    allow_replace: bool,
    allow_delete_topics: bool,
    as_json: bool,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change on the live cluster."""
    ws = _workspace(directory, vars_, var_files, state_dir)
    _print_warnings(ws)
    the_plan, _ = ws.plan(PlanOptions(allow_replace, allow_delete_topics))
    doc = plan_to_json(the_plan, [w.summary for w in ws.config.warnings])
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_plan(doc, _use_color(no_color)), nl=False)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


@cli.command()
@_config_options
@_plan_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--lock-timeout", default=0.0, type=float, metavar="SECONDS", help="Wait this long for the state lock.")
@handle_errors
def apply(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    no_color: bool,
    allow_replace: bool,
    allow_delete_topics: bool,
    auto_approve: bool,
    lock_timeout: float,
) -> None:
    """Plan, ask for confirmation, and carry the plan out."""
    color = _use_color(no_color)
    s = Styler(color)
    ws = _workspace(directory, vars_, var_files, state_dir)
    _print_warnings(ws)
    ws.backend.lock("apply", lock_timeout)
    try:
        state = ws.read_state()
        the_plan, _ = ws.plan(PlanOptions(allow_replace, allow_delete_topics), state)
        doc = plan_to_json(the_plan)
        click.echo(render_plan(doc, color), nl=False)
        if not the_plan.has_changes:
            ws.apply(the_plan, state, ProgressHooks(0, color))  # records adopted and forgotten resources
            return
        ws.refuse_blocked(the_plan)
        if not auto_approve:
            _confirm()
        total = sum(len(c.actions) if c.actions == ("delete", "create") else 1 for c in the_plan.actionable)
        result = ws.apply(the_plan, state, ProgressHooks(total, color))
    finally:
        ws.backend.unlock()
    _report_credentials(ws, the_plan)
    counts = result.counts
    line = f"{counts['added']} added, {counts['changed']} changed, {counts['destroyed']} destroyed."
    if result.ok:
        click.echo(f"\n{s('Apply complete!', 'green', bold=True)} Resources: {line}")
        return
    click.echo(f"\n{s('Apply failed.', 'red', bold=True)} Resources: {line}", err=True)
    for address, error in result.failed.items():
        click.echo(f"error: {address}: {error}", err=True)
    for address, because in result.skipped.items():
        click.echo(f"  skipped {address}: {because}", err=True)
    click.echo("State records every step that succeeded; run `meshctl plan` to see what is left.", err=True)
    raise MeshError(f"{len(result.failed)} change(s) failed, {len(result.skipped)} skipped")


def _confirm() -> None:
    click.echo(
        "\nDo you want to perform these actions?\n"
        "  meshctl will perform the actions described above.\n"
        "  Only 'yes' will be accepted to approve.\n"
    )
    click.echo("  Enter a value: ", nl=False)
    answer = sys.stdin.readline()
    if not answer:
        raise MeshError("apply cancelled: no answer on standard input (use --auto-approve in pipelines)")
    if answer.strip() != "yes":
        click.echo("\nApply cancelled.")
        sys.exit(1)
    click.echo("")


def _report_credentials(ws: Workspace, the_plan: Plan) -> None:
    users = [c.name for c in the_plan.actionable if c.type == "kafka_scram_user" and "create" in c.actions]
    if users:
        where = display_path(ws.meta_dir / "credentials")
        click.echo(
            f"\nCredentials of {len(users)} new principal(s) are in {where}/<principal>.properties "
            "(mode 0600, never printed): hand each to its domain through your secret store.",
            err=True,
        )


def main() -> None:
    cli(prog_name="meshctl")


if __name__ == "__main__":
    main()
