"""The report page (`meshctl report --html`) in headless Chromium: it loads without a console
error and without a single request beyond itself, its charts are drawn to the report's scale,
breaches show red and in words, hostile names run nothing, and the CSP is in force."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request

from meshctl.engine.workspace import Workspace
from meshctl.render.report_html import render_report_html
from tests.browser.png import decode
from tests.cli import run
from tests.fake_providers import FakeProvider
from tests.functional.test_report_cli import MESH, SECRET, TOPIC, FakeUsage, _usage
from tests.helpers import write_mesh
from tests.report_docs import HOSTILE, HOSTILE_ATTR, empty_doc, hostile_doc, sample_doc

pytestmark = pytest.mark.browser

RED = (0xB0, 0x00, 0x20)  # the page's --breach colour
BLUE = (0x3F, 0x6F, 0xB5)  # a bar within its SLA


@dataclass
class Loaded:
    page: Page
    url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    failed: dict[str, str | None] = field(default_factory=dict)  # url -> why Chromium did not send it
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [m for m in self.console if m.startswith(("error", "warning"))] + self.errors + self.dialogs


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Loaded]]:
    pages: list[Page] = []

    def load(doc: dict[str, Any]) -> Loaded:
        path = tmp_path / f"report-{len(pages)}.html"
        path.write_text(render_report_html(doc), encoding="utf-8")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        seen = Loaded(page, path.as_uri())

        def on_console(m: ConsoleMessage) -> None:
            seen.console.append(f"{m.type}: {m.text}")

        def on_dialog(d: Dialog) -> None:
            seen.dialogs.append(f"dialog {d.type}: {d.message}")
            d.dismiss()

        def on_request(r: Request) -> None:
            seen.requests.append(r.url)

        page.on("console", on_console)
        page.on("pageerror", lambda e: seen.errors.append(f"page error: {e}"))
        page.on("dialog", on_dialog)
        page.on("request", on_request)
        page.on("response", lambda r: seen.responses.append(r.url))
        page.on("requestfailed", lambda r: seen.failed.update({r.url: r.failure}))
        page.goto(seen.url, wait_until="load")
        return seen

    yield load
    for p in pages:
        p.close()


def bar_colour(page: Page, selector: str) -> tuple[int, int, int]:
    """The colour Chromium painted in the middle of an element, read off a screenshot of it."""
    element = page.locator(selector)
    element.scroll_into_view_if_needed()
    image = decode(element.screenshot())
    return image.pixel(image.width // 2, image.height // 2)


def near(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(colour, expected, strict=True))


def test_the_report_page_loads_in_chromium_with_its_charts_and_nothing_else(
    open_report: Callable[[dict[str, Any]], Loaded], artifact: Callable[[str], Path]
) -> None:
    doc = sample_doc()
    seen = open_report(doc)
    page = seen.page
    assert seen.problems() == []
    assert seen.requests == [seen.url]  # no font, stylesheet, script or image from anywhere
    assert page.title() == "Data mesh report: default, 2026-12-03T12:00:00Z"
    assert page.locator("svg.chart-svg").count() == 2
    assert page.locator("#chart-lag rect.bar").count() == 3  # sales.refunds: nobody reads it
    assert page.locator("#chart-lag line.sla").count() == 2
    assert page.locator("#chart-freshness rect.bar").count() == 3  # sales.refunds has no records
    assert page.locator("#chart-freshness line.sla").count() == 2
    assert page.locator("#products tr[id^=product-]").count() == len(doc["products"])
    assert page.evaluate("document.scripts.length") == 0

    # Drawn to scale on the screen: the rendered bars keep the ratios of the report's figures.
    def width(chart: str, key: str) -> float:
        box = page.locator(f'#chart-{chart} g[data-key="{key}"] rect.bar').bounding_box()
        assert box is not None
        return float(box["width"])

    assert width("freshness", "sales.orders.v1") / width("freshness", "shipping.legacy.v1") == pytest.approx(
        900 / 120, rel=0.02
    )
    # the largest lag spans the plot: 360 of the drawing's 760 units, however wide the page made it
    svg = page.locator("#chart-lag svg").bounding_box()
    assert svg is not None
    assert width("lag", "shipping.parcels.v1") / svg["width"] == pytest.approx(360 / 760, rel=0.02)

    shot = artifact("report-page.png")
    page.screenshot(path=shot, full_page=True)
    image = decode(shot.read_bytes())
    assert image.width == 1280 and image.height > 900  # the whole page, longer than one screen
    print(f"screenshot: {shot}")


def test_a_known_breach_shows_red_and_in_words(open_report: Callable[[dict[str, Any]], Loaded]) -> None:
    seen = open_report(sample_doc())
    page = seen.page
    breached = page.locator('#chart-freshness g.breach[data-key="sales.orders.v1"]')
    assert breached.is_visible()
    assert "BREACH" in (breached.locator("text.value").text_content() or "")
    assert near(bar_colour(page, '#chart-freshness g[data-key="sales.orders.v1"] rect.bar'), RED)
    assert near(bar_colour(page, '#chart-freshness g[data-key="shipping.legacy.v1"] rect.bar'), BLUE)
    assert near(bar_colour(page, '#chart-lag g[data-key="shipping.parcels.v1"] rect.bar'), RED)
    assert near(bar_colour(page, '#chart-lag g[data-key="shipping.legacy.v1"] rect.bar'), BLUE)

    rows = page.locator("#breaches tr.breach")
    assert rows.count() == 2
    first = rows.nth(0)
    assert first.is_visible()
    text = first.inner_text()
    assert "sales.orders v1" in text and "sales-lead@acme.example" in text
    assert "BREACH freshness" in text and "newest record is 15m old, SLA 5m" in text
    badge = first.locator(".badge.breach")
    assert badge.evaluate("e => getComputedStyle(e).color") == "rgb(176, 0, 32)"
    # The summary card flags it too, and the link from the breach reaches the product's line.
    assert "2 ⚠" in page.locator("#summary .alert").first.inner_text()
    first.locator("a").click()
    assert page.url.endswith("#product-0") and page.locator("#product-0").is_visible()


def test_hostile_names_show_as_text_and_run_nothing(
    open_report: Callable[[dict[str, Any]], Loaded], artifact: Callable[[str], Path]
) -> None:
    seen = open_report(hostile_doc())
    page = seen.page
    page.wait_for_timeout(200)  # an injected handler would have fired by now
    assert seen.problems() == [] and seen.dialogs == []
    assert seen.requests == [seen.url]  # an injected <img src=x> would have asked for x
    assert page.evaluate("document.scripts.length") == 0 and page.evaluate("document.images.length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    body = page.locator("body").inner_text()
    assert HOSTILE in body and HOSTILE_ATTR in body
    keys = page.evaluate("[...document.querySelectorAll('#chart-lag g.row')].map(g => g.dataset.key)")
    assert HOSTILE_ATTR in keys  # the quote in the topic did not end the attribute
    page.screenshot(path=artifact("report-page-hostile.png"), full_page=True)


def test_the_pages_csp_blocks_scripts_and_loads_that_escaping_might_ever_miss(
    open_report: Callable[[dict[str, Any]], Loaded],
) -> None:
    """Defence in depth: put a script and a remote image into the live page, as a name that slipped
    through escaping would, and Chromium refuses both under the page's own policy."""
    seen = open_report(sample_doc())
    page = seen.page
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = "document.title = 'ran'";
            document.body.appendChild(s);
            const i = document.createElement('img');
            i.src = 'http://127.0.0.1:9/x.png';
            document.body.appendChild(i);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.title() != "ran"
    # Chromium reports the image it was asked for, and refuses it before the network: "csp".
    assert seen.failed == {"http://127.0.0.1:9/x.png": "csp"} and seen.responses == [seen.url]
    refused = [m for m in seen.console if "Content Security Policy" in m]
    assert any("script" in m for m in refused) and any("img-src" in m for m in refused), seen.console


