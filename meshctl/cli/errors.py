"""Turn every failure into one clear message and exit code 1; `--debug` shows tracebacks."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from meshctl.errors import ConfigError, MeshError
from meshctl.interrupt import exit_code, wrapped_signal
from meshctl.redaction import redact

P = ParamSpec("P")
R = TypeVar("R")


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.obj and ctx.obj.get("debug"):
            return True
        ctx = ctx.parent
    return False


# Commands that never write state or files: an interrupt there changed nothing.
READ_ONLY = frozenset({"validate", "plan", "drift", "report", "graph", "output", "list", "show"})


def _interrupted_message(exc: BaseException) -> str:
    ctx = click.get_current_context(silent=True)
    name = ctx.command.name if ctx is not None else None
    if name in READ_ONLY:
        return "interrupted: nothing was changed"
    return "interrupted: state holds what its last completed write recorded; run `meshctl plan` to see"


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ConfigError as exc:
            if debug_enabled():
                raise
            click.echo(redact(exc.format()), err=True)
            n = len(exc.errors)
            click.echo(f"\n{n} error{'s' if n != 1 else ''} in the configuration.", err=True)
            sys.exit(1)
        except MeshError as exc:
            if debug_enabled():
                raise
            click.echo(redact(exc.format()), err=True)  # a library's message may echo a secret
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # apply reports what state holds itself
            click.echo(f"\n{_interrupted_message(exc)}", err=True)
            sys.exit(exit_code(exc))
        except Exception as exc:
            signalled = wrapped_signal(exc)  # a signal landing in an import, re-raised as another error
            if signalled is not None:
                click.echo(f"\n{_interrupted_message(signalled)}", err=True)
                sys.exit(exit_code(signalled))
            if debug_enabled():
                raise
            click.echo(
                redact(f"error: internal error: {type(exc).__name__}: {exc}\n")
                + "  this is a bug in meshctl; run again with --debug for a traceback and report it",
                err=True,
            )
            sys.exit(1)

    return wrapper
