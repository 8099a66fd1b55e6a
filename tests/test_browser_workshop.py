"""The workshop dashboard in a real browser (Debian Chromium through Playwright): it follows
saves live, shows who is stuck, a save's tail and changes, a participant's notebook that
carries script without running it; the summary page. Screenshots go to docs/screenshots/."""

from __future__ import annotations

from browser import log_in, needs_chromium, shot
from test_workshop import FIRST, SCRIPTS, SECOND, save, wait_for_saves

pytestmark = needs_chromium

HUB_CONFIG = {"workshop": {"enabled": True}}


def test_the_dashboard_follows_saves_live_and_shows_who_is_stuck(hub, page):
    from playwright.sync_api import expect

    for name in ("ana", "ben"):
        hub.create_user(name)
        hub.spawn(name)
    save(hub, "ana", "intro.ipynb", SECOND)
    wait_for_saves(hub, "ana", "intro.ipynb", 1)
    log_in(page, hub, next_url="/hub/labfleet/workshop")
    expect(page).to_have_title("Workshop")
    expect(page.locator("#lf-live")).to_have_text("● live")
    expect(page.locator('#lf-grid tr[data-user="ana"] .lf-save-cell')).to_have_count(1)
    expect(page.locator("#lf-stuck-count")).to_have_text("nobody stuck")

    # ben saves a notebook whose last run failed: the page shows it without a reload
    save(hub, "ben", "intro.ipynb", FIRST)
    cell = page.locator('#lf-grid tr[data-user="ben"] .lf-save-cell')
    expect(cell).to_have_class("lf-save-cell table-danger lf-fresh")
    expect(page.locator("#lf-stuck-count")).to_have_text("1 participant stuck")
    expect(page.locator('#lf-stuck-list li[data-user="ben"]')).to_contain_text("NameError")

    # ben fixes it: the change appears, the open save follows the new one
    cell.locator("button").click()
    expect(page.locator("#lf-save-title")).to_have_text("ben — intro.ipynb")
    expect(page.locator("#lf-save-error")).to_contain_text("NameError")
    expect(page.locator("#lf-tail .lf-output-error")).to_contain_text("NameError")
    shot(page, "workshop.png", full_page=True)
    save(hub, "ben", "intro.ipynb", SECOND)
    expect(page.locator("#lf-save-error")).to_be_hidden()
    expect(page.locator("#lf-stuck-count")).to_have_text("nobody stuck")
    expect(page.locator("#lf-tail .lf-cell").last).to_contain_text("y = x * 2")
    page.click("[data-lf-tab=changes]")
    expect(page.locator("#lf-changes [data-change=edited] .lf-line-added")).to_have_text(
        "+ x = 2\n"
    )
    expect(page.locator("#lf-changes [data-change=removed]")).to_contain_text("print(y)")
    expect(page.locator("#lf-changes-count")).to_have_text("+1 −1 ~1")
    shot(page, "workshop-changes.png", full_page=True)
    assert page.errors == []


def test_a_notebook_carrying_script_runs_none_of_it_in_the_instructors_browser(hub, page):
    from playwright.sync_api import expect

    save(hub, "ana", "evil.ipynb", SCRIPTS)
    (event,) = wait_for_saves(hub, "ana", "evil.ipynb", 1)
    log_in(page, hub, next_url="/hub/labfleet/workshop")
    page.locator(f'#lf-grid .lf-save-cell[data-event="{event["id"]}"] button').click()
    page.click("[data-lf-tab=notebook]")
    frame = page.frame_locator("#lf-notebook")
    expect(frame.locator("h1#Hi")).to_be_visible()  # the notebook is there, rendered
    expect(frame.locator("b", has_text="bold")).to_be_visible()
    page.wait_for_timeout(1000)  # whatever could run has had its chance
    flags = page.evaluate(
        "() => ['PWNED_MD', 'PWNED_IMG', 'PWNED_HTML', 'PWNED_SVG'].filter((k) => k in window)"
    )
    assert flags == []
    # the markdown's script is text on the page
    expect(frame.get_by_text("<script>window.parent.PWNED_MD = 1</script>")).to_be_visible()


def test_the_summary_shows_everyones_tail_of_one_notebook(hub, page):
    from playwright.sync_api import expect

    log_in(page, hub, next_url="/hub/labfleet/workshop/summary?path=intro.ipynb")
    expect(page.locator("#lf-live")).to_have_text("● live")
    expect(page.locator('#lf-summary [data-user="ana"]')).to_contain_text("y = x * 2")
    save(hub, "ana", "intro.ipynb", FIRST)  # ana breaks it again: the page follows
    expect(page.locator('#lf-summary [data-user="ana"] .badge')).to_contain_text("NameError")
    shot(page, "workshop-summary.png", full_page=True)
    assert page.errors == []
