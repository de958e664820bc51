"""`plan`, `apply` and `drift`."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from meshctl import interrupt
from meshctl.cli.common import (
    check_replace,
    config_flags,
    config_options,
    load_options,
    make_scope,
    plan_flags,
    plan_options,
    print_warnings,
    progress,
    refresh_notice,
    refresh_option,
    scope_options,
    selected_environment,
    use_color,
    workspace,
)
from meshctl.cli.errors import handle_errors
from meshctl.cli.hooks import ProgressHooks
from meshctl.cli.root_outputs import format_outputs
from meshctl.documents import display_path
from meshctl.engine.apply import ApplyResult
from meshctl.engine.drift import detect
from meshctl.engine.promotion import promotion
from meshctl.engine.run import Run
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.mesh.approvals import approvals_for
from meshctl.plan import planfile
from meshctl.plan.diff import PlanOptions
from meshctl.plan.jsonformat import drift_to_json, plan_to_json
from meshctl.plan.model import Plan
from meshctl.plan.promotion import to_json as promotion_to_json
from meshctl.plan.scope import Scope
from meshctl.plan.unchanged import listed
from meshctl.redaction import redact
from meshctl.render.drift import render_drift
from meshctl.render.markdown import render_markdown
from meshctl.render.promotion import render_promotion
from meshctl.render.text import Styler, render_plan
from meshctl.resources import GUARDED_TYPES


def _refreshing(ws: Workspace, refresh_live: bool = True) -> None:
    if not refresh_live:
        refresh_notice(refresh_live)
        return
    progress(f"meshctl: refreshing from Kafka at {ws.kafka_settings().get('bootstrap.servers', '?')} ...")


@click.command()
@config_options
@plan_flags
@refresh_option
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (Terraform's plan shape).")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the plan as Markdown for a pull request.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply FILE`.")
@click.option(
    "--full",
    is_flag=True,
    help="List every resource in --json and --out, unchanged ones too, as Terraform's JSON plan does. Without "
    "it, unchanged resources are left out, except those apply reads (moves, records to update, links between "
    "changes that depend on each other).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 2 when something does.")
@click.option(
    "--from",
    "from_env",
    metavar="ENVIRONMENT",
    help="Promotion: also show where this environment's definitions and those of -e differ (what promoting "
    'it would change); in --json under "promotion". It is loaded offline: none of its servers is contacted.',
)
@handle_errors
def plan(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    no_color: bool,
    allow_replace: bool,
    allow_delete_topics: bool,
    force_retire: bool,
    allow_delete: tuple[str, ...],
    targets: tuple[str, ...],
    domains: tuple[str, ...],
    replace: tuple[str, ...],
    refresh_live: bool,
    as_json: bool,
    as_markdown: bool,
    out: Path | None,
    full: bool,
    detailed_exitcode: bool,
    from_env: str | None,
) -> None:
    """Show what apply would change on the live cluster.

    \b
    Examples:
      meshctl plan
      meshctl plan --target kafka_topic.commerce.sales.orders.v1
      meshctl plan -replace=kafka_scram_user.sales --out rotate.plan   # rotate a principal's password
      meshctl apply rotate.plan
      meshctl plan --json --full > plan.json   # unchanged resources listed too
      meshctl plan -e prod --from staging      # prod's plan, and what promoting staging changes
      meshctl plan -refresh=false              # from state alone: no server is asked anything
      meshctl -C ./mesh plan -target=kafka_topic.commerce.sales.orders.v1
    """
    if as_json and as_markdown:
        raise click.UsageError("choose one of --json and --markdown")
    ws = workspace(directory, vars_, var_files, state_dir)
    print_warnings(ws)
    run = ws.run()
    if not targets and not domains and refresh_live:
        run.read_ahead()  # the broker answers while the configuration compiles
    scope = make_scope(run, targets, domains)
    options = plan_options(allow_replace, allow_delete_topics, force_retire, allow_delete, scope, replace)
    check_replace(run, options)
    # Before any request: a wrong --from is found without contacting anything.
    promoted = promotion_to_json(promotion(ws, from_env)) if from_env else None
    _refreshing(ws, refresh_live)
    the_plan = run.plan(options, refresh_live=refresh_live)
    # Unchanged resources apply does not read are left out unless --full asks: at 10,000 products
    # they are 25,000 entries (~30 MB); the text and Markdown views never show them.
    doc = plan_to_json(the_plan if full else listed(the_plan, run.state), [w.summary for w in ws.config.warnings])
    if as_json:
        # The other environment's values were never checked by a plan: masked like any output.
        click.echo(
            redact(json.dumps({**doc, "promotion": promoted}, indent=2)) if promoted else json.dumps(doc, indent=2)
        )
    elif as_markdown:
        added = {c["meshctl"]["source"] for c in doc["resource_changes"] if "create" in c["change"]["actions"]}
        approvals = approvals_for(ws.config.mesh, added, ws.load_options.today or ws.today)
        click.echo(render_markdown(doc, approvals), nl=False)
        if promoted:
            click.echo("\n" + redact(render_promotion(promoted, False, markdown=True)), nl=False)
    else:
        click.echo(render_plan(doc, use_color(no_color)), nl=False)
        if promoted:
            click.echo("\n" + redact(render_promotion(promoted, use_color(no_color))), nl=False)
    if out is not None:
        saved_options = {
            "allow_replace": allow_replace,
            "allow_delete_topics": allow_delete_topics,
            "allow_delete": sorted(allow_delete),
            "targets": list(targets),
            "domains": list(domains),
            "replace": sorted(replace),
        }
        variables = ws.config.variables
        planfile.save(
            out,
            doc,
            run.fingerprint(),
            directory,
            saved_options,
            {n: v.value for n, v in variables.items() if not v.sensitive},  # never a sensitive value
            frozenset(n for n, v in variables.items() if v.sensitive and v.origin != "default"),
            ws.environment,
        )
        progress(f"Saved the plan to {display_path(out)}: apply exactly it with `meshctl apply {display_path(out)}`.")
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


@click.command()
@click.argument("target", default=".", type=click.Path(exists=True, path_type=Path), metavar="[DIR|PLANFILE]")
@config_flags
@plan_flags
@refresh_option
@scope_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--lock-timeout", default=0.0, type=float, metavar="SECONDS", help="Wait this long for the state lock.")
@handle_errors
def apply(
    target: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    no_color: bool,
    allow_replace: bool,
    allow_delete_topics: bool,
    force_retire: bool,
    allow_delete: tuple[str, ...],
    targets: tuple[str, ...],
    domains: tuple[str, ...],
    replace: tuple[str, ...],
    refresh_live: bool,
    auto_approve: bool,
    lock_timeout: float,
) -> None:
    """Plan, ask for confirmation, and carry the plan out; or apply a saved plan exactly.

    \b
    Examples:
      meshctl apply
      meshctl apply --auto-approve ./mesh
      meshctl apply -replace=kafka_scram_user.sales    # rotate the sales principal's password
      meshctl apply plan.out                           # a plan saved with `meshctl plan --out`
      meshctl apply -refresh=false                     # plan from state alone, then apply
    """
    guards_given = bool(allow_replace or allow_delete_topics or force_retire or allow_delete or replace)
    saved = _saved_plan(target, guards_given)
    guards = functools.partial(
        plan_options, allow_replace, allow_delete_topics, force_retire, allow_delete, replace=replace
    )
    ws = _workspace_for(saved, saved.directory if saved else target, vars_, var_files, state_dir)
    _carry_out(ws, saved, Planning(targets, domains, guards, refresh_live), auto_approve, lock_timeout, no_color)


@dataclass(frozen=True)
class Planning:
    """How apply or destroy makes its plan when no saved plan is given."""

    targets: tuple[str, ...]
    domains: tuple[str, ...]
    guards: Callable[[Scope], PlanOptions]
    refresh_live: bool = True
    destroy: bool = False


def _carry_out(
    ws: Workspace,
    saved: planfile.SavedPlan | None,
    planning: Planning,
    auto_approve: bool,
    lock_timeout: float,
    no_color: bool,
) -> None:
    """apply's and destroy's one path: under the lock, plan (or take the saved plan), show it,
    refuse what needs an opt-in, confirm, apply with state written after every step, and
    report; signals as apply answers them."""
    color = use_color(no_color)
    print_warnings(ws)
    _lock(ws, lock_timeout)
    try:
        for warning in ws.backend_warnings():
            click.echo(f"warning: {warning}", err=True)
        run = ws.run()
        the_plan = _plan_to_apply(ws, run, saved, planning)
        click.echo(render_plan(plan_to_json(listed(the_plan, run.state)), color), nl=False)
        if not the_plan.has_changes:
            run.apply(the_plan, ProgressHooks(0, color))  # records adopted and forgotten resources
            return
        run.refuse_blocked(the_plan)
        if saved is None and not auto_approve:
            _confirm(planning.destroy)
        hooks = ProgressHooks(_step_count(the_plan), color)
        # The first signal lets the batch in flight finish and be recorded; a second stops at once.
        with interrupt.graceful(hooks.stop_notice) as stop_requested:
            result = run.apply(the_plan, hooks, stop_requested)
    except KeyboardInterrupt as exc:  # refresh, the prompt, or before the first batch
        _unlock(ws)
        click.echo(
            f"\ninterrupted before anything was applied: the state at {ws.backend.describe()} is unchanged; "
            "the lock was released",
            err=True,
        )
        sys.exit(interrupt.exit_code(exc))
    finally:
        _unlock(ws)
    _report_result(ws, run, the_plan, result, hooks, color, "Destroy" if planning.destroy else "Apply")


@click.command()
@config_options
@click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")
@click.option(
    "--allow-delete-topics",
    is_flag=True,
    help="Allow deleting topics (their data is lost); the same as --allow-delete kafka_topic.",
)
@click.option(
    "--allow-delete",
    "allow_delete",
    multiple=True,
    type=click.Choice([*GUARDED_TYPES, "all"]),
    metavar="TYPE",
    help=f"Allow deleting objects of TYPE that hold data or grant access: {', '.join(GUARDED_TYPES)}, or all; "
    "repeatable. prevent_destroy is never overridden.",
)
@refresh_option
@scope_options
@click.option("--auto-approve", is_flag=True, help="Destroy without asking for 'yes'.")
@click.option("--lock-timeout", default=0.0, type=float, metavar="SECONDS", help="Wait this long for the state lock.")
@handle_errors
def destroy(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    no_color: bool,
    allow_delete_topics: bool,
    allow_delete: tuple[str, ...],
    refresh_live: bool,
    targets: tuple[str, ...],
    domains: tuple[str, ...],
    auto_approve: bool,
    lock_timeout: float,
) -> None:
    """Delete everything state records (within --target/--domain and the -e environment).

    With every guard of apply: the state lock, a 'yes' to confirm unless --auto-approve, an
    opt-in for each type of object that holds data (topics, subjects, principals, secrets,
    buckets), and prevent_destroy, which nothing overrides. State is written after every step;
    a signal lets the batch in flight finish and be recorded, as in apply.

    \b
    Examples:
      meshctl destroy                                       # asks for the opt-ins it needs
      meshctl destroy --allow-delete all --auto-approve ./mesh
      meshctl destroy --domain sales --allow-delete kafka_topic --allow-delete schema_subject
      meshctl destroy -target=kafka_topic.commerce.sales.orders.v1 --allow-delete-topics
      meshctl destroy -e dev --allow-delete all             # one environment's objects only
    """
    guards = functools.partial(plan_options, False, allow_delete_topics, False, allow_delete)
    ws = workspace(directory, vars_, var_files, state_dir)
    _carry_out(
        ws, None, Planning(targets, domains, guards, refresh_live, destroy=True), auto_approve, lock_timeout, no_color
    )


def _saved_plan(target: Path, guards_given: bool) -> planfile.SavedPlan | None:
    """`apply FILE` applies a saved plan, which keeps the guards it was made with."""
    saved = planfile.load(target) if target.is_file() else None
    if saved is not None and guards_given:
        # A saved plan keeps the guards it was made with: opting in is decided when planning.
        raise MeshError(
            "--allow-delete, --allow-delete-topics, --allow-replace, --force-retire and -replace are chosen when "
            f"the plan is made: run `meshctl plan --allow-... --out {display_path(target)}` again, then apply "
            "that file"
        )
    return saved


def _plan_to_apply(
    ws: Workspace,
    run: Run,
    saved: planfile.SavedPlan | None,
    planning: Planning,
) -> Plan:
    """A saved plan, once it is known not to be stale; otherwise a fresh plan of the live cluster
    within the --target/--domain scope, under the guards the flags opted into."""
    if saved is not None:
        run.refuse_stale(saved)
        return saved.plan
    targets, domains, refresh_live = planning.targets, planning.domains, planning.refresh_live
    options = planning.guards(make_scope(run, targets, domains))
    if planning.destroy:
        _refreshing(ws, refresh_live)
        return run.destroy_plan(options, refresh_live=refresh_live)
    if not targets and not domains and refresh_live:
        run.read_ahead()  # the broker answers while the configuration compiles
    check_replace(run, options)
    _refreshing(ws, refresh_live)
    return run.plan(options, refresh_live=refresh_live)


def _step_count(the_plan: Plan) -> int:
    """The progress steps of a plan: each action of a replacement counts, as it is applied apart."""
    return sum(len(c.actions) if c.is_replace and not c.replaced_in_place else 1 for c in the_plan.actionable)


def _report_result(
    ws: Workspace,
    run: Run,
    the_plan: Plan,
    result: ApplyResult,
    hooks: ProgressHooks,
    color: bool,
    verb: str = "Apply",
) -> None:
    """What apply did: what state holds after a signal (exit 130/143), else the counts and each failure."""
    if result.interrupted:
        click.echo(
            f"\n{interrupted_message(run.state.serial, ws.backend.describe(), result, hooks.reconciled)}", err=True
        )
        sys.exit(interrupt.exit_code())
    _report_credentials(ws, the_plan, result)
    s = Styler(color)
    counts = result.counts
    line = f"{counts['added']} added, {counts['changed']} changed, {counts['destroyed']} destroyed."
    if result.ok:
        click.echo(f"\n{s(f'{verb} complete!', 'green', bold=True)} Resources: {line}")
        if verb == "Apply" and ws.config.mesh.root_outputs:  # as Terraform: the root outputs, after apply
            click.echo(f"\n{s('Outputs:', bold=True)}\n\n{format_outputs(ws.config.mesh.root_outputs)}", nl=False)
        return
    click.echo(f"\n{s(f'{verb} failed.', 'red', bold=True)} Resources: {line}", err=True)
    for address, error in result.failed.items():
        click.echo(f"error: {address}: {error}", err=True)
    for address, because in result.skipped.items():
        click.echo(f"  skipped {address}: {because}", err=True)
    click.echo("State records every step that succeeded; run `meshctl plan` to see what is left.", err=True)
    raise MeshError(f"{len(result.failed)} change(s) failed, {len(result.skipped)} skipped")


def _workspace_for(
    saved: planfile.SavedPlan | None,
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
) -> Workspace:
    """A saved plan brings its variables; the user gives only the sensitive ones again. It
    applies to the environment it was made for, named again: never to another one's state."""
    if saved is None:
        return workspace(directory, vars_, var_files, state_dir)
    selected = selected_environment()
    if saved.environment != selected:
        made = f"environment {saved.environment!r}" if saved.environment else "no environment"
        given = f"-e {selected}" if selected else "no environment"
        fix = f"apply it with -e {saved.environment}" if saved.environment else "apply it without -e"
        raise MeshError(f"the saved plan was made for {made}, this apply names {given}: {fix}, or plan again")
    options = load_options(vars_, var_files, saved_variables=saved.variables, saved_sensitive=saved.sensitive)
    return Workspace(directory, options, state_dir)


