"""`meshctl replay`: backfill a product version from another version's records."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from meshctl import interrupt
from meshctl.cli.common import config_options, print_warnings, progress, workspace
from meshctl.cli.errors import handle_errors
from meshctl.engine import replay as engine
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.mesh.durations import parse_duration_ms
from meshctl.plan.replay import parse_offsets, resume_offsets

_PROGRESS_EVERY_S = 5.0


def parse_instant(text: str, option: str, now_ms: int) -> int:
    """An instant in ms: an ISO 8601 time (UTC when no offset is given) or a duration ago ("6h")."""
    try:
        return now_ms - parse_duration_ms(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MeshError(
            f"{option} {text!r} is neither a time nor a duration\n"
            "  hint: e.g. 2026-12-01T00:00:00Z, 2026-12-01, or 6h (six hours ago)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@click.command()
@config_options
@click.option(
    "--source", "source", required=True, metavar="PRODUCT.vN", help="The version to read, e.g. sales.orders.v1."
)
@click.option("--into", "into", required=True, metavar="PRODUCT.vN", help="The version to write, e.g. sales.orders.v2.")
@click.option(
    "--since", metavar="TIME", help="Copy records from this time: ISO 8601 (UTC by default) or a duration ago (6h)."
)
@click.option("--until", metavar="TIME", help="Copy records before this time (same forms as --since).")
@click.option(
    "--offsets", metavar="P:O,...", help="Copy from these offsets of the source's partitions (others are skipped)."
)
@click.option("--append", is_flag=True, help="Copy into a target that already holds records.")
@click.option("--dry-run", is_flag=True, help="Show what would be copied; write nothing.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def replay(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    source: str,
    into: str,
    since: str | None,
    until: str | None,
    offsets: str | None,
    append: bool,
    dry_run: bool,
    auto_approve: bool,
) -> None:
    """Backfill a product version from another version of the same product, or a copy from its source.

    Records are copied unchanged (key, value, headers, timestamps) from the source's
    partitions up to their end when the replay starts; with as many partitions on both
    sides, partition N goes to partition N, so every partition keeps its order. The
    target must be a live version whose schema can read the source's records (a breaking
    version is backfilled by its producer) and, unless --append, must be empty. A replay
    stopped by a signal or a failed write prints the --offsets that resume it; the
    records in between may be written twice (the default delivery contract tolerates
    duplicates).

    A copy (`--into <copying domain>.<copy>.vN`) is replayed by its own MirrorMaker 2
    connector: meshctl stops it, moves its offsets back to --since or --offsets (never
    forwards) and starts it again; it then copies on as before.

    \b
    Examples:
      meshctl replay --source sales.orders.v1 --into sales.orders.v2 --dry-run
      meshctl replay --source sales.orders.v1 --into sales.orders.v2 --since 2026-11-01T00:00:00Z
      meshctl replay -e prod --source sales.orders.v1 --into sales.orders.v2 --since 24h --auto-approve
      meshctl replay --source sales.orders.v1 --into sales.orders.v2 --offsets 0:1200,1:1187 --append
      meshctl replay --source sales.customers.v1 --into payments.customers.v1 --since 2026-11-30 --append
    """
    if offsets is not None and since is not None:
        raise click.UsageError("--offsets and --since both say where to start: give one")
    now_ms = int(time.time() * 1000)
    spec = engine.ReplaySpec(
        source,
        into,
        offsets=parse_offsets(offsets) if offsets is not None else None,
        since_ms=parse_instant(since, "--since", now_ms) if since is not None else None,
        until_ms=parse_instant(until, "--until", now_ms) if until is not None else None,
        append=append,
    )
    ws = workspace(directory, vars_, var_files, state_dir)
    print_warnings(ws)
    prepared = engine.prepare(ws, spec)
    if isinstance(prepared, engine.CopyReplayPlan):
        _replay_copy(ws, prepared, dry_run, auto_approve)
        return
    plan = prepared
    pair = plan.pair
    click.echo(f"replay {pair.source_topic} -> {pair.target_topic}: {plan.records} records")
    _partitions(plan.start, plan.end)
    click.echo(
        "  partitions: kept (the same number on both sides)"
        if plan.keep_partitions
        else "  partitions: by key (the topics have different partition counts; records without a key are spread)"
    )
    if plan.target_records:
        click.echo(f"  the target already holds {plan.target_records} records (--append)")
    if dry_run or plan.records == 0:
        click.echo("Nothing copied (--dry-run)." if dry_run else "Nothing to copy.")
        return
    if not auto_approve:
        _confirm()
    last = [0.0]

    def show(p: engine.ReplayProgress) -> None:
        if time.monotonic() - last[0] >= _PROGRESS_EVERY_S:
            last[0] = time.monotonic()
            progress(f"  {p.copied}/{p.total} records copied")

    def notice(signum: int) -> None:
        interrupt.write_stderr(
            f"\n{interrupt.SIGNAL_NAMES.get(signum, 'signal')} received: stopping after the records in flight are "
            "written; again to stop at once\n"
        )

    with interrupt.graceful(notice) as stop_requested:
        result = engine.run(ws, plan, stop_requested, show)
    if result.failure or interrupt.stop_requested():
        why = result.failure or "interrupted"
        raise MeshError(
            f"replay stopped after {result.copied} of {result.total} records: {why}\n"
            f"  hint: resume with --offsets {resume_offsets(result.next_offsets)} --append"
        )
    click.echo(f"Replay complete! {result.copied} records copied into {pair.target_topic}.")


def _partitions(start: dict[int, int], end: dict[int, int]) -> None:
    for p in sorted(start):
        click.echo(f"  partition {p}: offsets {start[p]}..{end[p]} ({max(0, end[p] - start[p])})")


def _replay_copy(ws: Workspace, plan: engine.CopyReplayPlan, dry_run: bool, auto_approve: bool) -> None:
    c = plan.copy
    click.echo(
        f"replay {c.source_topic} -> {c.copy_topic} (the copy {c.copy.key}.v{c.copy.version}): "
        f"its connector {c.connector} copies again from"
    )
    _partitions(plan.start, plan.end)
    click.echo("  (a partition the connector has not yet reached keeps its place: nothing is skipped)")
    if plan.target_records:
        click.echo(f"  the copy already holds {plan.target_records} records (--append)")
    if dry_run or plan.records == 0:
        click.echo("Nothing rewound (--dry-run)." if dry_run else "Nothing to copy.")
        return
    if not auto_approve:
        _confirm()
    moved = engine.rewind_copy(ws, plan)
    if not moved:
        click.echo("Nothing rewound: the connector had not yet copied past these offsets.")
        return
    click.echo(
        f"Replay started! {c.connector} copies again from offsets {resume_offsets(moved)}; "
        "the records arrive in the copy as it catches up."
    )


def _confirm() -> None:
    click.echo(
        "\nDo you want to copy these records?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        nl=False,
    )
    answer = sys.stdin.readline()
    if not answer:
        raise MeshError("replay cancelled: no answer on standard input (use --auto-approve in pipelines)")
    if answer.strip() != "yes":
        click.echo("\nReplay cancelled.")
        sys.exit(1)
    click.echo("")
