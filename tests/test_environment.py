"""Users' own environment variables: kept when a group allows, refused when reserved, applied
at the next start of the server (read from its process environment, as root)."""

from __future__ import annotations

import json

import pytest
import requests
from harness import caller_tokens, create_account, server_environment, user_token

HUB_CONFIG = {
    "hub": {"load_groups": {"own-vars": {"users": ["owner", "dora", "admin"]}}},
    "groups": {
        "properties": {
            "own-vars": {
                "user_environment": True,
                "environment": {"FROM_GROUP": "g", "SHARED": "group"},
            }
        }
    },
}


def env_api(hub, method: str, user: str, token: str | None = None, **kwargs):
    return hub.api(method, f"/labfleet/users/{user}/environment", token=token, **kwargs)


def stored(hub) -> dict[str, dict[str, str]]:
    """user name -> stored variables, straight from labfleet's table."""
    rows = hub.query(
        "select users.name, e.variables from labfleet_user_environment e"
        " join users on users.id = e.user_id"
    )
    return {name: json.loads(variables) for name, variables in rows}


def test_a_user_sees_their_variables_the_groups_and_the_reserved_names(hub):
    answer = env_api(hub, "GET", "owner", token=user_token(hub, "owner")).json()
    assert answer["allowed"] is True and answer["problem"] is None
    assert answer["environment"] == {}
    assert answer["groups_environment"] == {"FROM_GROUP": "g", "SHARED": "group"}
    assert {"HOME", "PATH", "LANG", "SHELL", "USER"} <= set(answer["reserved"]["names"])
    assert {"JUPYTERHUB_*", "JPY_*"} <= set(answer["reserved"]["prefixes"])


def test_reserved_names_are_refused_with_the_list_and_nothing_changes(hub):
    token = user_token(hub, "owner")
    assert env_api(hub, "PUT", "owner", token, json={"environment": {"KEEP": "1"}}).ok
    response = env_api(
        hub, "PUT", "owner", token,
        json={"environment": {"HOME": "/tmp", "JUPYTERHUB_API_TOKEN": "x", "FINE": "1"}},
    )  # fmt: skip
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Nothing was changed: reserved names: HOME, JUPYTERHUB_API_TOKEN")
    for listed in ("HOME", "USER", "SHELL", "PATH", "LANG", "JUPYTERHUB_*", "JPY_*"):
        assert listed in message
    assert env_api(hub, "GET", "owner", token).json()["environment"] == {"KEEP": "1"}


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"environment": ["A=1"]}, "must be a mapping"),
        ({}, "must be a mapping"),
        ({"environment": {"1ABC": "x"}}, "is not a variable name"),
        ({"environment": {"A-B": "x"}}, "is not a variable name"),
        ({"environment": {"LIST": ["x"]}}, "LIST: the value must be text"),
        ({"environment": {"BIG": "x" * 5000}}, "BIG: the value must be at most 4096"),
    ],
)
def test_bad_variables_are_refused(hub, body, expected):
    response = env_api(hub, "PUT", "owner", json=body)
    assert response.status_code == 400
    assert expected in response.json()["message"]


def test_without_a_group_that_allows_it_nothing_can_be_kept(hub):
    hub.create_user("solo")
    assert env_api(hub, "GET", "solo").json()["allowed"] is False
    response = env_api(hub, "PUT", "solo", json={"environment": {"A": "1"}})
    assert response.status_code == 403
    assert "user_environment: true" in response.json()["message"]
    assert "solo" not in stored(hub)


