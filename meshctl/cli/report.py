"""`meshctl report`: how the mesh is used, read from the live cluster against what it declares."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from meshctl.cli.common import config_options, print_warnings, progress, use_color, workspace
from meshctl.cli.errors import handle_errors
from meshctl.documents import display_path, write_output
from meshctl.engine.report import report as gather
from meshctl.mesh.durations import parse_duration_ms
from meshctl.plan.report import has_breach
from meshctl.render.report import render_report, render_report_markdown
from meshctl.render.report_html import render_report_html
from meshctl.render.report_prometheus import render_prometheus

FORMATS = ("table", "json", "markdown", "prometheus")
# A window holds the command for its length: a cron job's minutes, not a day.
MAX_WINDOW_S = 3600.0


def _window(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        ms = parse_duration_ms(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    if ms <= 0 or ms > MAX_WINDOW_S * 1000:
        raise click.BadParameter(f"{value!r}: a window is more than 0 and at most 1h, e.g. 30s or 5m", ctx, param)
    return ms / 1000


@click.command()
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print the report document as JSON (docs/report-json.md).")
@click.option("--markdown", is_flag=True, help="Print the report as Markdown (a wiki page, a pull-request comment).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="table (the default), json, markdown, or prometheus: the text exposition format, for a "
    "node-exporter textfile collector.",
)
@click.option(
    "--window",
    metavar="DURATION",
    callback=_window,
    help="Measure throughput over DURATION (e.g. 30s, 5m; at most 1h): read the end offsets, wait, read "
    "again. Without it, throughput is measured since the last report of this environment.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the output to FILE (atomically: a textfile collector never reads half of it) instead of stdout.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the report as one self-contained HTML page to FILE (atomically), with lag and freshness "
    "charts and a view per domain. The page loads nothing from anywhere. The usual output is still printed.",
)
@click.option("--fail-on-breach", is_flag=True, help="Exit 2 when a data product breaches its SLA (for cron and CI).")
@click.option("--no-color", is_flag=True, help="Plain output, no ANSI colours.")
@handle_errors
def report(
    directory: Path,
    vars_: tuple[str, ...],
    var_files: tuple[Path, ...],
    state_dir: Path | None,
    as_json: bool,
    markdown: bool,
    fmt: str | None,
    window: float | None,
    out_file: Path | None,
    html_file: Path | None,
    fail_on_breach: bool,
    no_color: bool,
) -> None:
    """Report how the mesh is used: per data product version its consumer groups and the
    applications and domains behind them, fanout, lag, freshness against its SLA, throughput,
    idle products, unused grants and deprecated versions still read; per domain what it owns,
    reads and breaches; each line names the accountable owner. Reads the live cluster in a
    constant number of requests and changes nothing. Exit 0, 2 with --fail-on-breach when an SLA
    is breached, 1 on error.

    \b
    Examples:
      meshctl report
      meshctl report -e prod --json
      meshctl report --markdown --window 1m
      meshctl report --format prometheus --out /var/lib/node_exporter/meshctl.prom --fail-on-breach
      meshctl report -e prod --html /srv/www/mesh/report.html
    """
    chosen = {name for name, on in (("json", as_json), ("markdown", markdown)) if on} | ({fmt} if fmt else set())
    if len(chosen) > 1:
        raise click.UsageError(f"choose one output format, not {' and '.join(sorted(chosen))}")
    kind = chosen.pop() if chosen else "table"
    if html_file is not None and out_file is not None and html_file.resolve() == out_file.resolve():
        raise click.UsageError(
            f"--html and --out name the same file ({display_path(html_file)}): one would overwrite the other"
        )
    ws = workspace(directory, vars_, var_files, state_dir)
    print_warnings(ws)
    progress(f"meshctl: reading usage from Kafka at {ws.kafka_settings().get('bootstrap.servers', '?')} ...")
    if window:
        progress(f"meshctl: measuring throughput over {window:g}s ...")
    warnings: list[str] = []
    doc = gather(ws, window, warnings=warnings)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if kind == "json":
        text = json.dumps(doc, indent=2) + "\n"
    elif kind == "markdown":
        text = render_report_markdown(doc)
    elif kind == "prometheus":
        text = render_prometheus(doc)
    else:
        text = render_report(doc, use_color(no_color) and out_file is None)
    if out_file is not None:
        write_output(out_file, text)
        progress(f"meshctl: report written to {display_path(out_file)}")
    else:
        click.echo(text, nl=False)
    if html_file is not None:
        write_output(html_file, render_report_html(doc))
        progress(f"meshctl: HTML report written to {display_path(html_file)}")
    sys.exit(2 if fail_on_breach and has_breach(doc) else 0)
