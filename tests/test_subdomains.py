"""One origin per server (JupyterHub's ``subdomain_host``), and why a class needs it.

A page a student's server serves runs in the browser of whoever opens it. On a shared
origin it can read the hub's pages and mint an admin token with the admin's cookie; on an
origin of its own it cannot. The attack is code run on a page of the student's server,
in real Chromium, as the admin who opened it. ``*.localhost`` is this machine: Chromium
resolves it so itself, and this module's Python requests are told the same.
"""

from __future__ import annotations

import os
import textwrap

import pytest
import requests
from browser import needs_chromium
from harness import Hub, make_root, names_on_loopback, run_in_kernel, user_token, wait_for

from labfleet.backends import processes

# the student's script, run on a page of her server (her JupyterLab, where an extension or
# a notebook's output runs script): take the hub's XSRF token from one of its pages and
# create a token of the admin who is looking at the page
STEAL_TOKEN = """
async (hub) => {
  try {
    const page = await (await fetch(hub + "token", { credentials: "include" })).text();
    const xsrf = (page.match(/xsrf_token: "([^"]*)"/) || [])[1] || "";
    const made = await fetch(hub + "api/users/admin/tokens", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json", "X-XSRFToken": xsrf },
      body: JSON.stringify({ note: "stolen" }),
    });
    return `${made.status}`;
  } catch (error) {
    return `blocked: ${error.message}`;
  }
}
"""


@pytest.fixture(scope="module", autouse=True)
def localhost_names():
    """Resolve *.localhost to this machine for this module's requests, as browsers do."""
    with names_on_loopback(".localhost"):
        yield


def start_hub(name: str, subdomains: bool) -> Hub:
    instance = Hub(make_root(name), name=name)
    if subdomains:
        # the hub's pages and API answer on its own host only
        instance.url = f"http://hub.localhost:{instance.port}"
        instance.update_config({"hub": {"subdomain_host": instance.url}})
    try:
        instance.start()
        instance.create_user("alice")
        instance.spawn("alice")
    except BaseException:
        instance.cleanup()  # a fixture that fails leaves no hub or proxy running
        raise
    return instance


@pytest.fixture(scope="module")
def shared():
    """A hub whose servers share its origin (JupyterHub's default)."""
    instance = start_hub("shared-origin", subdomains=False)
    yield instance
    instance.cleanup()


@pytest.fixture(scope="module")
def separate():
    """A hub with one origin per server: alice's is alice.hub.localhost."""
    instance = start_hub("subdomains", subdomains=True)
    yield instance
    instance.cleanup()


def stolen_tokens(hub: Hub) -> list[dict]:
    tokens = hub.api("GET", "/users/admin/tokens").json()["api_tokens"]
    return [t for t in tokens if t["note"] == "stolen"]


def log_in_as_admin(page, hub_url: str, hub: Hub) -> None:
    page.goto(f"{hub_url}/hub/login?next=%2Fhub%2Fhome")
    page.fill("#username_input", "admin")
    page.fill("#password_input", hub.admin_password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub_url}/hub/home")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="users are isolated only when labfleet is root")
def test_the_start_warns_when_isolated_servers_share_the_hubs_origin(shared, separate):
    warning = "servers share the hub's origin"
    assert any(warning in line for line in shared.start_output)
    assert not any(warning in line for line in separate.start_output)


@pytest.mark.slow
def test_each_server_answers_on_its_own_host_only(separate):
    token = user_token(separate, "alice")
    headers = {"Authorization": f"token {token}"}
    own = requests.get(
        f"http://alice.hub.localhost:{separate.port}/user/alice/api/status",
        headers=headers,
        timeout=30,
    )
    assert own.status_code == 200 and "started" in own.json()
    # on the hub's host the server is not served: the hub sends the browser to its host
    on_hub = requests.get(
        f"http://hub.localhost:{separate.port}/user/alice/api/status", headers=headers, timeout=30
    )
    assert [r.status_code for r in on_hub.history] == [302, 302]
    assert on_hub.url.startswith(f"http://alice.hub.localhost:{separate.port}/user/alice/")


@needs_chromium
def test_a_page_of_a_shared_origin_server_can_act_as_the_admin(shared, page):
    """The risk, shown: without subdomain_host the student's page mints an admin token."""
    log_in_as_admin(page, shared.url, shared)
    page.goto(f"{shared.url}/user/alice/lab", wait_until="domcontentloaded")
    assert page.evaluate(STEAL_TOKEN, f"{shared.url}/hub/") == "201"
    assert len(stolen_tokens(shared)) == 1