def _lock(ws: Workspace, timeout_s: float) -> None:
    holder = ws.backend.holder() if timeout_s > 0 else None
    if holder is not None:
        progress(f"meshctl: the state is locked by {holder.describe()}; waiting up to {timeout_s:g}s ...")
    try:
        ws.backend.lock("apply", timeout_s)
    except KeyboardInterrupt as exc:
        click.echo("\ninterrupted while waiting for the state lock: nothing was changed", err=True)
        sys.exit(interrupt.exit_code(exc))


def _unlock(ws: Workspace) -> None:
    with interrupt.shielded():  # the lock is released even when a signal arrives right now
        ws.backend.unlock()


def interrupted_message(serial: int, where: str, result: ApplyResult, reconciled: int) -> str:
    """What state holds after a signal stopped apply, in one line."""
    done = len(result.done)
    parts = [f"interrupted: state (serial {serial}, at {where}) holds the {_n(done, 'change')} that finished"]
    if result.in_flight:
        n = len(result.in_flight)
        parts.append(f"{n} in flight {'is' if n == 1 else 'are'} unknown: run `meshctl plan` to see")
    elif reconciled:
        parts.append(f"the {reconciled} in flight {'was' if reconciled == 1 else 'were'} reconciled")
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if result.not_started:
        n = len(result.not_started)
        parts.append(f"{n} {'was' if n == 1 else 'were'} not started")
    return "; ".join(parts) + "; the lock was released. Run `meshctl plan` to see what is left."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _confirm(destroy: bool = False) -> None:
    if destroy:
        click.echo(
            "\nDo you really want to destroy these objects?\n"
            "  meshctl will delete the objects listed above. There is no undo.\n"
            "  Only 'yes' will be accepted to confirm.\n"
        )
    else:
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
        click.echo("\nDestroy cancelled." if destroy else "\nApply cancelled.")
        sys.exit(1)
    click.echo("")


