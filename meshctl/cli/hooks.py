"""Progress of an apply, on stderr so stdout stays data."""

from __future__ import annotations

import click

from meshctl.engine.apply import ChangeResult
from meshctl.interrupt import SIGNAL_NAMES, write_stderr
from meshctl.plan.model import ResourceChange
from meshctl.redaction import redact
from meshctl.render.text import Styler

_DOING = {"delete": ("Destroying...", "Destruction complete", "Destruction failed")}
_APPLY = {
    ("create",): ("Creating...", "Creation complete", "Creation failed"),
    ("delete", "create"): ("Creating...", "Creation complete", "Creation failed"),
    ("update",): ("Modifying...", "Modifications complete", "Modification failed"),
}

# A requested replace carried out in place: a new password set over the old one.
_ROTATE = ("Replacing (new password)...", "Replacement complete", "Replacement failed")


class ProgressHooks:
    def __init__(self, total: int, color: bool):
        self.total = total
        self.done = 0
        self.s = Styler(color)
        self.in_flight: set[str] = set()
        self.reconciled = 0  # changes in flight when a stop was asked for: they finish and are recorded

    def _verbs(self, verb: str, change: ResourceChange) -> tuple[str, str, str]:
        if verb == "delete":
            return _DOING["delete"]
        return _ROTATE if change.replaced_in_place else _APPLY[change.actions]

    def stop_notice(self, signum: int) -> None:
        """Called from the signal handler: an unbuffered write, no click."""
        self.reconciled = len(self.in_flight)
        name = SIGNAL_NAMES.get(signum, f"signal {signum}")
        what = (
            f"letting the {self.reconciled} changes in flight finish and recording them"
            if self.in_flight
            else "starting no further changes"
        )
        write_stderr(f"\n{name} received: {what}, then stopping. Send it again to stop at once.\n")

    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None:
        self.in_flight.update(c.address for c in changes)
        for c in changes[:20]:
            click.echo(f"{self.s(c.address, bold=True)}: {self._verbs(verb, c)[0]}", err=True)
        if len(changes) > 20:
            click.echo(f"... and {len(changes) - 20} more in this batch", err=True)

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None:
        self.done += 1
        self.in_flight.discard(change.address)
        counter = f"[{self.done}/{self.total}]"
        _, ok, failed = self._verbs(verb, change)
        if result.ok:
            click.echo(f"{counter} {self.s(change.address, bold=True)}: {ok} after {elapsed_s:.1f}s", err=True)
        else:
            reason = redact(str(result.error))  # a provider's message may echo what it was sent
            click.echo(f"{counter} {self.s(change.address, 'red', bold=True)}: {failed}: {reason}", err=True)

    def change_skipped(self, change: ResourceChange, because: str) -> None:
        self.done += 1
        click.echo(f"[{self.done}/{self.total}] {change.address}: skipped because {because}", err=True)