def test_own_variables_reach_the_server_at_its_next_start_and_win_over_groups(hub):
    saved = env_api(
        hub, "PUT", "dora", token=user_token(hub, "dora"),
        json={"environment": {"MY_VAR": "x y=z", "SHARED": "mine", "PORT": 8080}},
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert (
        saved.json()["message"] == "Saved 3 variables. They apply at the next start of the server."
    )
    assert stored(hub)["dora"] == {"MY_VAR": "x y=z", "SHARED": "mine", "PORT": "8080"}
    hub.spawn("dora")
    try:
        env = server_environment(hub, "dora")
        assert env["MY_VAR"] == "x y=z" and env["PORT"] == "8080"
        assert env["SHARED"] == "mine" and env["FROM_GROUP"] == "g"
        assert env["JUPYTERHUB_USER"] == "dora"
        changed = env_api(hub, "PUT", "dora", json={"environment": {"MY_VAR": "new"}})
        assert "The server is running: stop and start it" in changed.json()["message"]
        assert server_environment(hub, "dora")["MY_VAR"] == "x y=z"
    finally:
        hub.stop_server("dora")


def test_own_variables_are_not_applied_once_no_group_allows_them(hub):
    hub.create_user("eve")
    assert hub.api("POST", "/groups/eve-vars").status_code == 201
    hub.api("POST", "/groups/eve-vars/users", json={"users": ["eve"]}).raise_for_status()
    assert hub.api("PUT", "/labfleet/groups/eve-vars", json={"user_environment": True}).ok
    assert env_api(hub, "PUT", "eve", json={"environment": {"EVE_VAR": "1"}}).ok
    hub.api("DELETE", "/groups/eve-vars/users", json={"users": ["eve"]}).raise_for_status()
    answer = env_api(hub, "GET", "eve").json()
    assert answer["allowed"] is False and answer["environment"] == {"EVE_VAR": "1"}
    hub.spawn("eve")
    try:
        assert "EVE_VAR" not in server_environment(hub, "eve")
    finally:
        hub.stop_server("eve")


def test_variables_follow_a_rename_and_go_with_the_user(hub):
    hub.create_user("fay")
    hub.api("POST", "/groups/own-vars/users", json={"users": ["fay"]}).raise_for_status()
    assert env_api(hub, "PUT", "fay", json={"environment": {"FAY": "1"}}).ok
    assert hub.api("PATCH", "/users/fay", json={"name": "faye"}).ok
    assert env_api(hub, "GET", "faye").json()["environment"] == {"FAY": "1"}
    assert hub.api("DELETE", "/users/faye").status_code == 204
    assert "faye" not in stored(hub) and "fay" not in stored(hub)
    ((count,),) = hub.query(
        "select count(*) from labfleet_user_environment where user_id not in (select id from users)"
    )
    assert count == 0


# -- who may call the route, pages, XSRF --------------------------------------------------

CALLERS = {"anonymous": 403, "other user": 404, "narrow token": 403, "self": 200, "admin": 200}


@pytest.fixture(scope="module")
def tokens(hub):
    hub.create_user("other")
    return caller_tokens(hub, "owner", "other")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_permission_matrix(hub, tokens, caller, method):
    headers = {"Authorization": f"token {tokens[caller]}"} if tokens[caller] else {}
    response = requests.request(
        method,
        f"{hub.url}/hub/api/labfleet/users/owner/environment",
        json={"environment": {"KEEP": "1"}} if method == "PUT" else None,
        headers=headers,
        timeout=30,
    )
    assert response.status_code == CALLERS[caller], response.text
    assert response.headers["Content-Type"].startswith("application/json")
    if CALLERS[caller] >= 400:
        assert response.json()["status"] == CALLERS[caller] and response.json()["message"]


def test_browser_puts_need_the_xsrf_token_and_the_pages_render(hub):
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    url = f"{hub.url}/hub/api/labfleet/users/admin/environment"
    body = {"environment": {"EDITOR": "vim"}}
    assert session.put(url, json=body, timeout=30).status_code == 403
    xsrf = session.cookies.get("_xsrf", path="/hub/")
    allowed = session.put(url, json=body, headers={"X-XSRFToken": xsrf}, timeout=30)
    assert allowed.status_code == 200, allowed.text
    own = session.get(f"{hub.url}/hub/labfleet/environment", timeout=30)
    assert own.status_code == 200 and "EDITOR=vim" in own.text and "JUPYTERHUB_*" in own.text
    theirs = session.get(f"{hub.url}/hub/labfleet/users/owner/environment", timeout=30)
    assert theirs.status_code == 200 and "Environment variables of owner" in theirs.text
    anonymous = requests.get(
        f"{hub.url}/hub/labfleet/environment", timeout=30, allow_redirects=False
    )
    assert anonymous.status_code == 302 and "/hub/login" in anonymous.headers["Location"]


def test_the_navigation_links_the_page_only_to_users_who_may_set_variables(hub):
    def nav_links(name: str, groups: list[str]) -> str:
        session, login = hub.login(name, create_account(hub, name, groups))
        assert login.status_code == 302
        home = session.get(f"{hub.url}/hub/home", timeout=30)
        assert home.status_code == 200
        return home.text

    link = 'href="/hub/labfleet/environment"'
    assert link in nav_links("navvars", ["own-vars"])
    assert link not in nav_links("navplain", [])  # the page would only say "not allowed"
