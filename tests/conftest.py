"""Fixtures: real labfleet hubs, shared across the tests of a module."""

from __future__ import annotations

import os

import harness
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, new_page
from harness import remove_test_accounts, running_hub

# a test that takes one of these is of the slow tier (a hub, a browser)
SLOW_FIXTURES = {"hub", "browser", "page"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: starts a hub, a browser or an engine; the fast tier (-m 'not slow') leaves it out",
    )
    # the fast tier starts no hub: one that does fails, naming the marker it lacks
    harness.FAST_TIER = "not slow" in (config.getoption("markexpr") or "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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
    page = new_page(browser)
    yield page
    page.context.close()
