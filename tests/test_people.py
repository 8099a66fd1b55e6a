"""The People page: everyone in one list, searched, filtered and paged by the hub; actions
on the people ticked. In a real browser against a real hub, and through the API with
2,000 users.

Saves docs/screenshots/people.png and people-bulk.png.
"""

from __future__ import annotations

import pytest
import requests
from browser import STEP_TIMEOUT, log_in, needs_chromium, shot
from harness import accounts, audit_rows, labfleet_api, login_status, user_token, wait_for

CLASS = [f"s{i:02d}" for i in range(1, 31)]
MANY = 2000


def people(hub, token: str | None = None, **params) -> dict:
    response = labfleet_api(hub, "GET", "/users", token=token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def klass(hub):
    """30 users made on JupyterHub's own API (no password yet), in the group class-a."""
    assert hub.api("POST", "/users", json={"usernames": CLASS}).status_code == 201
    assert hub.api("POST", "/groups/class-a", json={"users": CLASS}).status_code == 201
    return CLASS


@needs_chromium
def test_bulk_actions_on_a_class_of_30(hub, page, klass):
    from playwright.sync_api import expect

    log_in(page, hub, next_url="/hub/labfleet/users")
    rows = page.locator("#lf-user-rows tr[data-name]")
    page.select_option("#lf-group-filter", "class-a")
    expect(page.locator("#lf-range")).to_have_text("1–30 of 30")
    expect(rows).to_have_count(30)
    expect(rows.first.locator(".lf-badges")).to_contain_text("no password")
    bulk = page.locator("#lf-bulk")
    modal = page.locator("#lf-bulk-modal")

    # made elsewhere, without a password: a bulk reset gives every one of them one
    page.check("#lf-select-page")
    expect(page.locator("#lf-selected-count")).to_have_text("30 selected")
    bulk.get_by_role("button", name="Reset passwords…").click()
    expect(modal).to_contain_text("Reset the passwords of 30 people?")
    modal.get_by_role("button", name="Reset passwords").click()
    credentials = page.locator("#lf-bulk-result .lf-credentials tbody tr")
    expect(credentials).to_have_count(30, timeout=STEP_TIMEOUT)
    first = credentials.first.locator("td")
    assert login_status(hub, first.nth(0).inner_text(), first.nth(1).inner_text())[0] == 302
    expect(rows.first.locator(".lf-badges")).to_contain_text("active")

    # a new group, filled from the selection
    page.fill("#lf-group-name", "lab-b")
    page.click("#lf-group-submit")
    expect(page.locator(".lf-alerts")).to_contain_text("Created the group lab-b")
    expect(page.locator("#lf-bulk-group")).to_have_value("lab-b")
    bulk.get_by_role("button", name="Add to group").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Added 30 people to lab-b")
    assert sorted(hub.api("GET", "/groups/lab-b").json()["users"]) == CLASS
    shot(page, "people-bulk.png", full_page=True)

    # start three servers, find them by their state, stop them
    page.click("#lf-select-none")
    for name in CLASS[:3]:
        page.check(f"#lf-user-rows tr[data-name='{name}'] .lf-select")
    expect(page.locator("#lf-selected-count")).to_have_text("3 selected")
    bulk.get_by_role("button", name="Start servers").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Started 3 servers", timeout=STEP_TIMEOUT)
    for name in CLASS[:3]:
        wait_for(lambda n=name: hub.user(n)["servers"].get("", {}).get("ready"), 120, name)
    page.select_option("#lf-state-filter", "running")
    expect(page.locator("#lf-range")).to_have_text("1–3 of 3")
    expect(rows.first.locator(".lf-server-state")).to_have_text("running")
    shot(page, "people.png", full_page=True)

    # the class restarted three times in a row: nine restarts by one admin within a minute,
    # none refused by the limit that holds a user restarting their own server
    pids = {name: hub.spawner_pid(name) for name in CLASS[:3]}
    restart = bulk.get_by_role("button", name="Restart in place…")
    for _ in range(3):
        restart.click()
        expect(modal).to_contain_text("Restart 3 servers?")
        modal.get_by_role("button", name="Restart", exact=True).click()
        expect(restart).to_be_enabled(timeout=STEP_TIMEOUT)
        expect(page.locator(".lf-alerts")).to_contain_text("Restarted 3 servers")
    assert all(hub.spawner_pid(name) != pids[name] for name in CLASS[:3])
    restarts = [row for row in audit_rows(hub, "server.restart") if row[1] in CLASS[:3]]
    assert [(actor, result) for actor, _, result, _ in restarts] == [("admin", "ok")] * 9
    bulk.get_by_role("button", name="Stop servers").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Stopped 3 servers", timeout=STEP_TIMEOUT)
    for name in CLASS[:3]:
        wait_for(lambda n=name: not hub.user(n)["servers"], 120, f"{name}'s server to stop")

    # suspend the whole class, then delete it
    page.select_option("#lf-state-filter", "")
    page.click("#lf-select-none")
    page.check("#lf-select-page")
    bulk.get_by_role("button", name="Suspend…").click()
    expect(modal).to_contain_text("Suspend 30 people?")
    modal.get_by_role("button", name="Suspend").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Suspended 30 people", timeout=STEP_TIMEOUT)
    assert all(accounts(hub)[name]["suspended"] for name in CLASS)
    bulk.get_by_role("button", name="Delete…").click()
    expect(modal).to_contain_text("Delete 30 people?")
    modal.get_by_role("button", name="Delete").click()
    expect(page.locator(".lf-alerts")).to_contain_text("Deleted 30 people", timeout=STEP_TIMEOUT)
    expect(page.locator("#lf-user-rows")).to_contain_text("Nobody matches.")
    assert set(CLASS).isdisjoint(accounts(hub))
    assert page.errors == []


@pytest.fixture(scope="module")
def crowd(hub):
    """2,000 more users, every tenth in the group tenth."""
    names = [f"p{i:04d}" for i in range(MANY)]
    for start in range(0, MANY, 500):
        assert hub.api("POST", "/users", json={"usernames": names[start : start + 500]}).ok
    assert hub.api("POST", "/groups/tenth", json={"users": names[::10]}).status_code == 201
    return names


def test_two_thousand_people_come_a_page_at_a_time(hub, crowd):
    first = people(hub, limit=50)
    everyone = len(accounts(hub))
    assert first["total"] == everyone >= MANY and len(first["users"]) == 50
    assert [u["name"] for u in first["users"]] == sorted(u["name"] for u in first["users"])
    last = people(hub, offset=everyone - 10, limit=50)
    assert len(last["users"]) == 10
    assert people(hub, offset=everyone, limit=50)["users"] == []
    found = people(hub, search="P19", limit=50)  # any case
    assert found["total"] == 100 and all(u["name"].startswith("p19") for u in found["users"])
    tenth = people(hub, group="tenth", limit=500)
    assert tenth["total"] == MANY // 10 and all(u["groups"] == ["tenth"] for u in tenth["users"])
    assert "tenth" in tenth["groups"]
    both = people(hub, group="tenth", search="p000", state="no_password")
    assert [u["name"] for u in both["users"]] == ["p0000"]


def test_the_state_filter_finds_running_servers_and_suspended_people(hub, crowd):
    hub.spawn("p0001")
    try:
        running = people(hub, state="running")
        assert [u["name"] for u in running["users"]] == ["p0001"]
        assert running["users"][0]["server"] == "running" and running["users"][0]["last_activity"]
    finally:
        hub.stop_server("p0001")
    assert people(hub, state="running")["total"] == 0
    reset = labfleet_api(hub, "POST", "/users/p0002/password", json={})
    assert reset.status_code == 200, reset.text
    suspended = labfleet_api(hub, "PATCH", "/users/p0002/account", json={"approved": False})
    assert suspended.status_code == 200, suspended.text
    assert [u["name"] for u in people(hub, state="suspended")["users"]] == ["p0002"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"state": "asleep"}, "state must be one of running, pending, stopped, suspended"),
        ({"limit": "0"}, "limit must be a whole number from 1 to 500"),
        ({"limit": "501"}, "limit must be a whole number from 1 to 500"),
        ({"offset": "-1"}, "offset must be a whole number from 0 to 1000000000"),
        ({"offset": "²"}, "offset must be a whole number"),
    ],
)
def test_bad_filters_answer_400(hub, params, message):
    response = labfleet_api(hub, "GET", "/users", params=params)
    assert response.status_code == 400 and message in response.json()["message"]


def test_only_unfiltered_admin_users_may_list_people(hub, crowd):
    narrow = user_token(hub, "admin", scopes=["admin:users!user=p0003"])
    assert labfleet_api(hub, "GET", "/users", token=narrow).status_code == 403
    hub.create_user("plain")
    assert labfleet_api(hub, "GET", "/users", token=user_token(hub, "plain")).status_code == 403
    anonymous = requests.get(f"{hub.url}/hub/api/labfleet/users", timeout=30)
    assert anonymous.status_code == 403
