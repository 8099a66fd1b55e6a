"""The users admin page and the sign-up page in a real browser against a real hub.

Saves docs/screenshots/{signup,users,user-created-credentials,roster-preview,
roster-import}.png.
"""

from __future__ import annotations

import csv
import re

import pytest
from browser import STEP_TIMEOUT, log_in, needs_chromium, shot
from harness import accounts, labfleet_api, login_status, reveal

pytestmark = needs_chromium
HUB_CONFIG = {"auth": {"enable_signup": True}}

ROSTER = """ada:tulip-orbit-cedar,physics
grace,physics

linus
bad name
linus
hal:short
"""


@pytest.fixture(scope="module")
def admin_password(hub):
    assert hub.api("POST", "/groups/physics").status_code == 201
    return hub.admin_password


def row(page, name: str):
    return page.locator(f"#lf-user-rows tr[data-name='{name}']")


def test_signup_page(hub, page):
    from playwright.sync_api import expect

    page.goto(f"{hub.url}/hub/login")
    page.get_by_role("link", name="Ask for one").click()
    page.wait_for_url(f"{hub.url}/hub/labfleet/signup")
    page.fill("#username_input", "Heidi")
    page.fill("#password_input", "amber-forest-lake")
    page.fill("#password_confirmation_input", "amber-forest-lake")
    shot(page, "signup.png")
    page.click("#signup_submit")
    expect(page.locator("#labfleet-form-done")).to_contain_text("once an admin has approved it")
    assert accounts(hub)["heidi"]["approved"] is False
    assert page.errors == []


