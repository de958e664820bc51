"""Turn every failure into one clear message and exit code 1; `--debug` shows tracebacks."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from meshctl.errors import ConfigError, MeshError
from meshctl.redaction import redact

F = TypeVar("F", bound=Callable[..., object])


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.obj and ctx.obj.get("debug"):
            return True
        ctx = ctx.parent
    return False


def handle_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
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
        except KeyboardInterrupt:
            click.echo("\ninterrupted: state holds every step that finished", err=True)
            sys.exit(130)
        except Exception as exc:
            if debug_enabled():
                raise
            click.echo(
                redact(f"error: internal error: {type(exc).__name__}: {exc}\n")
                + "  this is a bug in meshctl; run again with --debug for a traceback and report it",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
