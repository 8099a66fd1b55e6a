"""Accounts that hold under attack: lockout races, guessing from one address, lookalike
names, blank passwords, scoped tokens, sign-up floods, overlong requests."""

from __future__ import annotations

import re
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


# -- who is locked out, what a lockout tells, what names and passwords may hold ----------


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections made from one address of 127.0.0.0/8: another client to the proxy."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def browser_at(hub, address: str, headers: dict[str, str] | None = None) -> requests.Session:
    """A browser at ``address`` on the login form (its XSRF cookie set)."""
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    session.headers.update(headers or {})
    session.get(f"{hub.url}/hub/login", timeout=10).raise_for_status()
    return session


def test_a_locked_out_attacker_does_not_lock_the_student_out(hub):
    password = create_account(hub, "student", [])
    student = "127.0.0.2"
    # the attacker claims the student's address too: the proxy replaces such headers
    attacker = browser_at(hub, "127.0.0.3", {"X-Forwarded-For": student, "X-Real-Ip": student})
    for _ in range(LIMIT):
        assert hub.post_login(attacker, "student", "wrong-guess").status_code == 403
    locked = hub.post_login(attacker, "student", password)
    assert locked.status_code == 403 and "Too many failed logins" in locked.text
    assert hub.post_login(browser_at(hub, student), "student", password).status_code == 302
    # the attacker stays locked out, whatever the student does; the admin sees the lock
    assert hub.post_login(attacker, "student", password).status_code == 403
    assert accounts(hub)["student"]["locked_seconds"] > 0
    unlock(hub, "student")
    assert hub.post_login(attacker, "student", password).status_code == 302


def test_a_lockout_does_not_tell_which_names_exist(hub):
    create_account(hub, "known2", [])
    attacker = browser_at(hub, "127.0.0.4")
    said = {}
    for name in ("known2", "nobody2"):
        for _ in range(LIMIT):
            answer = hub.post_login(attacker, name, "wrong-guess")
        said[name] = (answer.status_code, re.findall(r"Too many failed logins[^<]*", answer.text))
    assert said["known2"] == said["nobody2"] and said["known2"][1], said


def test_a_name_only_token_does_not_see_who_is_an_admin(hub):
    hub.create_user("plain")
    narrow = user_token(hub, "admin", scopes=["list:users", "read:users:name"])
    listed = hub.api("GET", "/users", token=narrow)
    assert listed.status_code == 200 and "admin" in [u["name"] for u in listed.json()]
    assert [u for u in listed.json() if "admin" in u] == []
    one = hub.api("GET", "/users/admin", token=narrow).json()
    assert one["name"] == "admin" and "admin" not in one
    # reading users (or their roles) still shows it
    full = user_token(hub, "admin", scopes=["read:users"])
    assert hub.api("GET", "/users/admin", token=full).json()["admin"] is True


def test_lookalike_and_invisible_names_are_refused(hub):
    for name in ("vera", "lola"):
        create_account(hub, name, [])
    twins = {
        "verɑ": "vera",  # Latin alpha
        "ǀola": "lola",  # Latin letter dental click
        "lo\u034fla": "lola",  # combining grapheme joiner
        "lola\u2061": "lola",  # function application
    }
    created = labfleet_api(
        hub, "POST", "/users", json={"usernames": [*twins, "ӏola", "kаte", "zoe\u2061x"]}
    )
    reasons = {r["username"]: r["reason"] for r in created.json()["rejected"]}
    for name, twin in twins.items():
        assert f"looks like {twin!r}" in reasons[name], reasons
    # Cyrillic palochka or а among Latin letters; an invisible character
    for name in ("ӏola", "kаte", "zoe\u2061x"):
        assert "letters and digits of one script" in reasons[name], reasons
    assert created.json()["created"] == []
    # JupyterHub's own route, as its admin page posts
    refused = hub.api("POST", "/users", json={"usernames": ["kаte"]})
    assert refused.status_code == 400 and "one script" in refused.json()["message"]
    fine = ["o.brien", "Ünïcode", "a-b_c@x.org", "иван", "山田たろう", "δήμος"]
    created = labfleet_api(hub, "POST", "/users", json={"usernames": fine})
    assert [c["username"] for c in created.json()["created"]] == [
        unicodedata.normalize("NFC", n).lower() for n in fine
    ], created.text


def test_invisible_and_control_passwords_are_refused(hub):
    create_account(hub, "ghost", [])
    for password in ["\u200b" * 8, "\x00" * 8, "amber\x00forest", "amber\u2061forest",
                     "\u3164" * 8]:  # fmt: skip
        response = labfleet_api(hub, "POST", "/users/ghost/password", json={"password": password})
        assert response.status_code == 400, repr(password)
        assert "control or invisible characters" in response.json()["message"]
    assert hub.post_login(browser_at(hub, "127.0.0.5"), "ghost", "").status_code == 403