def test_users_page_creates_imports_approves_renames_and_deletes(
    hub, page, admin_password, tmp_path
):
    from playwright.sync_api import expect

    log_in(page, hub, "admin", admin_password, next_url="/hub/labfleet/users")
    expect(row(page, "admin")).to_contain_text("active")
    # each user's control panel is one click away (the same panel as on their home page)
    expect(row(page, "admin").locator(".lf-panel-link")).to_have_attribute(
        "href", "/hub/labfleet/users/admin/panel"
    )
    signups = page.locator("#lf-signups")
    expect(signups).to_be_visible()
    expect(signups.locator("tr[data-name='heidi']")).to_be_visible()

    # create users from a pasted list: one CSV of their passwords
    page.fill("#lf-create-names", "Ada\ngrace\nbad name")
    page.select_option("#lf-create-groups", ["physics"])
    page.click("#lf-create-submit")
    result = page.locator("#lf-create-result")
    # bcrypt takes its time on two busy cores
    expect(result.locator(".lf-summary")).to_have_text(
        "Created 2 users; 1 refused:", timeout=STEP_TIMEOUT
    )
    expect(result.locator(".lf-rejected")).to_contain_text("bad name: invalid user name")
    expect(result.locator(".lf-credentials tbody tr")).to_have_count(2)
    shot(page, "user-created-credentials.png", full_page=True)
    with page.expect_download() as download:
        result.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "credentials.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(saved.read_text().splitlines()))
    assert rows[0] == ["username", "password"] and [r[0] for r in rows[1:]] == ["ada", "grace"]
    assert login_status(hub, "grace", rows[2][1])[0] == 302
    expect(row(page, "grace")).to_contain_text("physics")

    # a roster: previewed first (nothing is made), then good lines applied, bad ones
    # reported line by line
    page.fill("#lf-import-roster", ROSTER.replace("ada:", "zoe:"))
    page.click("#lf-import-preview")
    plan = page.locator("#lf-import-plan")
    expect(plan.locator("tr.lf-new")).to_have_count(2)
    expect(plan.locator("tr.lf-existing")).to_have_text(re.compile("grace"))
    expect(plan.locator("tr.lf-rejected")).to_have_count(3)
    assert "zoe" not in accounts(hub)
    plan.locator("#lf-import-submit").click()
    report = page.locator("#lf-import-result")
    expect(report.locator(".lf-summary")).to_contain_text("2 created", timeout=STEP_TIMEOUT)
    expect(report.locator(".lf-summary")).to_contain_text("1 unchanged")
    expect(report.locator(".lf-summary")).to_contain_text("3 rejected")
    expect(report.locator("tr.lf-rejected")).to_have_count(3)
    expect(report.locator("tr.lf-rejected").first).to_contain_text("invalid user name")
    expect(report.locator(".lf-credentials tbody tr")).to_have_count(1)  # linus: generated
    expect(report).not_to_contain_text("tulip-orbit-cedar")
    shot(page, "roster-import.png", full_page=True)

    # the page as an admin finds it: sign-ups to decide on, the accounts
    page.reload()
    expect(row(page, "zoe")).to_contain_text("physics")
    shot(page, "users.png", full_page=True)

    # approve the sign-up
    signups.locator("tr[data-name='heidi']").get_by_role("button", name="Approve").click()
    expect(signups).to_be_hidden()
    expect(row(page, "heidi")).to_contain_text("active")
    assert login_status(hub, "heidi", "amber-forest-lake")[0] == 302

    # rename, in a modal
    row(page, "linus").get_by_role("button", name="More").click()
    row(page, "linus").get_by_role("button", name="Rename…").click()
    modal = page.locator("#lf-rename-modal")
    expect(modal).to_be_visible()
    modal.locator("#lf-rename-name").fill("linus.t")
    modal.get_by_role("button", name="Rename").click()
    expect(modal).to_be_hidden()
    expect(row(page, "linus.t")).to_be_visible()
    expect(row(page, "linus")).to_have_count(0)

    # delete: the modal asks whether the volumes go too
    row(page, "ada").get_by_role("button", name="More").click()
    row(page, "ada").get_by_role("button", name="Delete…").click()
    modal = page.locator("#lf-delete-modal")
    expect(modal).to_contain_text("Also delete their volumes (home, workspace, cache)")
    modal.locator("#lf-delete-volumes").check()
    modal.get_by_role("button", name="Delete").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Deleted ada; their volumes were deleted")
    expect(row(page, "ada")).to_have_count(0)
    assert hub.api("GET", "/users/ada").status_code == 404

    # reset a password: asked first, then the new one is shown once
    row(page, "grace").get_by_role("button", name="Reset password").click()
    modal = page.locator("#lf-reset-modal")
    expect(modal).to_contain_text("Reset the password of grace?")
    modal.get_by_role("button", name="Reset password").click()
    expect(modal).to_be_hidden()
    expect(page.locator(".lf-alerts")).to_contain_text(
        re.compile(r"New password of grace \(shown once\)")
    )
    assert page.locator(".lf-alerts .lf-password").last.inner_text() != rows[2][1]

    # suspend, after a word of what it does; restore
    row(page, "zoe").get_by_role("button", name="More").click()
    row(page, "zoe").get_by_role("button", name="Suspend…").click()
    modal = page.locator("#lf-suspend-modal")
    expect(modal).to_contain_text("logged out everywhere")
    modal.get_by_role("button", name="Suspend").click()
    expect(modal).to_be_hidden()
    expect(row(page, "zoe").locator(".lf-badges")).to_contain_text("suspended")
    status, text = login_status(hub, "zoe", "tulip-orbit-cedar")
    assert status == 403 and "suspended" in text
    row(page, "zoe").get_by_role("button", name="More").click()
    row(page, "zoe").get_by_role("button", name="Restore (allow logins)").click()
    expect(row(page, "zoe").locator(".lf-badges")).to_contain_text("active")
    assert page.errors == []


