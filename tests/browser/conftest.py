"""Headless Chromium for the browser tests: Debian's chromium package (`make test` installs it,
/usr/bin/chromium), driven by Playwright's Python client, which downloads no browser of its own.

If Chromium cannot start, every browser test FAILS with the reason; none is skipped. Screenshots
go to test-artifacts/ at the top of the repository (ignored by git); the run's summary names them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Playwright, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("MESHCTL_TEST_CHROMIUM", "/usr/bin/chromium"))
# What starts here as root on a closed network: no sandbox (root), no GPU, and none of the
# background connections (updates, sync, QUIC) a closed network refuses at every start.
# Playwright adds --headless and a fresh, empty --user-data-dir of its own for each launch.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_saved: list[Path] = []


# Package scope: Chromium and Playwright's event loop end with the browser tests, not held
# through the rest of the suite.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"headless Chromium is not installed at {CHROMIUM}: `make test` installs Debian's chromium "
            "package (apt-get install -y chromium)",
            pytrace=False,
        )
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True, timeout=60_000)
    except Error as exc:
        why = exc.message
    else:
        yield browser
        browser.close()
        return
    pytest.fail(f"headless Chromium ({CHROMIUM}) did not start: {why}", pytrace=False)


@pytest.fixture
def artifact() -> Callable[[str], Path]:
    """artifact(name) -> the path to save a screenshot under test-artifacts/, listed at the end of the run."""

    def path(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        saved = ARTIFACTS / name
        saved.unlink(missing_ok=True)  # a stale file from an earlier run must not pass for this run's
        _saved.append(saved)
        return saved

    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    kept = [p for p in _saved if p.exists()]
    if kept:
        terminalreporter.write_sep("-", "browser test artefacts")
        for p in kept:
            terminalreporter.write_line(str(p))
