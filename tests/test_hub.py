"""The hub as a user and an admin meet it: login, users, servers through the proxy."""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
from urllib.parse import quote

import pytest
import requests
from harness import put_file

from labfleet.objects import system_account_name

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="system accounts need root")


def test_first_start_prints_admin_credentials(hub):
    assert hub.admin_password, hub.tail()
    assert len(hub.admin_password.split("-")) == 4
    assert any("username: admin" in line for line in hub.start_output)


def test_admin_logs_in_through_the_login_form(hub):
    session, response = hub.login("admin", hub.admin_password)
    assert response.status_code == 302
    home = session.get(f"{hub.url}/hub/home", timeout=10)
    assert home.status_code == 200
    assert home.url == f"{hub.url}/hub/home"
    me = session.get(f"{hub.url}/hub/api/user", timeout=10).json()
    assert me["name"] == "admin" and me["admin"] is True


def test_wrong_password_is_refused(hub):
    session, response = hub.login("admin", "not-the-password")
    assert response.status_code == 403
    assert "Invalid username or password" in response.text
    assert session.get(f"{hub.url}/hub/home", timeout=10, allow_redirects=False).status_code == 302


def test_password_appears_only_in_the_banner(hub):
    lines = [line for line in hub.output if hub.admin_password in line]
    assert lines == [f"  password: {hub.admin_password}\n"]


def test_create_user_through_the_api(hub):
    created = hub.create_user("alice")
    assert created["name"] == "alice" and created["admin"] is False
    names = [u["name"] for u in hub.api("GET", "/users").json()]
    assert "alice" in names


def test_server_starts_answers_through_the_proxy_and_stops(hub):
    hub.create_user("bob")
    server = hub.spawn("bob")
    assert server["url"] == "/user/bob/"
    status = requests.get(
        f"{hub.url}/user/bob/api/status",
        headers={"Authorization": f"token {hub.token}"},
        timeout=10,
    )
    assert status.status_code == 200, status.text
    assert "started" in status.json()
    lab = requests.get(
        f"{hub.url}/user/bob/lab", headers={"Authorization": f"token {hub.token}"}, timeout=30
    )
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    # JupyterLab does not ask a class about Jupyter's news (nor fetch it)
    config = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', lab.text, re.S
    )
    assert (
        "@jupyterlab/apputils-extension:announcements"
        in json.loads(config.group(1))["disabledExtensions"]
    )
    hub.stop_server("bob")
    gone = requests.get(f"{hub.url}/user/bob/api/status", timeout=10, allow_redirects=False)
    assert gone.status_code in (302, 424, 503)


@root_only
def test_escaped_usernames_get_separate_private_homes(hub):
    names = ["o.brien", "a-b_c@x.org"]
    for name in names:
        hub.create_user(name)
        hub.spawn(name)
        # write through the server's own contents API: the file lands in that user's home
        put_file(hub, name, quote("my notes+1.txt"), name)
        hub.stop_server(name)
    homes = [hub.home(name) for name in names]
    assert homes[0] != homes[1]
    for name, home in zip(names, homes, strict=True):
        assert home.parent == hub.data_dir / "volumes" / "home"
        assert (home / "my notes+1.txt").read_text() == name
        account = pwd.getpwuid(home.stat().st_uid)
        assert account.pw_name == system_account_name(hub.account_prefix, name)
        assert oct(home.stat().st_mode & 0o777) == "0o700"
    # neither account can look into the other's home
    other = subprocess.run(
        ["runuser", "-u", pwd.getpwuid(homes[0].stat().st_uid).pw_name, "--", "ls", str(homes[1])],
        capture_output=True, text=True,
    )  # fmt: skip
    assert other.returncode != 0 and "Permission denied" in other.stderr


def test_concurrent_starts_and_stops_of_one_server_each_get_an_answer(hub):
    """Start and stop pressed at once, again and again: one wins, the others hear 409."""
    from concurrent.futures import ThreadPoolExecutor

    from harness import wait_for

    hub.create_user("racer")
    statuses = []
    for _ in range(3):
        with ThreadPoolExecutor(8) as pool:
            calls = [pool.submit(hub.api, m, "/users/racer/server") for m in ("POST", "DELETE") * 4]
            answers = [call.result() for call in calls]
        statuses += [a.status_code for a in answers]
        for answer in answers:
            if answer.status_code == 409:
                assert answer.json()["message"]
        wait_for(
            lambda: not hub.user("racer")["servers"].get("", {}).get("pending"), 120, "no pending"
        )
    assert set(statuses) <= {201, 202, 204, 409}, statuses
    # the server is in one state or the other, and answers to the next press
    if hub.user("racer")["servers"]:
        hub.stop_server("racer")
    hub.spawn("racer")
    hub.stop_server("racer")
