"""Temporary users (/hub/tmplogin): one user per browser, a limit per address, deleted with
their volumes and system account some time after (a running server stopped first), regular
users never; offered on the public login page only when asked."""

from __future__ import annotations

import os
import pwd
import re

import pytest
import requests
from harness import audit_rows, create_account, wait_for

from labfleet.objects import system_account_name

LIFETIME = 20
HUB_CONFIG = {
    "auth": {
        "temporary_users": True,
        "temporary_user_seconds": LIFETIME,
        "temporary_logins_per_source": 4,
    },
    # each test comes from an address of its own (X-Forwarded-For of a trusted proxy)
    "proxy": {"trusted_proxies": ["127.0.0.1"]},
}


def browser(address: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def temporary_login(hub, session: requests.Session) -> str:
    """Follow /hub/tmplogin as a browser does, up to the spawn page; the user it made."""
    answer = session.get(f"{hub.url}/hub/tmplogin", allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].endswith("/hub/spawn")
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=30)
    assert home.status_code == 200, home.status_code  # logged in: the page names the user
    return re.search(r'<span class="me-1">([^<]+)</span>', home.text).group(1)


def test_one_browser_keeps_its_user_and_two_browsers_get_two(hub):
    first = browser("198.51.100.1")
    name = temporary_login(hub, first)
    assert name.startswith("tmp-")
    assert temporary_login(hub, first) == name  # the same browser again
    other = temporary_login(hub, browser("198.51.100.2"))
    assert other.startswith("tmp-") and other != name


def test_the_public_login_page_does_not_offer_them_unless_asked(hub):
    login_page = requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert "labfleet-temporary-link" not in login_page and "tmplogin" not in login_page


def test_one_address_makes_a_limited_number(hub):
    answers = [
        requests.get(f"{hub.url}/hub/tmplogin", allow_redirects=False, timeout=30) for _ in range(5)
    ]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, [a.status_code for a in answers]
    assert "Too many temporary users" in refused[0].text


@pytest.mark.skipif(os.geteuid() != 0, reason="system accounts are made only as root")
def test_expired_temporary_users_go_with_their_volumes_and_accounts_but_regular_users_stay(hub):
    regular = create_account(hub, "regina", [])
    assert regular
    name = temporary_login(hub, browser("198.51.100.5"))
    hub.spawn(name)
    account = system_account_name(hub.account_prefix, name)
    assert pwd.getpwnam(account)
    home = hub.home(name)
    assert home.exists()
    hub.stop_server(name)

    def gone() -> bool:
        return hub.api("GET", f"/users/{name}").status_code == 404

    wait_for(gone, LIFETIME * 4, f"{name} to be deleted")
    assert not home.exists()
    with pytest.raises(KeyError):
        pwd.getpwnam(account)
    assert hub.api("GET", "/users/regina").status_code == 200  # older, but not temporary


@pytest.mark.skipif(os.geteuid() != 0, reason="system accounts are made only as root")
def test_an_expired_temporary_user_goes_even_while_its_server_runs(hub):
    name = temporary_login(hub, browser("198.51.100.6"))
    hub.spawn(name)
    pid = hub.spawner_pid(name)
    home = hub.home(name)
    assert home.exists()

    def gone() -> bool:
        return hub.api("GET", f"/users/{name}").status_code == 404

    wait_for(gone, LIFETIME * 4, f"{name} to be deleted, its server running")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the server was stopped first
    assert not home.exists()
    deleted = [d for _, target, _, d in audit_rows(hub, "user.delete") if target == name]
    assert deleted == [{"reason": "temporary user expired", "server_stopped": True}]


def test_the_login_page_offers_them_when_asked(hub):
    hub.update_config({"auth": {**HUB_CONFIG["auth"], "temporary_users_on_login_page": True}})
    hub.restart()
    login_page = requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert 'id="labfleet-temporary-link"' in login_page and "/hub/tmplogin" in login_page
