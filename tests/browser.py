"""Headless Debian Chromium for the browser tests, through Playwright's sync API.

Never Playwright's own browser downloads: /usr/bin/chromium is installed by
scripts/install-system-deps.sh. The ``browser`` and ``page`` fixtures are in conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # what browsers do for *.localhost anyway: the subdomains of test hubs are this machine
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
STEP_TIMEOUT = 60_000
LAB_TIMEOUT = 120_000  # a server's start and JupyterLab's first load

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")


def new_page(browser, timezone_id: str = "UTC"):
    """A page in a fresh context, as a person in ``timezone_id`` opens it; ``page.errors``
    collects its JavaScript errors. Close it with ``page.context.close()``."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=timezone_id
    )
    context.set_default_timeout(STEP_TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def wait_for_lab(page, user: str) -> None:
    """Wait until JupyterLab itself has loaded in the page."""
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=LAB_TIMEOUT)
    page.locator(".jp-LabShell").wait_for(state="visible", timeout=LAB_TIMEOUT)


def shot(page, name: str, **kwargs) -> None:
    """Save a screenshot of ``page`` as docs/screenshots/``name``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), **kwargs)


def log_in(
    page, hub, user: str = "admin", password: str | None = None, next_url: str = "/hub/home"
) -> None:
    """Log in through the hub's login form and wait for ``next_url``."""
    from urllib.parse import quote

    page.goto(f"{hub.url}/hub/login?next={quote(next_url, safe='')}")
    page.fill("#username_input", user)
    page.fill("#password_input", password or hub.admin_password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.url}{next_url}")
