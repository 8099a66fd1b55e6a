"""The home page's labfleet control panel, driven in a real browser against a real hub.

Each step saves a screenshot to docs/screenshots/.
"""

from __future__ import annotations

import json
import re
import time

from browser import LAB_TIMEOUT, log_in, needs_chromium, shot, wait_for_lab
from harness import create_account, put_file

# lab start and restart on two slow cores, with JupyterLab loading in the browser

HUB_CONFIG = {
    "culling": {"idle_timeout": 3600, "max_extension_hours": 4},
    "branding": {"name": "Physics Lab"},
}

pytestmark = needs_chromium


def no_api_errors(panel) -> None:
    from playwright.sync_api import expect

    expect(panel.locator(".lf-alerts .alert-danger")).to_have_count(0)


def test_control_panel_restart_session_logs_and_volume_reset(hub, page):
    from playwright.sync_api import expect

    started = time.monotonic()
    user = "admin"
    home_url = f"{hub.url}/hub/home"
    panel = page.locator("[data-labfleet-panel]")

    # log in through the stock form, as a person does
    log_in(page, hub, user)
    expect(panel).to_have_attribute("data-state", "stopped")
    expect(panel.get_by_role("button", name="Restart server")).to_be_hidden()

    # start the server from the home page; the lab opens
    page.click("#start")
    wait_for_lab(page, user)

    # the panel of a running server: restart and session time, no volume reset
    page.goto(home_url)
    expect(panel).to_have_attribute("data-state", "running")
    expect(panel.locator(".lf-time-left-value")).to_have_text(re.compile(r"\d+ min|\d+ h"))
    expect(panel.get_by_role("button", name="Manage volumes")).to_be_hidden()
    # what the server uses, read from its control group, with the process limit
    expect(panel.locator(".lf-usage-summary")).to_have_text(
        re.compile(r"Memory: [\d.]+ [KMG]iB .*\d+ processes of 1024")
    )
    expect(page.locator("#stop")).to_be_visible()  # JupyterHub's own Start/Stop are kept
    no_api_errors(panel)
    shot(page, "home-running.png", full_page=True)

    # restart, confirmed in the modal; the lab opens again once the server answers
    pid_before = hub.spawner_pid(user) if hasattr(hub, "spawner_pid") else None
    panel.get_by_role("button", name="Restart server").click()
    restart_modal = page.locator(".modal[data-lf-modal=restart]")
    expect(restart_modal).to_be_visible()
    expect(restart_modal).to_contain_text("Files are kept")
    page.wait_for_timeout(400)  # the modal's fade-in, for the screenshot
    shot(page, "restart-modal.png")
    restart_modal.get_by_role("button", name="Restart server").click()
    expect(panel.locator(".lf-restart-progress")).to_contain_text("Restart")
    wait_for_lab(page, user)
    if pid_before is not None:
        assert hub.spawner_pid(user) != pid_before, "the server process was not restarted"

    # session time: ask for more hours than are left; the answer says it was truncated
    page.goto(home_url)
    expect(panel).to_have_attribute("data-state", "running")
    # first, the hub's _xsrf cookie is replaced behind the page's back (as the proxy's
    # error pages do): the panel renews its token instead of failing with 403
    page.context.add_cookies(
        [{"name": "_xsrf", "value": "replaced", "domain": "127.0.0.1", "path": "/hub/"}]
    )
    hours = panel.locator(".lf-extend-hours")
    expect(hours).to_have_attribute("max", "4")
    hours.fill("10")
    panel.get_by_role("button", name="Extend").click()
    expect(panel.locator(".lf-alerts .alert-warning")).to_contain_text("4 hours of the 10")
    expect(panel.locator(".lf-extend-help")).to_contain_text("No more hours can be added")
    expect(panel.locator(".lf-session-summary")).to_contain_text("Extended by 4 hours")
    no_api_errors(panel)
    panel.locator(".lf-session").scroll_into_view_if_needed()
    shot(page, "session.png", full_page=True)

    # logs: the server's last lines, in monospace, scrolled to the end
    panel.get_by_role("button", name="Logs").click()
    logs_modal = page.locator(".modal[data-lf-modal=logs]")
    expect(logs_modal).to_be_visible()
    output = logs_modal.locator(".lf-logs-output")
    expect(output).to_contain_text(re.compile(r"Jupyter|Serving|http", re.IGNORECASE))
    expect(logs_modal.locator(".lf-logs-status")).to_contain_text("Last")
    page.wait_for_timeout(400)
    assert output.evaluate("e => getComputedStyle(e).fontFamily").lower().find("mono") >= 0
    assert output.evaluate("e => e.scrollHeight - e.scrollTop - e.clientHeight <= 2")
    logs_modal.get_by_role("button", name="Refresh").click()
    expect(logs_modal.get_by_role("button", name="Refresh")).to_be_enabled()
    expect(logs_modal.locator(".lf-logs-alerts .alert")).to_have_count(0)
    shot(page, "logs.png")
    logs_modal.locator(".modal-footer").get_by_role("button", name="Close").click()
    expect(logs_modal).to_be_hidden()

    # under 10 minutes left (simulated answer): a warning at the top of the home page
    def almost_over(route):
        answer = route.fetch()
        session = answer.json()
        session.update(seconds_left=7 * 60 + 30, warning=True)
        route.fulfill(response=answer, body=json.dumps(session))

    page.route(re.compile(r"/hub/api/labfleet/users/[^/]+/session$"), almost_over)
    page.goto(home_url)
    warning = page.locator("#labfleet-page-alerts .lf-session-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Your server stops in 7 min")
    shot(page, "session-warning.png")
    page.unroute(re.compile(r"/hub/api/labfleet/users/[^/]+/session$"))

    # stop with JupyterHub's own button; the panel follows without a reload
    page.goto(home_url)
    page.click("#stop")
    expect(panel).to_have_attribute("data-state", "stopped", timeout=LAB_TIMEOUT)
    expect(page.locator("#labfleet-page-alerts .lf-session-warning")).to_have_count(0)

    # manage volumes: the list with labels, descriptions and sizes
    volumes = hub.api("GET", f"/labfleet/users/{user}/volumes").json()["volumes"]
    resources = {v["name"]: v["resource"] for v in volumes}
    assert "home" in resources and len(resources) > 1, volumes
    panel.get_by_role("button", name="Manage volumes").click()
    rows = panel.locator(".lf-volume-row")
    expect(rows).to_have_count(len(volumes))
    for v in volumes:
        row = panel.locator(f".lf-volume-row[data-volume={v['name']}]")
        expect(row).to_contain_text(v["label"])
        expect(row).to_contain_text(v["description"])
    expect(panel.locator(".lf-volume-row[data-volume=home] .lf-volume-size")).to_have_text(
        re.compile(r"^\d+(\.\d+)? (B|KiB|MiB|GiB)$")
    )
    reset_button = panel.locator(".lf-reset-open")
    expect(reset_button).to_be_disabled()
    no_api_errors(panel)
    shot(page, "volumes.png", full_page=True)

    # choose home only; the modal names exactly what is deleted and what is kept
    panel.locator(".lf-volume-row[data-volume=home] .lf-volume-check").check()
    expect(reset_button).to_have_text("Reset selected (1)")
    reset_button.click()
    reset_modal = page.locator(".modal[data-lf-modal=reset]")
    expect(reset_modal).to_be_visible()
    deleted = reset_modal.locator(".lf-reset-delete-list")
    kept = reset_modal.locator(".lf-reset-keep-list")
    expect(deleted.locator("li")).to_have_count(1)
    expect(deleted).to_contain_text(resources["home"])
    expect(deleted).to_contain_text("Home")
    for name, resource in resources.items():
        if name != "home":
            assert resource not in deleted.inner_text()
            expect(kept).to_contain_text(resource)
    assert resources["home"] not in kept.inner_text()
    page.wait_for_timeout(400)
    shot(page, "reset-modal.png")
    reset_modal.get_by_role("button", name="Delete 1 volume").click()
    expect(reset_modal).to_be_hidden()

    # the list shows home reset (empty until the next start); the others are untouched
    expect(panel.locator(".lf-alerts .alert-success")).to_contain_text("Reset home")
    home_row = panel.locator(".lf-volume-row[data-volume=home]")
    expect(home_row.locator(".lf-volume-reset")).to_have_text("reset")
    expect(home_row.locator(".lf-volume-size")).to_contain_text("not created yet")
    for name in resources:
        if name != "home":
            row = panel.locator(f".lf-volume-row[data-volume={name}]")
            expect(row.locator(".lf-volume-reset")).to_have_count(0)
    after = {
        v["name"]: v for v in hub.api("GET", f"/labfleet/users/{user}/volumes").json()["volumes"]
    }
    assert not after["home"]["exists"]
    assert all(after[name]["exists"] for name in resources if name != "home")
    no_api_errors(panel)
    shot(page, "volumes-reset.png", full_page=True)

    assert page.errors == [], page.errors
    print(f"browser test took {time.monotonic() - started:.1f}s")


