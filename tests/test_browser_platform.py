"""The settings and audit pages in a real browser (Debian Chromium through Playwright's sync API).

Screenshots go to docs/screenshots/. This machine has no GPU: the hub's nvidia-smi replays
a recorded output (tests/data/nvidia-smi-2xA100.txt), so the settings page shows an inventory.
"""

from __future__ import annotations

import re

from browser import log_in, needs_chromium, shot
from harness import create_account, replay_script, user_token

pytestmark = needs_chromium


HUB_CONFIG = {
    "branding": {"name": "Physics Lab"},
    "culling": {"idle_timeout": 5400},
    "audit": {"retention_days": 180},
}


def HUB_FILES(root):
    script = replay_script(root, "nvidia-smi-2xA100.txt")
    return {"gpu": {"mode": "auto", "nvidia_smi": str(script)}}


def test_settings_page(hub, page):
    from playwright.sync_api import expect

    log_in(page, hub)
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{hub.url}/hub/labfleet/settings")
    expect(page).to_have_title("Settings")
    expect(page.locator("#labfleet-brand-name")).to_have_text("Physics Lab")
    expect(page.locator("#labfleet-gpu-state")).to_have_text("on")
    expect(page.locator("#labfleet-gpu-devices tbody tr")).to_have_count(2)
    idle = page.locator("#setting-culling-idle_timeout")
    expect(idle).to_contain_text("5400")
    expect(idle).to_contain_text("3600")
    expect(idle.locator(".badge")).to_have_text("set")
    expect(page.locator("#setting-hub-services")).to_contain_text("********")
    # help texts read as text: JupyterHub's Sphinx markup is gone, code is code
    authenticator = page.locator("#setting-hub-authenticator_class")
    expect(authenticator).not_to_contain_text(":class:")
    expect(authenticator.locator("code", has_text="jupyterhub.auth.Authenticator")).to_have_count(1)
    expect(authenticator.locator("li")).not_to_have_count(0)
    shot(page, "settings.png")
    # a table of contents, and a search that keeps the matching settings only
    page.locator("#labfleet-settings-toc").get_by_role("link", name="culling").click()
    expect(page).to_have_url(f"{hub.url}/hub/labfleet/settings#section-culling")
    page.fill("#labfleet-settings-search", "idle seconds")
    expect(idle).to_be_visible()
    expect(page.locator("#setting-hub-services")).to_be_hidden()
    expect(page.locator("#section-branding")).to_be_hidden()
    expect(page.locator("#labfleet-settings-count")).to_contain_text(" settings match")
    page.fill("#labfleet-settings-search", "")
    expect(page.locator("#setting-hub-services")).to_be_visible()
    assert page.errors == []


def test_audit_page_filters_by_type(hub, page):
    from playwright.sync_api import expect

    # things to audit: users made and removed, a failed login, a volume reset by a user
    for name in ("ada", "grace", "linus"):
        hub.create_user(name)
    hub.api("DELETE", "/users/linus")
    hub.login("mallory", "password123")
    hub.api("DELETE", "/labfleet/users/ada/volumes", json={"volumes": ["cache"]},
            token=user_token(hub, "ada"))  # fmt: skip

    log_in(page, hub)
    page.get_by_role("link", name="Audit").click()
    page.wait_for_url(f"{hub.url}/hub/labfleet/audit")
    rows = page.locator("#labfleet-audit-events tbody tr")
    expect(rows.first).to_contain_text("login")  # the newest: this login
    expect(page.locator("#labfleet-audit-events")).to_contain_text("mallory")

    page.select_option("#audit-action", "user")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"action=user"))
    expect(rows).to_have_count(5)  # admin, ada, grace, linus created; linus deleted
    expect(rows.first).to_contain_text("user.delete")
    expect(page.locator("#labfleet-audit-count")).to_have_text("Events 1–5 of 5")

    page.fill("#audit-user", "ada")
    page.select_option("#audit-action", "")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"user=ada"))
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("volumes.reset")
    assert page.errors == []
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(f"{hub.url}/hub/labfleet/audit")
    expect(rows.first).to_contain_text("login")
    shot(page, "audit.png")


def test_plain_users_see_no_admin_links_and_get_403(hub, page):
    from playwright.sync_api import expect

    password = create_account(hub, "pat", [])
    page.goto(f"{hub.url}/hub/login?next=%2Fhub%2Fhome")
    page.fill("#username_input", "pat")
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.url}/hub/home")
    nav = page.locator("#thenavbar")
    expect(nav).to_contain_text("Home")
    for name in ("People", "Environment", "Groups", "Settings", "Audit"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    response = page.goto(f"{hub.url}/hub/labfleet/audit")
    assert response.status == 403
    expect(page.locator("body")).to_contain_text(
        "This page is for those who may read the audit log"
    )
    expect(page.locator("#logout")).to_be_visible()
