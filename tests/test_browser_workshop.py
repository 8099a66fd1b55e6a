"""The workshop dashboard in a real browser (Debian Chromium through Playwright): it follows
saves live, shows who is stuck, a save's tail and changes, a participant's notebook that
carries script without running it, on the dashboard and opened from the export; the summary
page; a hand-out over a student's changed file, told in their open JupyterLab, then
withdrawn; workshop mode turned off and on; a link made on the page that brings a git
repository to a temporary user's JupyterLab. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import io
import re
import zipfile

import requests
from browser import LAB_TIMEOUT, STEP_TIMEOUT, log_in, needs_chromium, shot, wait_for_lab
from git_repository import served_repository
from harness import create_account, get_file, put_file
from notebooks import FIRST, SCRIPTED_EXPORT, SCRIPTS, SECOND, save, wait_for_saves

pytestmark = needs_chromium

HUB_CONFIG = {"workshop": {"enabled": True}, "auth": {"temporary_users": True}}


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


def test_an_exported_notebook_runs_none_of_its_script_when_opened(hub, page, tmp_path):
    """The export's page of a notebook with an image whose metadata adds an onerror and a
    javascript: link, opened from the disk as an instructor would."""
    from playwright.sync_api import expect

    hub.create_user("cleo")
    hub.spawn("cleo")
    save(hub, "cleo", "results.ipynb", SCRIPTED_EXPORT)
    wait_for_saves(hub, "cleo", "results.ipynb", 1)
    answer = requests.get(f"{hub.url}/hub/api/labfleet/workshop/export",
                          params={"path": "results.ipynb"},
                          headers={"Authorization": f"token {hub.token}"}, timeout=300)  # fmt: skip
    assert answer.status_code == 200, answer.text
    exported = tmp_path / "results.html"
    exported.write_bytes(zipfile.ZipFile(io.BytesIO(answer.content)).read("cleo/results.html"))
    page.goto(exported.as_uri())
    expect(page.locator("h1#Results")).to_be_visible()  # the notebook is there, rendered
    expect(page.locator("img")).to_have_count(1)  # the image too, without its handler
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]')
    expect(policy).to_have_attribute("content", "default-src 'none'; style-src 'unsafe-inline'; "
                                     "img-src data:; font-src data:; form-action 'none'; "
                                     "base-uri 'none'")  # fmt: skip
    page.get_by_text("open", exact=True).click()  # the link that said javascript:
    page.wait_for_timeout(1000)  # whatever could run has had its chance
    assert page.evaluate("() => ['PWNED_LINK', 'PWNED_IMG'].filter((k) => k in window)") == []


def test_the_summary_shows_everyones_tail_of_one_notebook(hub, page):
    from playwright.sync_api import expect

    log_in(page, hub, next_url="/hub/labfleet/workshop/summary?path=intro.ipynb")
    expect(page.locator("#lf-live")).to_have_text("● live")
    expect(page.locator('#lf-summary [data-user="ana"]')).to_contain_text("y = x * 2")
    save(hub, "ana", "intro.ipynb", FIRST)  # ana breaks it again: the page follows
    expect(page.locator('#lf-summary [data-user="ana"] .badge')).to_contain_text("NameError")
    shot(page, "workshop-summary.png", full_page=True)
    assert page.errors == []


def test_a_hand_out_arrives_beside_a_students_changed_file_and_jupyterlab_says_where(
    hub, browser, page
):
    from playwright.sync_api import expect

    password = create_account(hub, "dora", [])
    hub.spawn("dora")
    put_file(hub, "dora", "task.py", "print('mine')\n")  # dora's own work
    student = browser.new_context(viewport={"width": 1280, "height": 800})
    student.set_default_timeout(STEP_TIMEOUT)
    lab = student.new_page()
    try:
        log_in(lab, hub, "dora", password, next_url="/user/dora/lab")
        wait_for_lab(lab, "dora")

        log_in(page, hub, next_url="/hub/labfleet/workshop")
        page.fill("#lf-handout-folder", "")
        task = {"name": "task.py", "mimeType": "text/x-python", "buffer": b"print('v2')\n"}
        page.set_input_files("#lf-handout-files", files=[task])
        page.click("#lf-handout button[type=submit]")
        result = page.locator('#lf-handout-result tr[data-user="dora"]')
        expect(result).to_contain_text("theirs kept, the new version beside it as task.new-")
        beside = re.search(r"task\.new-[0-9-]+\.py", result.inner_text()).group(0)

        # dora's open JupyterLab says where, at once; her file is as she left it
        toast = lab.locator(".Toastify__toast", has_text="beside yours")
        expect(toast).to_be_visible(timeout=10_000)
        expect(toast).to_contain_text(f"at {beside}. Your file is unchanged.")
        lab.wait_for_timeout(1000)  # the toast slides in
        shot(lab, "handout-toast.png")
        assert get_file(hub, "dora", "task.py").json()["content"] == "print('mine')\n"
        toast.get_by_role("button", name="Open").click()  # opens the new version
        expect(lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=beside)).to_be_visible()

        # the hand-out stands (whoever comes later gets it) until it is withdrawn
        handed = page.locator("#lf-handouts details").first
        expect(handed.locator(".lf-standing")).to_have_text("standing")
        handed.locator("summary").click()
        shot(page, "workshop-handouts.png", full_page=True)
        handed.get_by_role("button", name="Withdraw").click()
        expect(page.locator("#lf-handouts details").first).to_contain_text("withdrawn by admin")
        assert get_file(hub, "dora", beside).json()["content"] == "print('v2')\n"  # it stays
        assert page.errors == []
    finally:
        student.close()


def test_workshop_mode_turns_off_and_on_from_the_page(hub, page):
    from playwright.sync_api import expect

    log_in(page, hub, next_url="/hub/labfleet/workshop")
    mode = page.locator("#lf-mode")
    expect(mode).to_be_checked()
    mode.uncheck()
    expect(page.locator("#lf-mode-result")).to_contain_text("Workshop mode is off")
    save(hub, "ana", "quiet.ipynb", SECOND)  # ana's running server no longer sends it
    mode.check()
    expect(page.locator("#lf-mode-result")).to_contain_text("Workshop mode is on")
    save(hub, "ana", "loud.ipynb", SECOND)
    wait_for_saves(hub, "ana", "loud.ipynb", 1, timeout=15)
    assert hub.api("GET", "/labfleet/events", params={"path": "quiet.ipynb"}).json()["total"] == 0
    assert page.errors == []


NOTEBOOK = (
    '{"cells": [{"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# Day one"}], '
    '"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", '
    '"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}'
)


def test_a_link_made_on_the_page_brings_a_repository_to_a_temporary_users_jupyterlab(
    hub, browser, page
):
    from playwright.sync_api import expect

    with served_repository("course", {"intro.ipynb": NOTEBOOK, "README.md": "# Course\n"}) as repo:
        log_in(page, hub, next_url="/hub/labfleet/workshop")
        page.fill("#lf-link-repo", repo.url)
        page.fill("#lf-link-branch", "main")
        page.fill("#lf-link-file", "intro.ipynb")
        page.click("#lf-links button[type=submit]")
        temporary = page.locator("#lf-link-temporary")
        expect(temporary).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/hub/tmplogin\?"))
        expect(page.locator("#lf-link-user")).to_have_value(
            re.compile(r"/hub/user-redirect/git-pull\?repo=")
        )
        shot(page, "workshop-links.png", full_page=True)

        # someone without an account follows it: a user, a server, the repository, the notebook
        visitor = browser.new_context(viewport={"width": 1280, "height": 800})
        visitor.set_default_timeout(STEP_TIMEOUT)
        try:
            tab = visitor.new_page()
            tab.goto(temporary.input_value())
            tab.wait_for_url(re.compile(r"/user/tmp-[0-9a-f]+/lab/tree/course/intro\.ipynb"),
                             timeout=LAB_TIMEOUT)  # fmt: skip
            heading = tab.locator(".jp-RenderedMarkdown h1")
            expect(heading).to_contain_text("Day one", timeout=LAB_TIMEOUT)
            shot(tab, "link-pulled.png")
        finally:
            visitor.close()
    assert page.errors == []