def test_an_admin_starts_and_stops_a_users_server_from_their_panel(hub, page):
    from playwright.sync_api import expect

    hub.create_user("ben")
    log_in(page, hub, next_url="/hub/labfleet/users/ben/panel")
    panel = page.locator("[data-labfleet-panel]")
    expect(panel.locator("h2")).to_have_text("Control panel")  # the page's title names ben
    expect(page.locator("h1")).to_have_text("ben")
    expect(panel).to_have_attribute("data-state", "stopped")
    panel.get_by_role("button", name="Start server").click()
    expect(panel).to_have_attribute("data-state", "running", timeout=LAB_TIMEOUT)
    assert hub.user("ben")["servers"][""]["ready"]
    panel.get_by_role("button", name="Stop server").click()
    expect(panel).to_have_attribute("data-state", "stopped", timeout=LAB_TIMEOUT)
    assert hub.user("ben")["servers"] == {}
    no_api_errors(panel)
    assert page.errors == [], page.errors


def test_a_student_reads_words_not_the_servers_log(hub, page):
    """A student's spawn page and Logs dialog say what their server does in words (no host
    paths, nobody else's requests); their home is reset by an admin only."""
    from playwright.sync_api import expect

    password = create_account(hub, "stu", [])
    log_in(page, hub, "stu", password)
    panel = page.locator("[data-labfleet-panel]")
    expect(panel.locator("h2")).to_have_text("Physics Lab control panel")

    # the spawn page, held while the server starts (its progress stream kept waiting)
    progress = re.compile(r"/hub/api/users/stu/server/progress")
    page.route(progress, lambda route: None)
    page.click("#start")
    # JupyterHub shows the spawn page to a start that takes over its slow_spawn_timeout (10 s);
    # a forked start is often done before, and then goes straight to JupyterLab
    page.wait_for_url(re.compile(r"/hub/spawn-pending/stu|/user/stu/lab"))
    if "/spawn-pending/" in page.url:
        output = page.locator(".labfleet-logtail")
        expect(output.locator("summary")).to_have_text("Your server's progress")
        expect(output.locator(".lf-logtail-output")).to_contain_text(
            "Your server is running.", timeout=LAB_TIMEOUT
        )
        shot(page, "spawn-progress.png")
    put_file(hub, "stu", "handout.txt", "from the admin")  # an admin's request in the log

    page.goto(f"{hub.url}/hub/home")
    page.unroute(progress)
    expect(panel).to_have_attribute("data-state", "running")
    panel.get_by_role("button", name="Logs").click()
    logs = page.locator(".modal[data-lf-modal=logs]")
    expect(logs.locator(".lf-logs-output")).to_contain_text("Received handout.txt.")
    expect(logs.locator(".lf-logs-status")).to_contain_text("What your server reported")
    shown = logs.locator(".lf-logs-output").inner_text()
    assert "labfleet-tests" not in shown and str(hub.root) not in shown
    assert "Serving notebooks" not in shown and "@127.0.0.1" not in shown
    logs.locator(".modal-footer").get_by_role("button", name="Close").click()

    # stopped: the home cannot be chosen for a reset; the others can
    page.click("#stop")
    expect(panel).to_have_attribute("data-state", "stopped", timeout=LAB_TIMEOUT)
    panel.get_by_role("button", name="Manage volumes").click()
    home = panel.locator(".lf-volume-row[data-volume=home]")
    expect(home.locator(".lf-volume-check")).to_be_disabled()
    expect(home).to_contain_text("Only an admin can reset it.")
    panel.locator(".lf-volumes-all").check()
    expect(panel.locator(".lf-reset-open")).to_have_text("Reset selected (2)")
    expect(home.locator(".lf-volume-check")).not_to_be_checked()
    assert page.errors == [], page.errors
