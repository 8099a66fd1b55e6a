"""Who may call each labfleet route: anonymous, another user, the user, an admin, a narrow token."""

from __future__ import annotations

import pytest
import requests
from harness import caller_tokens, create_account, labfleet_api, user_token

# the instructors get two platform pages by a setting (no role written by hand)
HUB_CONFIG = {"workshop": {"instructor_pages": ["activity", "notifications"]}}

# (method, route, body, status when authorized: the server of "owner" is stopped)
ROUTES = [
    ("GET", "volumes", None, 200),
    ("DELETE", "volumes", {"volumes": ["cache"]}, 200),
    ("POST", "restart", None, 409),
    ("GET", "session", None, 200),
    ("POST", "session/extend", {"hours": 1}, 409),
    ("GET", "logs", None, 200),
    ("GET", "usage", None, 200),
]
CALLERS = {
    "anonymous": 403,
    "other user": 404,
    "narrow token": 403,
    "self": None,
    "admin": None,
}


@pytest.fixture(scope="module")
def tokens(hub):
    for name in ("owner", "other"):
        hub.create_user(name)
    return caller_tokens(hub, "owner", "other")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method, route, body, authorized", ROUTES)
def test_permission_matrix(hub, tokens, caller, method, route, body, authorized):
    headers = {"Authorization": f"token {tokens[caller]}"} if tokens[caller] else {}
    response = requests.request(
        method,
        f"{hub.url}/hub/api/labfleet/users/owner/{route}",
        json=body,
        headers=headers,
        timeout=30,
    )
    expected = CALLERS[caller] or authorized
    assert response.status_code == expected, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert response.json()["status"] == expected and response.json()["message"]


def test_browser_requests_need_the_xsrf_token(hub):
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    url = f"{hub.url}/hub/api/labfleet/users/admin/volumes"
    body = {"volumes": ["cache"]}
    assert session.get(url, timeout=30).status_code == 200
    refused = session.delete(url, json=body, timeout=30)
    assert refused.status_code == 403
    xsrf = session.cookies.get("_xsrf", path="/hub/")
    allowed = session.delete(url, json=body, headers={"X-XSRFToken": xsrf}, timeout=30)
    assert allowed.status_code == 200, allowed.text


def test_admin_panel_page_of_a_user(hub, tokens):
    """Pages take the login cookie (tokens are for the API); the scope check is the API's."""
    url = f"{hub.url}/hub/labfleet/users/owner/panel"
    anonymous = requests.get(url, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/hub/login" in anonymous.headers["Location"]
    session, _ = hub.login("admin", hub.admin_password)
    page = session.get(url, timeout=30)
    assert page.status_code == 200
    assert '<h1 class="h3">owner</h1>' in page.text and "data-labfleet-panel" in page.text
    assert session.get(f"{hub.url}/hub/labfleet/users/nobody/panel", timeout=30).status_code == 404


def test_only_an_admin_resets_a_users_home_by_default(hub, tokens):
    """labfleet.users_reset_home is off: the owner resets their cache, not their home."""
    url = f"{hub.url}/hub/api/labfleet/users/owner/volumes"
    own = {"Authorization": f"token {tokens['self']}"}
    listed = requests.get(url, headers=own, timeout=30).json()["volumes"]
    assert {v["name"]: v["resettable"] for v in listed} == {
        "home": False, "workspace": True, "cache": True,
    }  # fmt: skip
    refused = requests.delete(url, json={"volumes": ["cache", "home"]}, headers=own, timeout=30)
    assert refused.status_code == 403
    assert refused.json() == {
        "status": 403,
        "message": "Only an admin can reset Home (every file in it is lost): ask one; your "
        "other volumes you may reset yourself",
    }
    admin = {"Authorization": f"token {tokens['admin']}"}
    assert all(v["resettable"] for v in requests.get(url, headers=admin, timeout=30).json()[
        "volumes"])  # fmt: skip
    done = requests.delete(url, json={"volumes": ["home"]}, headers=admin, timeout=30)
    assert done.status_code == 200, done.text


def test_instructors_get_the_pages_the_setting_names(hub, tokens):
    """workshop.instructor_pages: [activity, notifications] gives the instructors' group
    those pages and their API, and nothing else of an admin's."""
    password = create_account(hub, "teach", ["instructors"])
    teacher = user_token(hub, "teach")
    for route in ("/activity", "/notifications"):
        assert labfleet_api(hub, "GET", route, token=teacher).status_code == 200
        assert labfleet_api(hub, "GET", route, token=tokens["other user"]).status_code == 403
    assert labfleet_api(hub, "GET", "/audit", token=teacher).status_code == 403
    assert labfleet_api(hub, "GET", "/users/owner/logs", token=teacher).status_code == 404
    session, login = hub.login("teach", password)
    assert login.status_code == 302
    home = session.get(f"{hub.url}/hub/home", timeout=30).text
    assert 'href="/hub/labfleet/activity"' in home and 'href="/hub/labfleet/notifications"' in home
    assert 'href="/hub/labfleet/audit"' not in home
    for page in ("activity", "notifications"):
        assert session.get(f"{hub.url}/hub/labfleet/{page}", timeout=30).status_code == 200
