"""Accounts that hold under attack: lockout races, guessing from one address, lookalike
names, blank passwords, scoped tokens, sign-up floods, overlong requests."""

from __future__ import annotations

import statistics
import threading
import time
import unicodedata

import requests
from harness import accounts, create_account, labfleet_api, login_status, run_labfleet, user_token

LIMIT = 5
HUB_CONFIG = {
    "auth": {
        "allowed_failed_logins": LIMIT,
        "enable_signup": True,
        "signups_per_source": 7,
        "failed_logins_per_source": 60,
    },
    "accounts": {"max_pending_signups": 5},
}


def unlock(hub, name: str) -> None:
    response = labfleet_api(hub, "PATCH", f"/users/{name}/account", json={"locked": False})
    assert response.status_code == 200, response.text


def test_parallel_guesses_cannot_outrun_the_lockout(hub):
    password = create_account(hub, "target", [])
    for _ in range(3):
        answers: dict[int, int] = {}

        # eleven browsers on the login form: then only the posts race
        sessions = [hub.login_session() for _ in range(11)]

        def attempt(i: int, secret: str) -> None:
            answers[i] = hub.post_login(sessions[i], "target", secret).status_code

        guesses = [threading.Thread(target=attempt, args=(i, "wrong-guess")) for i in range(10)]
        for guess in guesses:
            guess.start()
        time.sleep(0.05)
        right = threading.Thread(target=attempt, args=(10, password))
        right.start()
        for thread in [*guesses, right]:
            thread.join()
        # the right password, after ten wrong ones, finds the account locked
        assert answers[10] == 403, answers
        assert accounts(hub)["target"]["locked_seconds"] > 0
        unlock(hub, "target")
    assert login_status(hub, "target", password)[0] == 302


def test_an_unknown_name_takes_as_long_as_a_known_one(hub):
    create_account(hub, "known", [])

    def seconds(name: str) -> float:
        start = time.perf_counter()
        login_status(hub, name, "not-the-password")
        return time.perf_counter() - start

    known = statistics.median(seconds("known") for _ in range(3))
    unknown = statistics.median(seconds(f"nobody{i}") for i in range(3))
    unlock(hub, "known")
    # both check a bcrypt hash: an unknown name is not told apart by its speed
    assert unknown > known / 3, (known, unknown)


def test_a_locked_out_admin_unlocks_on_the_machine(hub):
    password = create_account(hub, "boss", [])
    for _ in range(LIMIT):
        login_status(hub, "boss", "wrong-password")
    assert login_status(hub, "boss", password)[0] == 403
    done = run_labfleet("users", "unlock", "boss", "--config", str(hub.config_path), cwd=hub.root)
    assert done.returncode == 0 and "Unlocked boss" in done.stdout, done.stderr
    assert login_status(hub, "boss", password)[0] == 302
    events = labfleet_api(hub, "GET", "/audit", params={"action": "user.unlock"}).json()
    assert events["events"][0]["target"] == "boss"


def test_a_token_limited_to_a_user_cannot_make_them_an_admin(hub):
    hub.create_user("bob")
    narrow = user_token(hub, "admin", scopes=["admin:users!user=bob"])
    made = hub.api("PATCH", "/users/bob", token=narrow, json={"admin": True})
    assert made.status_code == 403, made.text
    assert hub.user("bob")["admin"] is False
    # it still does what it is for
    assert hub.api("GET", "/users/bob", token=narrow).status_code == 200
    assert hub.api("PATCH", "/users/bob", json={"admin": True}).status_code == 200


def test_blank_passwords_are_refused(hub):
    hub.create_user("blank")
    for password in ["        ", "\t\t\t\t\t\t\t\t", "   \u3000   \u3000"]:
        response = labfleet_api(hub, "POST", "/users/blank/password", json={"password": password})
        assert response.status_code == 400, repr(password)
        assert "must not be blank or only spaces" in response.json()["message"]


def test_names_are_one_form_and_lookalikes_are_refused(hub):
    create_account(hub, "ada", [])
    created = labfleet_api(hub, "POST", "/users", json={"usernames": ["аda", "ａｄａ", "ADA"]})
    reasons = {r["username"]: r["reason"] for r in created.json()["rejected"]}
    assert "looks like 'ada'" in reasons["аda"]  # Cyrillic а
    assert "looks like 'ada'" in reasons["ａｄａ"]  # fullwidth
    assert "already exists" in reasons["ADA"]  # names are lower-cased
    # é typed as e + a combining accent is the same name as é
    password = create_account(hub, "josé", [])
    assert login_status(hub, unicodedata.normalize("NFD", "josé"), password)[0] == 302


def sign_up(hub, name: str) -> int:
    """Fill in and send the sign-up form as a browser does; the answer's status."""
    session = requests.Session()
    session.get(f"{hub.url}/hub/labfleet/signup", timeout=30)
    return session.post(
        f"{hub.url}/hub/labfleet/signup",
        data={"username": name, "password": "amber-forest-lake",
              "password_confirmation": "amber-forest-lake",
              "_xsrf": session.cookies.get("_xsrf", path="/hub/")},
        timeout=60,
    ).status_code  # fmt: skip


def test_pending_signups_stay_under_the_cap_when_they_come_at_once(hub):
    threads = [threading.Thread(target=sign_up, args=(hub, f"crowd{i}")) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pending = [a for a in accounts(hub).values() if a["has_password"] and not a["approved"]]
    assert len(pending) == 5
    # the address made 5 sign-ups; 2 more are allowed this hour, then 429
    for name in [a["name"] for a in pending]:
        labfleet_api(hub, "DELETE", f"/users/{name}/account", json={"delete_volumes": False})
    statuses = [sign_up(hub, f"later{i}") for i in range(3)]
    assert statuses == [200, 200, 429]


def test_an_overlong_request_is_answered_414(hub):
    response = requests.get(f"{hub.url}/hub/api/users", params={"q": "x" * 100_000}, timeout=30)
    assert response.status_code == 414


def test_one_address_cannot_guess_on_and_on(hub):
    """Run last: it uses up this address's failed logins for the module."""
    password = create_account(hub, "later", [])
    statuses = [login_status(hub, f"guess{i}", "wrong")[0] for i in range(70)]
    assert 429 in statuses and statuses.index(429) <= 60
    # from this address even the right password waits now
    assert login_status(hub, "later", password)[0] == 429


def test_jupyterhubs_own_user_routes_refuse_lookalikes_too(hub):
    create_account(hub, "lena", [])
    for method, path, body in [
        ("POST", "/users", {"usernames": ["lеna"]}),  # Cyrillic е, as the Admin page posts
        ("POST", "/users/ｌｅｎａ", None),  # fullwidth
    ]:
        response = hub.api(method, path, json=body)
        assert response.status_code == 400, response.text
        assert "looks like 'lena'" in response.json()["message"]
    hub.create_user("max")
    renamed = hub.api("PATCH", "/users/max", json={"name": "lеna"})
    assert renamed.status_code == 400 and "looks like 'lena'" in renamed.json()["message"]
    assert hub.api("PATCH", "/users/max", json={"name": "maxine"}).status_code == 200
