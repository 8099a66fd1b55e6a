"""The groups admin page and the environment page, driven in a real browser against a real hub.

Headless Debian Chromium through Playwright's sync API, as in test_browser.py; screenshots
go to docs/screenshots/ (groups.png, environment.png).
"""

from __future__ import annotations

import pytest
from browser import log_in, needs_chromium, shot

HUB_CONFIG = {
    "hub": {"load_groups": {"course": {"users": ["ana", "ben", "admin"]}}},
    "groups": {
        "properties": {
            "course": {
                "priority": 1,
                "environment": {"COURSE": "ml101"},
                "user_environment": True,
                "mounts": [{"host": "/srv/datasets", "path": "datasets", "mode": "rw"}],
            }
        }
    },
}


pytestmark = needs_chromium


@pytest.fixture(scope="module")
def groups(hub):
    """An editable group with two members, beside the one from labfleet.yaml."""
    assert hub.api("POST", "/groups/gpu-class").status_code == 201
    hub.api("POST", "/groups/gpu-class/users", json={"users": ["ben", "ana"]}).raise_for_status()
    for name in ("docker-sock",):
        assert hub.api("POST", f"/groups/{name}").status_code == 201
    return ["course", "docker-sock", "gpu-class"]


def test_an_admin_sets_what_a_group_grants(hub, page, groups):
    from playwright.sync_api import expect

    log_in(page, hub)
    page.goto(f"{hub.url}/hub/labfleet/groups")
    expect(page.locator(".lf-group")).to_have_count(len(groups))
    expect(page.locator(".lf-applies")).to_contain_text("Changes apply at the next start")
    expect(page.locator(".lf-not-applied")).to_contain_text("The local backend does not apply")

    # the group of labfleet.yaml is shown, read-only
    course = page.locator(".lf-group[data-group=course]")
    expect(course).to_contain_text("set in labfleet.yaml")
    expect(course.locator("textarea[name=environment]")).to_have_value("COURSE=ml101\n")
    expect(course.locator("textarea[name=environment]")).to_be_disabled()
    expect(course.locator(".lf-save")).to_have_count(0)
    expect(page.locator(".lf-group[data-group=docker-sock]")).to_contain_text("Docker socket")

    # a protected host folder: refused, nothing saved
    card = page.locator(".lf-group[data-group=gpu-class]")
    expect(card).to_contain_text("2 members: ana, ben")
    card.locator("input[name=priority]").fill("5")
    card.locator("input[name=mem_limit]").fill("2G")
    card.locator("input[name=gpu]").check()
    card.locator("textarea[name=environment]").fill("SHARED=from-gpu\nDATA=/home/data")
    card.locator("textarea[name=mounts]").fill("/etc:models:ro")
    card.locator("textarea[name=images]").fill("quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07")
    card.get_by_role("button", name="Save gpu-class").click()
    result = card.locator(".lf-result")
    expect(result).to_have_class("lf-result small alert alert-danger py-1 px-2 mb-0")
    expect(result).to_contain_text("Nothing was changed")
    expect(result).to_contain_text("/etc is protected")
    assert hub.api("GET", "/labfleet/groups/gpu-class").json()["properties"] == {}

    # fixed: saved, and the page says when it applies
    card.locator("textarea[name=mounts]").fill("/srv/models:models:rw")
    card.get_by_role("button", name="Save gpu-class").click()
    expect(result).to_contain_text("Saved group gpu-class. Changes apply at the next start")
    saved = hub.api("GET", "/labfleet/groups/gpu-class").json()
    assert saved["properties"] == {
        "priority": 5,
        "environment": {"SHARED": "from-gpu", "DATA": "/home/data"},
        "mem_limit": "2G",
        "gpu": True,
        "mounts": [{"host": "/srv/models", "path": "models", "mode": "rw"}],
        "images": ["quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07"],
    }

    # a reload shows what was saved, and what the backend does not apply to this group
    page.reload()
    card = page.locator(".lf-group[data-group=gpu-class]")
    expect(card.locator("input[name=priority]")).to_have_value("5")
    expect(card.locator("input[name=gpu]")).to_be_checked()
    expect(card.locator(".lf-group-not-applied")).to_contain_text("gpu, images")
    expect(card.locator(".lf-group-not-applied")).not_to_contain_text("mem_limit")
    assert page.errors == [], page.errors
    shot(page, "groups.png", full_page=True)


def test_a_user_keeps_their_own_variables(hub, page, groups):
    from playwright.sync_api import expect

    log_in(page, hub)
    page.goto(f"{hub.url}/hub/labfleet/environment")
    expect(page.locator(".lf-groups-environment")).to_contain_text("COURSE")
    form = page.locator(".lf-environment-form")
    form.locator("textarea").fill("EDITOR=vim\nPATH=/mine")
    form.get_by_role("button", name="Save").click()
    result = form.locator(".lf-result")
    expect(result).to_contain_text("reserved names: PATH")
    expect(result).to_contain_text("JUPYTERHUB_*")
    form.locator("textarea").fill("EDITOR=vim\nHF_HOME=/home/jovyan/.cache/hf")
    form.get_by_role("button", name="Save").click()
    expect(result).to_contain_text("Saved 2 variables. They apply at the next start")
    stored = hub.api("GET", "/labfleet/users/admin/environment").json()["environment"]
    assert stored == {"EDITOR": "vim", "HF_HOME": "/home/jovyan/.cache/hf"}
    page.locator(".lf-reserved summary").click()
    assert page.errors == [], page.errors
    shot(page, "environment.png", full_page=True)


def test_an_admin_deletes_a_group_from_its_card(hub, page, groups):
    from playwright.sync_api import expect

    assert hub.api("POST", "/groups/last-term", json={"users": ["ana"]}).status_code == 201
    log_in(page, hub)
    page.goto(f"{hub.url}/hub/labfleet/groups")
    # a group of labfleet.yaml would come back at the next start: it offers no delete
    expect(page.locator(".lf-group[data-group=course] .lf-delete-group")).to_have_count(0)
    card = page.locator(".lf-group[data-group=last-term]")
    card.get_by_role("button", name="Delete last-term…").click()
    modal = page.locator("#lf-delete-group-modal")
    expect(modal).to_contain_text("Delete the group last-term?")
    expect(modal).to_contain_text("Its members keep their accounts and files")
    modal.get_by_role("button", name="Delete the group").click()
    expect(modal).to_be_hidden()
    expect(card).to_have_count(0)
    expect(page.locator(".lf-alerts")).to_contain_text("Deleted the group last-term")
    assert hub.api("GET", "/groups/last-term").status_code == 404
    assert hub.api("GET", "/users/ana").status_code == 200  # her account stays
    page.reload()
    expect(page.locator(".lf-group[data-group=last-term]")).to_have_count(0)
    assert page.errors == [], page.errors
