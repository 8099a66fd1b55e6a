"""Fixtures: real labfleet hubs, shared across the tests of a module."""

from __future__ import annotations

import os

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT
from harness import remove_test_accounts, running_hub


@pytest.fixture(scope="session", autouse=True)
def _test_accounts():
    """Remove the system accounts that the test hubs made, before and after the run."""
    if os.geteuid() == 0:
        remove_test_accounts()
    yield
    if os.geteuid() == 0:
        remove_test_accounts()


@pytest.fixture(scope="module")
def hub(request):
    """A running hub for the whole module; ``HUB_CONFIG`` in the module adds settings, and
    ``HUB_FILES(root)`` writes the files a hub needs and returns the settings naming them."""
    module = request.module
    config = getattr(module, "HUB_CONFIG", None)
    with running_hub(module.__name__, config, getattr(module, "HUB_FILES", None)) as instance:
        yield instance


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module's browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh page; ``page.errors`` collects the page's JavaScript errors."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="UTC"
    )
    context.set_default_timeout(STEP_TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
