"""The `meshctl` command line: parse flags, call the core, render, choose the exit code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from meshctl import __version__, interrupt, redaction
from meshctl.cli.export import export_
from meshctl.cli.plan_apply import apply, destroy, drift, plan
from meshctl.cli.replay import replay
from meshctl.cli.report import report
from meshctl.cli.show import show
from meshctl.cli.state_cmds import force_unlock, import_, state
from meshctl.cli.tools import client_config, fmt, graph, output, validate
from meshctl.engine import collector
from meshctl.interrupt import exit_code


class MeshGroup(click.Group):
    """Exit codes for a CI user: a usage error is 1 (click says 2, which in meshctl means
    "changes"), and an interrupt outside a command is 128 + the signal, not "Aborted!"."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _cli_exit_codes():
            return super().make_context(*args, **kwargs)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        return name, command, [_double_dash(arg) for arg in rest]

    def invoke(self, ctx: click.Context) -> Any:
        # The one place the garbage collector is tuned (engine.collector): around the whole
        # command, from loading the configuration to the last line of output.
        with _cli_exit_codes(), collector.paused():
            try:
                result = super().invoke(ctx)
            except (SystemExit, click.exceptions.Exit):  # the command chose its exit code
                interrupt.ignore_from_now()
                raise
            # Done (state written, output printed): a signal from now on must not turn the run
            # into "Aborted!" (click's answer to a KeyboardInterrupt) or kill its shutdown.
            interrupt.ignore_from_now()
            return result


# Terraform's single-dash spellings of options declared with two dashes (`-replace` and
# `-refresh` are declared in both spellings): rewritten before the command parses them, so
# click's messages name the option as its help does.
_SINGLE_DASH = ("-target",)


def _double_dash(arg: str) -> str:
    name = arg.split("=", 1)[0]
    return "-" + arg if name in _SINGLE_DASH else arg


@contextmanager
def _cli_exit_codes() -> Iterator[None]:
    try:
        yield
    except click.UsageError as exc:
        # click's message is kept; only the code changes. click declares exit_code a class-level
        # constant; an instance attribute shadowing it for this one error is what click reads.
        exc.exit_code = 1  # type: ignore[misc]
        raise
    except KeyboardInterrupt as exc:
        click.echo("\ninterrupted: nothing was changed", err=True)
        raise click.exceptions.Exit(exit_code(exc)) from None


@click.group(cls=MeshGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks and client logs.")
@click.option(
    "-C",
    "-chdir",
    "--chdir",
    "chdir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Work in DIR, as if meshctl were started there (Terraform's -chdir): the default DIRECTORY and "
    "every relative path (--var-file, --out, a plan file, --state-dir) are taken from it. Before the command.",
)
@click.version_option(__version__, prog_name="meshctl")
@click.pass_context
def cli(ctx: click.Context, debug: bool, chdir: Path | None) -> None:
    """Declarative provisioning for a data mesh on Kafka.

    Describe domains, data products and access grants in HCL; `plan` shows what
    would change on the live cluster, `apply` carries it out.

    \b
    Examples:
      meshctl plan
      meshctl -C ./mesh plan -refresh=false
      meshctl -chdir=./mesh apply --auto-approve
    """
    ctx.obj = {"debug": debug}
    if chdir is not None:
        # Before any path is resolved: click converts arguments after this callback runs.
        os.chdir(chdir)
    redaction.install(debug)  # before any client exists: no record, traceback or warning shows a secret


COMMANDS = (
    validate,
    plan,
    apply,
    destroy,
    show,
    drift,
    report,
    state,
    import_,
    force_unlock,
    graph,
    fmt,
    client_config,
    output,
    replay,
    export_,
)
for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="meshctl")


if __name__ == "__main__":
    main()