@needs_chromium
def test_a_page_of_a_server_on_its_own_origin_cannot_act_as_the_admin(separate, page):
    hub_url = f"http://hub.localhost:{separate.port}"
    log_in_as_admin(page, hub_url, separate)
    alice = f"http://alice.hub.localhost:{separate.port}/user/alice/"
    page.goto(f"{alice}lab", wait_until="domcontentloaded")
    if "/oauth2/authorize" in page.url:  # the admin agrees to open another user's server
        page.click("form [type=submit]")
    page.wait_for_url(f"{alice}lab*", wait_until="domcontentloaded")
    answer = page.evaluate(STEAL_TOKEN, f"{hub_url}/hub/")
    assert answer.startswith("blocked") or answer.startswith("4"), answer
    assert stolen_tokens(separate) == []


@pytest.mark.slow
def test_a_users_own_jupyter_config_is_not_loaded(shared):
    """disable_user_config: a student's ~/.jupyter cannot change what her server sends."""
    token = user_token(shared, "alice")
    config = textwrap.dedent("""
        import os
        os.makedirs(os.path.expanduser("~/.jupyter"), exist_ok=True)
        with open(os.path.expanduser("~/.jupyter/jupyter_server_config.py"), "w") as f:
            f.write("c.ServerApp.tornado_settings = {'headers': {"
                    "'Content-Security-Policy': 'default-src *', 'X-Student': 'was here'}}\\n")
    """)
    run_in_kernel(shared, "alice", config, token)
    restarted = shared.api("POST", "/labfleet/users/alice/restart")
    assert restarted.status_code == 200, restarted.text
    answer = requests.get(
        f"{shared.url}/user/alice/api/status",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert "X-Student" not in answer.headers
    assert "default-src *" not in answer.headers["Content-Security-Policy"]


@pytest.mark.slow
def test_a_broadcast_reaches_a_server_on_its_own_host(separate):
    """Delivered at alice.hub.localhost, as her browser reaches her server."""
    sent = separate.api("POST", "/labfleet/notifications", json={"message": "On my own host"})
    assert sent.status_code == 200, sent.text
    assert [(r["username"], r["delivered"]) for r in sent.json()["results"]] == [("alice", True)]
    shown = requests.get(
        f"http://alice.hub.localhost:{separate.port}/user/alice/"
        "jupyterlab-notifications-extension/notifications",
        headers={"Authorization": f"token {user_token(separate, 'alice')}"},
        timeout=30,
    ).json()["notifications"]
    assert [n["message"] for n in shown] == ["On my own host"]


@pytest.mark.slow
def test_servers_started_before_a_change_of_subdomain_host_are_stopped():
    """A server adopted across a change of hub.subdomain_host would keep the origins (and
    cookies) it was started for: the hub stops it instead."""
    instance = Hub(make_root("host-change"), {"hub": {"cleanup_servers": False}}, "host-change")
    try:
        instance.start()
        instance.create_user("alice")
        instance.spawn("alice")
        pid = instance.spawner_pid("alice")
        instance.stop()
        assert processes.process_uid(pid) is not None  # it outlived the hub, as servers do
        instance.url = f"http://hub.localhost:{instance.port}"
        instance.update_config({"hub": {"subdomain_host": instance.url}})
        instance.start()
        assert not instance.user("alice")["servers"]
        wait_for(lambda: processes.process_uid(pid) is None, 15, "alice's server to end")
        assert "it was started for subdomain_host ''" in instance.tail(200)
    finally:
        instance.cleanup()


@pytest.mark.slow
def test_the_hubs_pages_and_cookies_stay_on_the_hubs_host(separate):
    """A user's host never serves the hub's login page (a victim logging in there would hand
    the session to the student's page), and the hub's cookies are the hub host's alone."""
    on_alice = requests.get(
        f"http://alice.hub.localhost:{separate.port}/hub/login?next=x",
        allow_redirects=False,
        timeout=30,
    )
    assert on_alice.status_code == 308
    assert on_alice.headers["Location"] == f"{separate.url}/hub/login?next=x"
    session, login = separate.login("admin", separate.admin_password)
    assert login.status_code == 302
    # host-only: no Domain attribute, so no user's host below the hub's receives them
    assert {c.name: (c.domain, c.domain_specified) for c in session.cookies} == {
        name: ("hub.localhost", False)
        for name in ("_xsrf", "jupyterhub-hub-login", "jupyterhub-session-id")
    }
