"""Fixtures of the browser journeys (see browser.py): one local stack serving the web app per test process, one
browser per module, each test in a browser context of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.local_stack import SharedStack, shared_stack

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CUSTOMER_JOURNEYS,
    DESK_JOURNEYS,
    DESKTOP,
    Desk,
    missing_prerequisite,
    new_web_stack,
    wait_for_web,
)

# The journeys share two cores with the stack, the browser and other test workers: a screen may take seconds.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def _web_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedStack]:
    missing = missing_prerequisite()
    if missing:
        pytest.fail(missing)
    journeys = [CUSTOMER_JOURNEYS, DESK_JOURNEYS]
    with shared_stack(
        request.config, journeys, lambda: new_web_stack(tmp_path_factory.mktemp("kefu-web"))[0]
    ) as shared:
        yield shared


@pytest.fixture(scope="module")
def desk(_web_stack: SharedStack) -> Desk:
    """The stack serving the web app, one per test process, shared by the journeys (their xdist groups, browser.py,
    keep them on one or two workers; SharedStack stops it after them): each journey works with tickets of its own,
    and leaves the desk as it found it."""
    stack = _web_stack.running()
    web_url = f"http://127.0.0.1:{stack.extra_env['KEFU_WEB_PORT']}"
    wait_for_web(web_url)
    return Desk(stack, web_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def new_context(browser: Browser, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    # The app's CSP allows only its own scripts; axe-core is injected by the test, hence bypass_csp.
    context = browser.new_context(viewport=viewport, bypass_csp=True, locale="zh-CN", timezone_id="UTC")
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = new_context(browser)
    yield context.new_page()
    context.close()
