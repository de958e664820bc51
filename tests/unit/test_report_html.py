"""The report page (`meshctl report --html`): its charts carry the report's own numbers, breaches
are marked in words, every name is escaped, and the page can neither run nor load anything."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from meshctl.render.report_charts import LABEL_WIDTH, PLOT_WIDTH, BarInput, bar_chart
from meshctl.render.report_html import CSP, duration_text, number_text, render_report_html
from tests.report_docs import HOSTILE, HOSTILE_ATTR, empty_doc, hostile_doc, product, sample_doc


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.content: list[str | Element] = []  # text and children in document order

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for c in self.children:
            if c.tag == tag and (cls is None or cls in c.classes):
                found.append(c)
            found.extend(c.find_all(tag, cls))
        return found

    def by_id(self, ident: str) -> Element:
        for c in self.children:
            if c.attrs.get("id") == ident:
                return c
            try:
                return c.by_id(ident)
            except KeyError:
                pass
        raise KeyError(ident)


VOID = {"meta", "link", "br", "img", "input", "hr", "rect", "line"}  # rect/line: self-closed in the SVG


class Tree(HTMLParser):
    """A small DOM from the standard library's parser: enough to read the page's structure."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.at = self.root
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), self.at)
        self.tags.append((tag, el.attrs))
        self.at.children.append(el)
        self.at.content.append(el)
        if tag not in VOID:
            self.at = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), self.at)
        self.tags.append((tag, el.attrs))
        self.at.children.append(el)
        self.at.content.append(el)

    def handle_endtag(self, tag: str) -> None:
        el: Element | None = self.at
        while el is not None and el.tag != tag:
            el = el.parent
        assert el is not None and el.parent is not None, f"</{tag}> closes nothing"
        self.at = el.parent

    def handle_data(self, data: str) -> None:
        self.at.content.append(data)


def page(doc: dict[str, object]) -> tuple[str, Tree]:
    html = render_report_html(doc)
    return html, Tree(html)


def bars(tree: Tree, chart: str) -> dict[str, Element]:
    """The chart's rows by product topic."""
    figure = tree.root.by_id(f"chart-{chart}")
    return {g.attrs["data-key"] or "": g for g in figure.find_all("g", "row")}


def test_the_lag_chart_draws_each_products_largest_group_lag_against_its_max_lag_sla() -> None:
    doc = sample_doc()
    _, tree = page(doc)
    rows = bars(tree, "lag")
    assert list(rows) == [p["topic"] for p in doc["products"]]
    top = max([p["lag"]["max"] or 0 for p in doc["products"]] + [p["max_lag_sla"] or 0 for p in doc["products"]])
    assert top == 4000
    for p in doc["products"]:
        row, largest, sla = rows[p["topic"]], p["lag"]["max"], p["max_lag_sla"]
        rects, marks = row.find_all("rect", "bar"), row.find_all("line", "sla")
        if largest is None:
            assert rects == [] and "nobody reads" in row.all_text()
        else:
            assert rects[0].attrs["data-value"] == str(largest)
            expected = largest / top * PLOT_WIDTH
            assert float(rects[0].attrs["width"] or 0) == pytest.approx(max(expected, 1.5) if expected else 0, abs=0.01)
            assert f"{largest:,} max, {p['lag']['total']:,} total" in row.all_text()
        if sla is None:
            assert marks == []
        else:
            assert float(marks[0].attrs["x1"] or 0) == pytest.approx(LABEL_WIDTH + sla / top * PLOT_WIDTH, abs=0.01)
            assert f"SLA {sla:,}" in row.all_text()
    scale = tree.root.by_id("chart-lag").find_all("text", "tick")
    assert [t.all_text() for t in scale] == ["0", "4,000"]


def test_the_freshness_chart_draws_each_age_against_its_sla_mark() -> None:
    doc = sample_doc()
    _, tree = page(doc)
    rows = bars(tree, "freshness")
    top = max(
        [p["freshness"]["age_seconds"] or 0 for p in doc["products"]]
        + [p["freshness"]["sla_seconds"] or 0 for p in doc["products"]]
    )
    assert top == 900
    for p in doc["products"]:
        row, age, sla = rows[p["topic"]], p["freshness"]["age_seconds"], p["freshness"]["sla_seconds"]
        rects, marks = row.find_all("rect", "bar"), row.find_all("line", "sla")
        if age is None:
            assert rects == [] and "no records" in row.all_text()
        else:
            assert rects[0].attrs["data-value"] == number_text(age)
            assert float(rects[0].attrs["width"] or 0) == pytest.approx(age / top * PLOT_WIDTH, abs=0.01)
        if sla is None:
            assert marks == []
        else:
            assert float(marks[0].attrs["x1"] or 0) == pytest.approx(LABEL_WIDTH + sla / top * PLOT_WIDTH, abs=0.01)
            assert f"SLA {duration_text(sla)}" in row.all_text()
    # 45.5 s shows as itself, not rounded to a whole number nor written as an exponent
    assert rows["shipping.parcels.v1"].find_all("rect", "bar")[0].attrs["data-value"] == "45.5"


