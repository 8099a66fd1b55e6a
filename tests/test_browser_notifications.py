"""The notifications page and the toast it puts into a student's open JupyterLab, in real
browsers (Debian Chromium through Playwright's sync API). Screenshots go to docs/screenshots/."""

from __future__ import annotations

from browser import STEP_TIMEOUT, log_in, needs_chromium, new_page, shot, wait_for_lab
from harness import create_account, labfleet_api

pytestmark = needs_chromium

MESSAGE = "Maintenance at 22:00 tonight: save your work."


def test_a_broadcast_shows_at_once_in_open_jupyterlab(hub, browser, page):
    from playwright.sync_api import expect

    password = create_account(hub, "lena", [])
    hub.spawn("lena")
    student = browser.new_context(viewport={"width": 1280, "height": 800})
    student.set_default_timeout(STEP_TIMEOUT)
    lab = student.new_page()
    try:
        log_in(lab, hub, "lena", password, next_url="/user/lena/lab")
        wait_for_lab(lab, "lena")

        log_in(page, hub, next_url="/hub/labfleet/notifications")
        expect(page).to_have_title("Notifications")
        page.fill("#lf-message", MESSAGE)
        expect(page.locator("#lf-count")).to_have_text(str(len(MESSAGE)))
        page.select_option("#lf-type", "warning")
        page.uncheck("#lf-auto-close")
        page.check("#lf-to-users")
        page.fill("#lf-users", "lena, nobody-here")
        page.click("#lf-send")
        expect(page.locator("#lf-broadcast-result .alert-danger")).to_contain_text(
            "no user nobody-here"
        )
        page.fill("#lf-users", "lena")
        page.click("#lf-send")
        expect(page.locator("#lf-broadcast-result .alert-success")).to_contain_text(
            "Delivered to 1 of 1 recipient"
        )
        expect(page.locator('#lf-broadcast-result tr[data-user="lena"]')).to_contain_text(
            "delivered"
        )
        expect(page.locator("#lf-history tbody tr.lf-broadcast").first).to_contain_text(MESSAGE)
        shot(page, "notifications.png", full_page=True)

        # pushed to the open tab: no reload, well before the extension's 30-second poll
        toast = lab.locator(".Toastify__toast", has_text=MESSAGE)
        expect(toast).to_be_visible(timeout=10_000)
        lab.wait_for_timeout(1000)  # the toast slides in
        shot(lab, "notification-toast.png")
        assert page.errors == []
    finally:
        student.close()


def test_send_at_is_the_admins_local_time(hub, browser):
    """An admin in India (UTC+05:30) schedules for 14:30 their time: the hub sends at 09:00
    UTC, and the page shows 14:30 back."""
    from datetime import datetime, timedelta, timezone

    from playwright.sync_api import expect

    india = timezone(timedelta(hours=5, minutes=30))
    day = (datetime.now(india) + timedelta(days=1)).date()
    page = new_page(browser, timezone_id="Asia/Kolkata")
    try:
        log_in(page, hub, next_url="/hub/labfleet/notifications")
        expect(page.locator("label[for=lf-at]")).to_contain_text("your local time")
        page.fill("#lf-message", "The quiz opens after lunch.")
        page.fill("#lf-at", f"{day.isoformat()}T14:30")
        page.click("#lf-send")
        expect(page.locator("#lf-broadcast-result .alert")).to_contain_text(
            f"Scheduled for {day.isoformat()} 14:30 (your time)"
        )
        row = page.locator("#lf-history tbody tr.lf-broadcast").first
        expect(row).to_contain_text(f"{day.isoformat()} 14:30")
        scheduled = labfleet_api(hub, "GET", "/notifications").json()["broadcasts"][0]
        at = datetime.fromisoformat(scheduled["scheduled_for"])
        assert at == datetime(day.year, day.month, day.day, 9, 0, tzinfo=timezone.utc)
        row.get_by_role("button", name="Cancel").click()
        expect(row).not_to_contain_text("scheduled")
        assert page.errors == []
    finally:
        page.context.close()
