"""The report page's charts as geometry: horizontal bars, one row per product version,
with an optional per-row SLA mark. Pure arithmetic on the report's numbers; the template
draws the SVG elements, so every label goes through jinja2's autoescape and nothing here
builds markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# The SVG's user units; the page scales the whole drawing to its column width.
WIDTH = 760.0
LABEL_WIDTH = 240.0  # product names, right-aligned against the bars
PLOT_WIDTH = 360.0  # the longest bar (or SLA mark) spans this
ROW_HEIGHT = 24.0
BAR_HEIGHT = 14.0
TOP = 26.0  # room for the axis caption
BOTTOM = 8.0
MIN_BAR = 1.5
LABEL_CHARS = 34  # longer names are cut with an ellipsis in the drawing (the tooltip has them whole)


@dataclass(frozen=True)
class BarInput:
    """One row as the caller measured it: value None means nothing to draw (no records)."""

    label: str
    title: str  # the whole text of the row, shown as the SVG tooltip and read by screen readers
    value: float | None
    value_text: str
    sla: float | None = None
    sla_text: str = ""
    breach: bool = False
    key: str = ""  # the product's topic, so tests and readers can find a row


@dataclass(frozen=True)
class Bar:
    label: str
    title: str
    key: str
    value: float | None
    value_text: str
    breach: bool
    y: float  # top of the row
    bar_y: float
    text_y: float  # baseline of the row's texts
    width: float  # the bar's length in user units (0 without a value)
    sla_x: float | None  # where the SLA mark stands, None without an SLA
    sla_text: str
    value_x: float  # where the value text starts, right of the bar and the SLA mark


@dataclass(frozen=True)
class BarChart:
    title: str
    caption: str
    width: float
    height: float
    plot_x: float
    plot_width: float
    top: float
    scale_max: float  # the value the full plot width stands for
    scale_text: str  # scale_max as the axis shows it
    rows: tuple[Bar, ...]

    @property
    def breaches(self) -> int:
        return sum(r.breach for r in self.rows)


def bar_chart(title: str, caption: str, rows: Sequence[BarInput], fmt: Callable[[float], str] = str) -> BarChart:
    """Bars on one linear scale from 0 to the largest value or SLA of any row, so the rows
    compare with each other and a bar past its SLA mark is past it on the page too."""
    scale_max = max([r.value for r in rows if r.value is not None] + [r.sla for r in rows if r.sla is not None] + [0.0])
    unit = PLOT_WIDTH / scale_max if scale_max > 0 else 0.0
    bars = []
    for i, r in enumerate(rows):
        y = TOP + i * ROW_HEIGHT
        width = max(r.value, 0.0) * unit if r.value is not None else 0.0
        if r.value and r.value > 0:
            width = max(width, MIN_BAR)  # a small non-zero figure still shows as a bar
        sla_x = LABEL_WIDTH + r.sla * unit if r.sla is not None else None
        right = max(width + LABEL_WIDTH, sla_x if sla_x is not None else 0.0)
        bars.append(
            Bar(
                label=_cut(r.label),
                title=r.title,
                key=r.key,
                value=r.value,
                value_text=r.value_text,
                breach=r.breach,
                y=y,
                bar_y=y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                text_y=y + ROW_HEIGHT / 2 + 4,
                width=width,
                sla_x=sla_x,
                sla_text=r.sla_text,
                value_x=right + 6,
            )
        )
    return BarChart(
        title=title,
        caption=caption,
        width=WIDTH,
        height=TOP + len(rows) * ROW_HEIGHT + BOTTOM,
        plot_x=LABEL_WIDTH,
        plot_width=PLOT_WIDTH,
        top=TOP,
        scale_max=scale_max,
        scale_text=fmt(scale_max),
        rows=tuple(bars),
    )


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