def test_a_breach_is_red_and_says_so_in_words_in_the_chart_and_the_tables() -> None:
    _, tree = page(sample_doc())
    fresh, lag = bars(tree, "freshness"), bars(tree, "lag")
    assert {k for k, g in fresh.items() if "breach" in g.classes} == {"sales.orders.v1"}
    assert {k for k, g in lag.items() if "breach" in g.classes} == {"shipping.parcels.v1"}
    assert "BREACH" in fresh["sales.orders.v1"].all_text()
    assert "BREACH" not in fresh["shipping.parcels.v1"].all_text()
    assert fresh["sales.orders.v1"].find_all("rect", "breach")
    breaches = tree.root.by_id("breaches")
    rows = breaches.find_all("tr", "breach")
    assert [r.all_text().split(" v1")[0] for r in rows] == ["sales.orders", "shipping.parcels"]
    assert "BREACH freshness" in rows[0].all_text() and "newest record is 15m old, SLA 5m" in rows[0].all_text()
    assert "BREACH max_lag analytics.parcels lags 4,000 records" in rows[1].all_text()  # the group named
    assert "sales-lead@acme.example" in rows[0].all_text()  # the accountable owner, on the line
    product_rows = tree.root.by_id("products").find_all("tr", "breach")
    assert [r.attrs["id"] for r in product_rows] == ["product-0", "product-2"]


def test_every_product_line_names_its_accountable_owner() -> None:
    doc = sample_doc()
    doc["products"][1]["accountable"] = "refunds-owner@acme.example"
    _, tree = page(doc)
    rows = [r for r in tree.root.by_id("products").find_all("tr") if (r.attrs.get("id") or "").startswith("product-")]
    for p, row in zip(doc["products"], rows, strict=True):
        assert p["accountable"] in row.all_text()
    for g in bars(tree, "lag").values():
        assert "accountable:" in g.find_all("title")[0].all_text()


def test_the_domain_view_lists_owned_and_consumed_products_and_breaches() -> None:
    _, tree = page(sample_doc())
    domains = {d.find_all("h3")[0].all_text(): d for d in tree.root.by_id("domains").find_all("div", "domain")}
    assert list(domains) == ["analytics", "sales", "shipping"]
    sales = domains["sales"]
    assert "breach" in sales.classes and "1 BREACH" in sales.all_text()
    assert "owns 2" in sales.all_text() and "consumes 1" in sales.all_text()
    assert [r.find_all("a")[0].all_text() for r in sales.find_all("tbody")[0].find_all("tr")] == [
        "sales.orders v1",
        "sales.refunds v1",
    ]
    assert "Reads: shipping.legacy v1 (shipping-lead@acme.example)" in " ".join(sales.all_text().split())
    analytics = domains["analytics"]
    assert "breach" not in analytics.classes and "no breaches" in analytics.all_text()
    assert "Owns no product versions" in analytics.all_text()


def test_the_summary_shows_every_figure_and_flags_the_breaches() -> None:
    doc = sample_doc()
    doc["summary"]["new_figure"] = 7  # a member a newer format adds shows under its own name
    _, tree = page(doc)
    cards = {c.find_all("dt")[0].all_text(): c for c in tree.root.by_id("summary").find_all("div")}
    assert {k: v.find_all("dd")[0].all_text().split()[0] for k, v in cards.items()} == {
        "Product versions": "4",
        "SLA breaches": "2",
        "Idle (no consumers)": "1",
        "Unused grants": "1",
        "Deprecated, still read": "1",
        "Kafka requests": "6",
        "new figure": "7",
    }
    assert "alert" in cards["SLA breaches"].classes and "alert" not in cards["Idle (no consumers)"].classes


def test_hostile_names_render_as_text() -> None:
    html, tree = page(hostile_doc())
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=alert(2)&gt;", "")  # only ever as escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tags = {t for t, _ in tree.tags}
    assert "script" not in tags and "img" not in tags
    for tag, attrs in tree.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
    text = tree.root.all_text()
    assert HOSTILE in text and HOSTILE_ATTR in text  # shown, as the text it is
    assert f"sales.{HOSTILE} v1" in bars(tree, "lag")[HOSTILE_ATTR].all_text()
    # the attribute a hostile topic lands in keeps its value whole: the quote did not close it
    assert HOSTILE_ATTR in bars(tree, "freshness")


