"""Run the meshctl CLI in-process, the way a user would type it."""

from __future__ import annotations

from click.testing import CliRunner, Result

from meshctl.cli.main import cli


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
