"""The web tests: a real `registry serve` (the API tests' server, on SQLite and on
PostgreSQL) and a real browser, Debian's Chromium driven by Playwright.

Without Chromium at /usr/bin/chromium the browser tests skip, saying why, unless
REGISTRY_TEST_BROWSER=required (as CI sets it): then they fail. A page's clock is set
to this process's clock, which is the server's, so that the guard run with a moved
clock moves the browser's too. Every page a test opens is checked for console errors
and failed requests at its end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import api  # noqa: F401 (the server fixture, shared)

CHROMIUM = Path(os.environ.get("REGISTRY_TEST_CHROMIUM", "/usr/bin/chromium"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def _browser_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("REGISTRY_TEST_BROWSER") == "required":
        pytest.fail(f"REGISTRY_TEST_BROWSER=required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, launched once for the whole run."""
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page with what went wrong on it: console errors, uncaught exceptions, failed
    requests. `expect_console` names errors a test provokes on purpose."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.expected: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("requestfailed", self._failed)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _failed(self, request: Any) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # a navigation away cancels what was loading
            self.errors.append(f"request failed: {request.url} {failure}")

    def expect_console(self, fragment: str) -> None:
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected)]


def open_context(browser: Any, viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
    """A new browser context (its own storage and service workers) whose clock is ours."""
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    return context


def watched_page(context: Any, now: datetime | None = None) -> Watched:
    page = context.new_page()
    page.clock.install(time=now or datetime.now(UTC))
    return Watched(page)


@pytest.fixture
def web(browser: Any) -> Iterator[Watched]:
    """A desktop-sized page in a fresh context; it must end with no unexpected error."""
    context = open_context(browser)
    watched = watched_page(context)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Watched]:
    """A 375 px wide phone page in a fresh context."""
    context = open_context(browser, PHONE, is_mobile=True, has_touch=True)
    watched = watched_page(context)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        context.close()