def test_a_spreadsheets_csv_roster_makes_a_new_class(hub, page, admin_password, tmp_path):
    from playwright.sync_api import expect

    exported = tmp_path / "class.csv"  # as LibreOffice's "Save as CSV" writes it
    exported.write_text('"Username","Group"\r\n"kim","class-2027"\r\n"Lou","class-2027; lab-b"\r\n')
    log_in(page, hub, "admin", admin_password, next_url="/hub/labfleet/users")
    page.check("#lf-import-must-change")
    page.set_input_files("#lf-import-file", str(exported))  # previewed at once
    plan = page.locator("#lf-import-plan")
    expect(plan.locator(".lf-groups-new")).to_have_text("Groups to create: class-2027, lab-b.")
    plan.locator("#lf-import-submit").click()
    report = page.locator("#lf-import-result")
    expect(report.locator(".lf-summary")).to_contain_text("2 created", timeout=STEP_TIMEOUT)
    expect(report.locator(".lf-groups-created")).to_have_text(
        "Created the group(s) class-2027, lab-b."
    )
    expect(report.locator(".lf-credentials tbody tr")).to_have_count(2)
    made = accounts(hub)
    assert made["kim"]["groups"] == ["class-2027"] and made["lou"]["must_change_password"]
    assert sorted(made["lou"]["groups"]) == ["class-2027", "lab-b"]
    assert page.errors == []


# a registrar's export, as Excel writes it on a Western Windows: Windows-1252, ";", extra
# columns, no column named for user names
REGISTRAR = (
    "Student ID;Account;First name;Last name;E-Mail;Course\r\n"
    "4711;renée.l;Renée;Laurent;renee.laurent@uni.example;algebra\r\n"
    "4712;jürgen;Jürgen;Habermas;juergen@uni.example;algebra\r\n"
    "4713;søs;Søs;Østergaard;sos@uni.example;algebra\r\n"
).encode("cp1252")


def test_a_registrars_export_is_previewed_mapped_imported_and_undone(
    hub, page, admin_password, tmp_path
):
    from playwright.sync_api import expect

    exported = tmp_path / "kurs.csv"
    exported.write_bytes(REGISTRAR)
    log_in(page, hub, "admin", admin_password, next_url="/hub/labfleet/users")
    page.set_input_files("#lf-import-file", str(exported))
    plan = page.locator("#lf-import-plan")
    expect(plan.locator(".lf-file")).to_contain_text(
        "kurs.csv: Windows-1252, columns separated by semicolons."
    )
    expect(plan.locator(".lf-problem")).to_contain_text("No column holds user names")
    expect(plan.locator("tr.lf-new")).to_have_count(0)
    # the admin says which column holds the user names, and which the groups
    plan.locator(".lf-column[data-column='1'] select").select_option("username")
    expect(plan.locator("tr.lf-new")).to_have_count(3)
    plan.locator(".lf-column[data-column='5'] select").select_option("group")
    expect(plan.locator(".lf-groups-new")).to_have_text("Groups to create: algebra.")
    expect(plan.locator("tr.lf-new").first).to_contain_text("renée.l")
    expect(plan.locator("tr.lf-new").first).to_contain_text("Renée Laurent")
    expect(plan.locator(".lf-file")).to_have_text(re.compile("Ignored columns: Student ID.$"))
    assert "renée.l" not in accounts(hub)
    shot(page, "roster-preview.png", full_page=True)

    plan.locator("#lf-import-submit").click()
    report = page.locator("#lf-import-result")
    expect(report.locator(".lf-summary")).to_contain_text("3 created", timeout=STEP_TIMEOUT)
    assert {"renée.l", "jürgen", "søs"} <= set(accounts(hub))
    assert sorted(hub.api("GET", "/groups/algebra").json()["users"]) == ["jürgen", "renée.l", "søs"]

    # undo: asked first; the three users and the group go, nobody else
    report.get_by_role("button", name="Undo this import…").click()
    modal = page.locator("#lf-undo-modal")
    expect(modal.locator(".lf-undo-what")).to_contain_text("deletes the 3 user(s) and 1 group(s)")
    modal.get_by_role("button", name="Undo the import").click()
    expect(modal).to_be_hidden()
    expect(report).to_contain_text("deleted 3 user(s) and 1 group(s)")
    after = accounts(hub)
    assert {"renée.l", "jürgen", "søs"}.isdisjoint(after) and "admin" in after
    assert hub.api("GET", "/groups/algebra").status_code == 404
    assert page.errors == []