def _report_credentials(ws: Workspace, the_plan: Plan, result: ApplyResult) -> None:
    """Where the passwords of new principals and of rotated ones are (never the passwords)."""
    users = [c for c in the_plan.actionable if c.type == "kafka_scram_user" and "create" in c.actions]
    new = [c.name for c in users if not c.replace_requested]
    # The principal is the user's `name` attribute: an application's resource name is `<domain>.<app>`.
    rotated = [
        str((c.after or {}).get("name", c.name)) for c in users if c.replace_requested and c.address in result.done
    ]
    if not new and not rotated:
        return
    where = ws.credential_store().location("<principal>")
    aws = where.startswith("secretsmanager:")
    place = (
        f"Secrets Manager as {where.split(':', 1)[1]} (never printed)"
        if aws
        else f"{display_path(Path(where))} (mode 0600, never printed)"
    )
    if new:
        tail = "" if aws else ": hand each to its domain through your secret store"
        click.echo(f"\nCredentials of {len(new)} new principal(s) are in {place}{tail}.", err=True)
    if rotated:
        kept = "; the previous value stays as its AWSPREVIOUS version" if aws else ""
        click.echo(
            f"\nNew password of {', '.join(f'User:{n}' for n in rotated)} in {place}{kept}. "
            "The old one no longer opens connections; sessions already open keep going until the broker "
            "re-authenticates them (connections.max.reauth.ms): restart the clients with the new one.",
            err=True,
        )


@click.command()
@config_options
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")
@handle_errors
def drift(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    targets: tuple[str, ...],
    domains: tuple[str, ...],
    as_json: bool,
    no_color: bool,
) -> None:
    """Report what changed out of band. Exit 0: no drift, 2: drift, 1: error.

    \b
    Examples:
      meshctl drift
      meshctl drift --domain sales --json
    """
    ws = workspace(directory, vars_, var_files, state_dir)
    print_warnings(ws)
    run = ws.run()
    if not targets and not domains:
        run.read_ahead()  # the broker answers while the configuration compiles
    scope = make_scope(run, targets, domains)
    _refreshing(ws)
    report = detect(run, scope)
    doc = drift_to_json(report)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_drift(doc, use_color(no_color)), nl=False)
    sys.exit(2 if report.has_drift else 0)
