"""The report for people: a terminal table and Markdown, drawn from the report document
(docs/report-json.md) that `--json`, Prometheus and the HTML page read too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from meshctl.mesh.durations import format_ms
from meshctl.render.text import Styler

Doc = Mapping[str, Any]
_HEAD = (
    "PRODUCT",
    "ACCOUNTABLE",
    "LIFECYCLE",
    "GROUPS",
    "FANOUT",
    "LAG MAX",
    "LAG TOTAL",
    "FRESHNESS",
    "REC/S",
    "STATUS",
)
_DOMAIN_HEAD = ("DOMAIN", "ACCOUNTABLE", "OWNED", "CONSUMED", "BREACHES")


def age(seconds: float | None) -> str:
    """`7m`, `1h30m`, `0.4s`; `-` for none."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds:.1f}s"
    return format_ms(int(seconds) * 1000)


def _n(value: object) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def status(p: Mapping[str, Any]) -> str:
    if p["breaches"]:
        return "BREACH"
    if not p["topic_present"]:
        return "ABSENT"
    return "IDLE" if p["idle"] else "OK"


def _freshness(p: Mapping[str, Any]) -> str:
    f = p["freshness"]
    shown = age(f["age_seconds"]) if f["newest_record"] is not None else "empty"
    return f"{shown} / {age(f['sla_seconds'])}" if f["sla_seconds"] is not None else shown


def product_label(p: Mapping[str, Any]) -> str:
    where = "" if p["cluster"] == "default" else f" @{p['cluster']}"
    return f"{p['domain']}.{p['product']}.v{p['version']}{where}"


def product_rows(doc: Doc) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for p in doc["products"]:
        rate = p["throughput"]["records_per_second"]
        rows.append(
            (
                product_label(p),
                p["accountable"] or "-",
                p["lifecycle"],
                _n(len(p["consumers"])),
                _n(p["fanout"]),
                _n(p["lag"]["max"]),
                _n(p["lag"]["total"]),
                _freshness(p),
                "-" if rate is None else f"{rate:g}",
                status(p),
            )
        )
    return rows


def domain_rows(doc: Doc) -> list[tuple[str, ...]]:
    return [
        (d["name"], d["accountable"] or "-", _n(d["owned"]), _n(d["consumed"]), _n(d["breaches"]))
        for d in doc["domains"]
    ]


def headline(doc: Doc) -> str:
    s = doc["summary"]
    seconds = doc["window_seconds"]
    if doc["throughput_basis"] == "window" and seconds is not None:
        basis = f"throughput over {age(seconds)}"
    elif doc["throughput_basis"] == "previous_report" and seconds is not None:
        basis = f"throughput since the last report, {age(seconds)} ago"
    else:
        basis = "no throughput yet (the first report: run it again later, or use --window)"
    return (
        f"{_count(s['products'], 'product version')}, {_count(s['breaches'], 'SLA breach', 'SLA breaches')}, "
        f"{s['idle']} idle, {_count(s['unused_grants'], 'unused grant')}, "
        f"{_count(s['deprecated_still_read'], 'deprecated version')} still read; "
        f"{basis}; {_count(s['kafka_requests'], 'Kafka request')}."
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def findings(doc: Doc) -> list[tuple[str, str]]:
    """(kind, sentence) of everything worth acting on, in product order."""
    out: list[tuple[str, str]] = []
    for p in doc["products"]:
        label, who = product_label(p), p["accountable"] or "no accountable owner"
        for b in p["breaches"]:
            out.append(("breach", f"{label}: {b['message']}"))
        if p["deprecated_still_read"]:
            groups = ", ".join(c["group"] for c in p["consumers"])
            out.append(("deprecated", f"{label} is {p['lifecycle']} but still read by {groups} ({who})"))
        for d in p["unused_grants"]:
            out.append(("unused", f"{label}: domain {d} is granted it but reads nothing of it ({who})"))
        if p["idle"] and p["topic_present"]:
            out.append(("idle", f"{label}: no consumer group reads it ({who})"))
    return out


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], paint: Callable[[int, str, str], str]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    for row in rows:
        cells = [paint(i, cell, cell.ljust(w)) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return lines


_STATUS_COLOUR = {"BREACH": "red", "ABSENT": "red", "IDLE": "yellow", "OK": "green"}
_FINDING_COLOUR = {"breach": "red", "deprecated": "yellow", "unused": "yellow", "idle": "yellow"}


def render_report(doc: Doc, color: bool) -> str:
    s = Styler(color)
    out = [s(f"meshctl report: environment {doc['environment']}, {doc['generated_at']}", bold=True), headline(doc), ""]
    if doc["products"]:
        status_col = len(_HEAD) - 1
        out += _table(
            _HEAD,
            product_rows(doc),
            lambda i, cell, padded: s(padded, _STATUS_COLOUR.get(cell)) if i == status_col else padded,
        )
        out.append("")
    found = findings(doc)
    if found:
        for kind, sentence in found:
            out.append(f"{s(kind.upper().ljust(10), _FINDING_COLOUR[kind])} {sentence}")
        out.append("")
    out += _table(_DOMAIN_HEAD, domain_rows(doc), lambda i, cell, padded: padded)
    return "\n".join(line.rstrip() for line in out) + "\n"


def _md(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def render_report_markdown(doc: Doc) -> str:
    out = [f"## meshctl report: {_md(doc['environment'])}", "", f"_{doc['generated_at']}_: {headline(doc)}", ""]
    if doc["products"]:
        out += _md_table(_HEAD, product_rows(doc)) + [""]
    found = findings(doc)
    if found:
        out += [f"- **{kind}**: {_md(sentence)}" for kind, sentence in found] + [""]
    out += ["### Domains", ""] + _md_table(_DOMAIN_HEAD, domain_rows(doc))
    return "\n".join(out) + "\n"
