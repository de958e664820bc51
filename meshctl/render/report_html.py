"""The report as one self-contained HTML page (`meshctl report --html FILE`), rendered from
the same JSON document `report --json` prints (docs/report-json.md), so the page and the
JSON cannot disagree.

Self-contained means nothing is fetched: no scripts, fonts or stylesheets from anywhere, the
charts are inline SVG drawn from report_charts' geometry. Names in a mesh are chosen by its
authors, so every value goes through jinja2's autoescape, and a Content-Security-Policy
forbids scripts and every load the page could make: a name that slipped through escaping
could still not run or fetch anything."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meshctl.render.report_charts import BarChart, BarInput, bar_chart

if TYPE_CHECKING:
    import jinja2

NO_OWNER = "none named"  # a domain (and its ancestors) without an accountable owner

# One policy for the page: it may only use its own inline styles and data: images.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# The summary's members in the order a reader wants them; members a newer format adds
# are shown after these, under their own names.
SUMMARY_LABELS = {
    "products": "Product versions",
    "breaches": "SLA breaches",
    "idle": "Idle (no consumers)",
    "unused_grants": "Unused grants",
    "deprecated_still_read": "Deprecated, still read",
    "kafka_requests": "Kafka requests",
}
# Members whose non-zero count means someone should act: drawn as a warning.
SUMMARY_ALERTS = {"breaches", "deprecated_still_read"}


@dataclass(frozen=True)
class SummaryItem:
    label: str
    value: object
    alert: bool


@dataclass(frozen=True)
class ProductView:
    anchor: str  # the row's id: an index, never a name, so no name can shape an attribute
    name: str  # domain.product vN
    accountable: str  # RACI A, on every line that names the product
    responsible: str  # RACI R, comma-separated ("" when none)
    doc: Mapping[str, Any]
    lag_text: str
    freshness_text: str
    sla_text: str
    throughput_text: str
    breaches: tuple[Mapping[str, Any], ...]
    notes: tuple[str, ...]  # idle, unused grants, deprecated still read: what to look at besides breaches


@dataclass(frozen=True)
class DomainView:
    name: str
    accountable: str
    owned: object
    consumed: object
    breaches: object
    products: tuple[ProductView, ...]  # owned by the domain
    reads: tuple[ProductView, ...]  # other domains' products it consumes


@functools.cache
def _env() -> jinja2.Environment:
    """Made on first use: jinja2 is imported only by a command that renders with it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("meshctl.render", "templates"),
        autoescape=True,  # HTML from names the mesh's authors chose: every value is escaped
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number_text
    return env


def render_report_html(doc: Mapping[str, Any]) -> str:
    products = [_product_view(i, p) for i, p in enumerate(doc.get("products") or [])]
    breached = [p for p in products if p.breaches]
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            csp=_markup(CSP),
            doc=doc,
            basis=_basis_text(doc),
            summary=_summary(doc.get("summary") or {}),
            products=products,
            breached=breached,
            domains=_domains(doc.get("domains") or [], products),
            lag_chart=lag_chart(products),
            freshness_chart=freshness_chart(products),
        )
    )


def lag_chart(products: Sequence[ProductView]) -> BarChart:
    """The largest consumer group's lag per product against the SLA's max_lag, the figure the
    SLA is about (a max_lag breach is one group over it); the total is in the row's text."""
    rows = []
    for p in products:
        largest, sla = (p.doc.get("lag") or {}).get("max"), p.doc.get("max_lag_sla")
        rows.append(
            BarInput(
                label=p.name,
                title=f"{_owned(p)}: {p.lag_text}, {_lag_sla_text(sla)}",
                value=_figure(largest),
                value_text=p.lag_text,
                sla=_figure(sla),
                sla_text=_lag_sla_text(sla) if sla is not None else "",
                breach=_breached(p, "max_lag"),
                key=str(p.doc.get("topic", "")),
            )
        )
    return bar_chart(
        "Consumer lag per product",
        "records the furthest-behind consumer group lags; the dashed mark is the product's max_lag SLA",
        rows,
        lambda v: _count(int(v)),
    )