def test_a_name_that_looks_like_an_e_mail_is_created_once_confirmed(
    hub, page, admin_password, tmp_path
):
    from playwright.sync_api import expect

    log_in(page, hub, "admin", admin_password, next_url="/hub/labfleet/users")
    names = tmp_path / "names.txt"  # saved by Notepad on a Western Windows
    names.write_bytes("max@uni.example\r\nrené\r\n".encode("cp1252"))
    page.set_input_files("#lf-create-file", str(names))
    expect(page.locator("#lf-create-names")).to_have_value("max@uni.example\nrené\n")
    page.click("#lf-create-submit")
    result = page.locator("#lf-create-result")
    expect(result.locator(".lf-summary")).to_have_text("Created 1 user.", timeout=STEP_TIMEOUT)
    expect(result.locator(".lf-email-names")).to_contain_text(
        "max@uni.example looks like an e-mail address"
    )
    assert "max@uni.example" not in accounts(hub)
    result.get_by_role("button", name="Create them anyway").click()
    expect(result.locator(".lf-credentials tbody tr")).to_have_count(2, timeout=STEP_TIMEOUT)
    assert "max@uni.example" in accounts(hub)
    assert page.errors == []


def test_the_people_page_follows_the_class_without_a_reload(hub, page, admin_password):
    """The page left open in class: an admin starts a server for a student who must still
    change their password; the student logs in, is asked for a new one and gives it; their
    server is stopped elsewhere: the row follows each step. A bulk start counts what it did."""
    from playwright.sync_api import expect

    made = labfleet_api(
        hub, "POST", "/users", json={"usernames": ["kai", "lia"], "must_change_password": True}
    )
    assert made.status_code == 200, made.text
    passwords = reveal(hub, "kai", "lia")
    log_in(page, hub, "admin", admin_password, next_url="/hub/labfleet/users")
    kai = row(page, "kai")
    expect(kai.locator(".lf-badges")).to_contain_text("must change password")
    kai.get_by_role("button", name="Start", exact=True).click()
    expect(page.locator(".lf-alerts")).to_contain_text("Starting kai's server.")
    expect(kai.locator(".lf-server-state")).to_have_text("running", timeout=STEP_TIMEOUT)

    session, response = hub.login("kai", passwords["kai"])
    assert "/hub/labfleet/change-password" in response.headers["Location"]
    new = "amber-cliff-meadow"
    fields = {"current_password": passwords["kai"], "new_password": new,
              "new_password_confirmation": new}  # fmt: skip
    xsrf = session.cookies.get("_xsrf", path="/hub/")
    changed = session.post(
        f"{hub.url}/hub/labfleet/change-password",
        data={**fields, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=60,
    )
    assert changed.status_code == 302, changed.text
    expect(kai.locator(".lf-badges")).not_to_contain_text("must change password")
    hub.stop_server("kai")
    expect(kai.locator(".lf-server-state")).to_have_text("stopped")

    hub.spawn("lia")
    expect(row(page, "lia").locator(".lf-server-state")).to_have_text("running")
    for name in ("kai", "lia"):
        page.check(f"#lf-user-rows tr[data-name='{name}'] .lf-select")
    page.locator("#lf-bulk").get_by_role("button", name="Start servers").click()
    alert = page.locator(".lf-alerts .lf-alert").last
    expect(alert).to_contain_text("Started 1 server; 1 left as it was:", timeout=STEP_TIMEOUT)
    expect(alert.locator(".lf-left")).to_have_text("lia: running already")
    expect(kai.locator(".lf-server-state")).to_have_text("running")
    assert page.errors == []