def test_an_empty_report_renders_in_chromium(
    open_report: Callable[[dict[str, Any]], Loaded], artifact: Callable[[str], Path]
) -> None:
    seen = open_report(empty_doc())
    page = seen.page
    assert seen.problems() == [] and seen.requests == [seen.url]
    assert page.locator("svg").count() == 0
    body = page.locator("body").inner_text()
    assert "No data products in this report." in body and "No SLA breaches." in body
    assert page.locator("#chart-lag .empty").is_visible()
    page.screenshot(path=artifact("report-page-empty.png"), full_page=True)


def test_the_page_meshctl_report_writes_renders_in_chromium(
    browser: Browser, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch, artifact: Callable[[str], Path]
) -> None:
    """The whole pipeline, not a hand-made document: `meshctl report --html` over the in-memory
    Kafka provider of the CLI tests (the real broker's figures are the integration tests' part),
    with a freshness breach, then the file it wrote opened in Chromium."""
    fake = FakeUsage(_usage(age_s=3600))  # an hour old against a 5m freshness SLA
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    monkeypatch.delenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_PASSWORD", SECRET)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    result = run("report", "--fail-on-breach", "--html", "report.html")
    assert result.exit_code == 2, result.output

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        page.goto((mesh_dir / "report.html").as_uri(), wait_until="load")
        assert problems == []
        assert page.locator("svg.chart-svg").count() == 2
        breached = page.locator(f'#chart-freshness g.breach[data-key="{TOPIC}"]')
        assert breached.count() == 1 and "BREACH" in (breached.text_content() or "")
        assert near(bar_colour(page, f'#chart-freshness g[data-key="{TOPIC}"] rect.bar'), RED)
        assert 'sales "lead"@acme.example' in page.locator("#breaches").inner_text()  # the owner, as text
        assert SECRET not in page.content()
        page.screenshot(path=artifact("report-page-from-cli.png"), full_page=True)
    finally:
        page.close()