def _figure(value: object) -> float | None:
    """A number to draw, or None for nothing to draw: null, and anything not a finite number
    (Python's json reads NaN and Infinity), which no bar can stand for."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _lag_sla_text(sla: object) -> str:
    return f"SLA {_count(sla)}" if sla is not None else "no lag SLA"


def freshness_chart(products: Sequence[ProductView]) -> BarChart:
    rows = []
    for p in products:
        freshness = p.doc.get("freshness") or {}
        age, sla = freshness.get("age_seconds"), freshness.get("sla_seconds")
        rows.append(
            BarInput(
                label=p.name,
                title=f"{_owned(p)}: {p.freshness_text}, {p.sla_text}",
                value=_figure(age),
                value_text=p.freshness_text,
                sla=_figure(sla),
                sla_text=f"SLA {duration_text(sla)}" if sla is not None else "",
                breach=_breached(p, "freshness"),
                key=str(p.doc.get("topic", "")),
            )
        )
    return bar_chart(
        "Freshness against the SLA",
        "age of the newest record; the dashed mark is the product's freshness SLA",
        rows,
        duration_text,
    )


def _owned(p: ProductView) -> str:
    return f"{p.name} (accountable: {p.accountable})"


def _markup(constant: str) -> str:
    """A constant of this module, not a value from the report, inserted as written (the CSP's
    quotes stay quotes in the page source, where people and scanners read them)."""
    import markupsafe

    return markupsafe.Markup(constant)


def _breached(p: ProductView, kind: str) -> bool:
    return any(b.get("kind") == kind for b in p.breaches)


def _product_view(index: int, p: Mapping[str, Any]) -> ProductView:
    lag = p.get("lag") or {}
    freshness = p.get("freshness") or {}
    throughput = p.get("throughput") or {}
    notes = []
    if p.get("topic_present") is False:
        notes.append("topic not on the cluster")
    if p.get("idle"):
        notes.append("idle: no consumer group reads it")
    if p.get("unused_grants"):
        notes.append("granted but never read by: " + ", ".join(map(str, p["unused_grants"])))
    if p.get("deprecated_still_read"):
        notes.append("deprecated, still read")
    rate = throughput.get("records_per_second")
    return ProductView(
        anchor=f"product-{index}",
        name=f"{p.get('domain')}.{p.get('product')} v{p.get('version')}",
        accountable=str(p.get("accountable") or NO_OWNER),
        responsible=", ".join(map(str, p.get("responsible") or ())),
        doc=p,
        lag_text=(
            f"{_count(lag.get('max'))} max, {_count(lag.get('total'))} total"
            if lag.get("max") is not None
            else "nobody reads"
            if not p.get("consumers")
            else "no lag figure"
        ),
        freshness_text=(
            f"{duration_text(freshness['age_seconds'])} old"
            if freshness.get("age_seconds") is not None
            else "no records"
        ),
        sla_text=(
            f"SLA {duration_text(freshness['sla_seconds'])}" if freshness.get("sla_seconds") is not None else "no SLA"
        ),
        throughput_text=f"{rate:g} records/s" if rate is not None else "not measured",
        breaches=tuple(p.get("breaches") or ()),
        notes=tuple(notes),
    )


def _domains(domains: Sequence[Mapping[str, Any]], products: Sequence[ProductView]) -> list[DomainView]:
    views = []
    for d in domains:
        name = d.get("name")
        views.append(
            DomainView(
                name=str(name),
                accountable=str(d.get("accountable") or NO_OWNER),
                owned=d.get("owned", 0),
                consumed=d.get("consumed", 0),
                breaches=d.get("breaches", 0),
                products=tuple(p for p in products if p.doc.get("domain") == name),
                reads=tuple(p for p in products if name in (p.doc.get("consuming_domains") or ())),
            )
        )
    return views


def _summary(summary: Mapping[str, Any]) -> list[SummaryItem]:
    keys = [k for k in SUMMARY_LABELS if k in summary] + [k for k in summary if k not in SUMMARY_LABELS]
    return [
        SummaryItem(
            label=SUMMARY_LABELS.get(k, k.replace("_", " ")),
            value=summary[k],
            alert=k in SUMMARY_ALERTS and bool(summary[k]),
        )
        for k in keys
    ]


def _basis_text(doc: Mapping[str, Any]) -> str:
    basis = doc.get("throughput_basis")
    if basis == "window" and doc.get("window_seconds") is not None:
        return f"throughput measured over a {duration_text(doc['window_seconds'])} window"
    if basis == "previous_report":
        return "throughput measured since the previous report"
    return "throughput not measured"


def number_text(x: float) -> str:
    """A number for an SVG attribute: whole numbers as integers (a bar's data-value reads as the
    report's own figure), others to two decimals; never an exponent, which SVG lengths refuse."""
    if not math.isfinite(x):
        return "0"  # not reached from _figure's values; an attribute must still be a number
    if x == int(x):
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _count(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def duration_text(seconds: float) -> str:
    """45s, 1.5s, 5m, 5m 30s, 2h 5m, 3d 4h: the two largest units, as a person reads an age."""
    if not isinstance(seconds, int | float) or not math.isfinite(seconds):
        return str(seconds)  # not a figure to read as a duration: shown as it came
    sign = "-" if seconds < 0 else ""
    left = abs(seconds)
    if left < 60:
        return f"{sign}{round(left, 1):g}s"
    total = int(round(left))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for i, (unit, size) in enumerate(units):
        if total >= size:
            text = f"{total // size}{unit}"
            if i + 1 < len(units):
                next_unit, next_size = units[i + 1]
                rest = total % size // next_size
                text += f" {rest}{next_unit}" if rest else ""
            return sign + text
    return sign + "0s"  # not reached: total >= 60 here