def test_the_page_forbids_scripts_and_every_load_in_its_csp() -> None:
    html, tree = page(sample_doc())
    (meta,) = [
        a for t, a in tree.tags if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert meta["content"] == CSP
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:"
    assert "script-src" not in directives and "connect-src" not in directives
    assert html.index("Content-Security-Policy") < html.index("<style")  # in force before anything else


def test_the_page_references_nothing_outside_itself() -> None:
    html, tree = page(sample_doc())
    assert not re.search(r"https?://", html)
    assert "@import" not in html and "url(" not in html
    for tag, attrs in tree.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "data:")), (tag, href)
    assert tree.tags[0][0] == "html" and html.startswith("<!DOCTYPE html>")


def test_an_empty_report_renders_every_section_without_charts() -> None:
    html, tree = page(empty_doc())
    assert "No data products in this report." in html and "No domains in this report." in html
    assert "No SLA breaches." in html and "BREACH" not in html
    assert tree.root.find_all("svg") == []
    assert html.count("Nothing to chart") == 2
    assert "throughput not measured" in html


def test_a_product_without_records_lag_or_sla_renders() -> None:
    doc = sample_doc()
    doc["products"] = [product("sales", "quiet", lag_total=None, lag_max=None, age=None, sla=None, rate=None)]
    doc["products"][0]["accountable"] = None
    doc["products"][0]["topic_present"] = False
    _, tree = page(doc)
    (row,) = bars(tree, "lag").values()
    assert row.find_all("rect") == [] and "nobody reads" in row.all_text()
    assert "accountable: none named" in row.find_all("title")[0].all_text()
    line = tree.root.by_id("product-0").all_text()
    assert "none named" in line and "None" not in line and "topic not on the cluster" in line
    (row,) = bars(tree, "freshness").values()
    assert row.find_all("rect") == [] and row.find_all("line") == [] and "no records" in row.all_text()


def test_a_chart_of_zeros_draws_no_bar_and_divides_by_nothing() -> None:
    chart = bar_chart("t", "c", [BarInput("a", "a", 0.0, "0"), BarInput("b", "b", None, "none")])
    assert chart.scale_max == 0 and [r.width for r in chart.rows] == [0.0, 0.0]


def test_long_names_are_cut_in_the_drawing_and_whole_in_the_tooltip() -> None:
    name = "x" * 80
    chart = bar_chart("t", "c", [BarInput(name, f"{name}: 1", 1.0, "1")])
    assert chart.rows[0].label == "x" * 33 + "…" and chart.rows[0].title.startswith(name)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1.25, "1.2s"),
        (45, "45s"),
        (60, "1m"),
        (90, "1m 30s"),
        (300, "5m"),
        (3600, "1h"),
        (3660, "1h 1m"),
        (3601, "1h"),
        (86400 * 3 + 3600 * 4 + 5, "3d 4h"),
        (-30, "-30s"),
        (59.96, "60s"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("x", "text"), [(12.0, "12"), (45.5, "45.5"), (1e9, "1000000000"), (0.125, "0.12"), (2.0 / 3, "0.67")]
)
def test_numbers_in_svg_attributes_are_plain_decimals(x: float, text: str) -> None:
    assert number_text(x) == text


def test_figures_that_are_not_finite_numbers_draw_no_bar() -> None:
    doc = sample_doc()
    p = doc["products"][0]
    p["freshness"]["age_seconds"], p["freshness"]["sla_seconds"] = float("nan"), float("inf")
    p["lag"]["max"], p["max_lag_sla"] = "12", True
    _, tree = page(doc)
    for chart in ("lag", "freshness"):
        row = bars(tree, chart)[p["topic"]]
        assert row.find_all("rect") == [] and row.find_all("line") == []
    for _, attrs in tree.tags:
        assert not [v for v in attrs.values() if v and re.search(r"nan|inf", v, re.I) and v[0].isdigit()], attrs


def test_a_thousand_products_render_in_a_moment() -> None:
    import time

    doc = sample_doc()
    doc["products"] = [product(f"d{i % 40}", f"p{i}", lag_total=i, lag_max=i, age=float(i)) for i in range(1000)]
    start = time.perf_counter()
    html, tree = page(doc)
    took = time.perf_counter() - start
    assert len(bars(tree, "lag")) == 1000 and len(bars(tree, "freshness")) == 1000
    assert took < 10, f"{took:.1f}s for 1,000 products"
