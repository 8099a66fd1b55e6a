"""Broadcasts into running JupyterLab sessions: delivery, failures, history, schedules,
late starters, the culler's warning, the CLI, who may send, and attacks on the tickets."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from harness import (
    audit_rows,
    get_file,
    labfleet_api,
    run_in_kernel,
    run_labfleet,
    running_hub,
    user_token,
    wait_for,
)

from labfleet.notify import tickets
from labfleet.singleuser.material import ROUTE as MATERIAL_ROUTE

HUB_CONFIG = {
    "notifications": {"timeout": 2, "replay_minutes": 10},
    "hub": {
        "load_groups": {"class": {"users": ["bob"]}, "announcers": {"users": ["nora"]}},
        # those who may broadcast without being admins
        "load_roles": [
            {"name": "admin", "services": ["labfleet-tests"]},
            {"name": "announcer", "scopes": ["custom:labfleet:notify"], "groups": ["announcers"]},
        ],
    },
}
RUNNING = ("alice", "bob", "dave")  # dave's server is frozen where a test needs it broken
INGEST_STORE = "jupyterlab-notifications-extension/notifications"


@pytest.fixture(scope="module", autouse=True)
def servers(hub):
    for name in ("alice", "dave", "carol", "erin"):  # bob comes with his group
        hub.create_user(name)
    for name in RUNNING:
        hub.spawn(name)


def received(hub, user: str) -> list[dict]:
    """What the user's JupyterLab has to show, read (and taken) from the extension's own API."""
    response = requests.get(
        f"{hub.url}/user/{user}/{INGEST_STORE}",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


def broadcast(hub, token: str | None = None, **body) -> requests.Response:
    return labfleet_api(hub, "POST", "/notifications", token=token, json=body)


def results_of(answer: dict) -> dict[str, str]:
    return {
        r["username"]: "delivered" if r["delivered"] else r["reason"] for r in answer["results"]
    }


def test_every_running_server_shows_the_message_at_once(hub):
    answer = broadcast(hub, message="Maintenance at 22:00", type="warning", auto_close=False)
    assert answer.status_code == 200, answer.text
    assert results_of(answer.json()) == {name: "delivered" for name in RUNNING}
    for name in RUNNING:
        (shown,) = [n for n in received(hub, name) if n["message"] == "Maintenance at 22:00"]
        assert shown["type"] == "warning" and shown["autoClose"] is False


def test_a_link_is_offered_as_an_action(hub):
    answer = broadcast(
        hub, message="Slides", link="https://example.org/slides", recipients={"users": ["alice"]}
    )
    assert results_of(answer.json()) == {"alice": "delivered"}
    (shown,) = [n for n in received(hub, "alice") if n["message"] == "Slides"]
    (action,) = shown["actions"]
    assert action["args"]["url"] == "https://example.org/slides"


def test_groups_and_users_choose_the_recipients(hub):
    answer = broadcast(hub, message="For the class", recipients={"groups": ["class"]})
    assert results_of(answer.json()) == {"bob": "delivered"}
    assert not [n for n in received(hub, "alice") if n["message"] == "For the class"]
    answer = broadcast(hub, message="Two", recipients={"groups": ["class"], "users": ["alice"]})
    assert results_of(answer.json()) == {"alice": "delivered", "bob": "delivered"}


def test_stopped_and_broken_recipients_fail_with_a_reason_while_the_rest_get_it(hub):
    pid = hub.spawner_pid("dave")
    os.kill(pid, signal.SIGSTOP)  # dave's server hangs: it takes no request
    try:
        answer = broadcast(
            hub, message="Who is there?", recipients={"users": ["alice", "carol", "dave"]}
        )
    finally:
        os.kill(pid, signal.SIGCONT)
    assert answer.status_code == 200, answer.text
    results = results_of(answer.json())
    assert results["alice"] == "delivered"
    assert results["carol"] == "not running"
    assert results["dave"].startswith("timed out")
    assert answer.json()["delivered"] == 1 and answer.json()["failed"] == 2


@pytest.mark.parametrize(
    "body, says",
    [
        ({"message": ""}, "Give the message"),
        ({"message": "x" * 141}, "at most 140"),
        ({"message": "hi", "type": "loud"}, "Unknown type"),
        ({"message": "hi", "auto_close": "yes"}, "auto_close"),
        ({"message": "hi", "link": "javascript:alert(1)"}, "http"),
        ({"message": "hi", "recipients": {"groups": ["nobody-here"]}}, "no group nobody-here"),
        ({"message": "hi", "recipients": {"users": ["zed"]}}, "no user zed"),
        ({"message": "hi", "recipients": {"all": True, "users": ["bob"]}}, "cannot be combined"),
        ({"message": "hi", "recipients": {"everyone": True}}, "recipients"),
        ({"message": "hi", "at": "tomorrow"}, "ISO 8601"),
        ({"message": "hi", "at": "2020-01-01T00:00:00Z"}, "not in the future"),
    ],
)
def test_bad_input_is_refused_with_a_reason(hub, body, says):
    before = hub.query("select count(*) from labfleet_broadcasts")
    answer = broadcast(hub, **body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == 400 and says in answer.json()["message"]
    assert hub.query("select count(*) from labfleet_broadcasts") == before


def test_the_history_lists_every_broadcast_with_its_results(hub):
    for text in ("First of the record", "Second of the record"):
        broadcast(hub, message=text, recipients={"users": ["alice"]})
    sent = broadcast(hub, message="For the record", recipients={"users": ["alice", "carol"]})
    broadcast_id = sent.json()["id"]
    first = labfleet_api(hub, "GET", "/notifications?limit=2").json()
    assert first["broadcasts"][0]["id"] == broadcast_id and first["limit"] == 2
    assert first["total"] >= 2 and len(first["broadcasts"]) == 2
    second = labfleet_api(hub, "GET", "/notifications?limit=2&offset=2").json()
    assert {b["id"] for b in second["broadcasts"]}.isdisjoint(b["id"] for b in first["broadcasts"])
    one = labfleet_api(hub, "GET", f"/notifications/{broadcast_id}").json()
    assert one["status"] == "sent" and results_of(one) == {
        "alice": "delivered",
        "carol": "not running",
    }
    assert labfleet_api(hub, "GET", "/notifications?limit=0").status_code == 400
    assert labfleet_api(hub, "GET", "/notifications?offset=²").status_code == 400
    assert labfleet_api(hub, "GET", "/notifications/999999").status_code == 404
    ((actor, target, _, detail),) = [
        row
        for row in audit_rows(hub, "notification.broadcast")
        if row[3]["broadcast"] == broadcast_id
    ]
    assert target == "alice, carol" and detail["delivered"] == 1 and detail["failed"] == 1


def test_a_scheduled_broadcast_goes_out_at_its_time_and_can_be_cancelled(hub):
    soon = datetime.now(timezone.utc) + timedelta(seconds=3)
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    scheduled = broadcast(
        hub, message="On time", recipients={"users": ["bob"]}, at=soon.isoformat()
    )
    assert scheduled.status_code == 202 and scheduled.json()["status"] == "scheduled"
    cancelled = broadcast(hub, message="Never", recipients={"users": ["bob"]}, at=later.isoformat())
    cancel = labfleet_api(hub, "DELETE", f"/notifications/{cancelled.json()['id']}")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    def sent():
        answer = labfleet_api(hub, "GET", f"/notifications/{scheduled.json()['id']}").json()
        return answer if answer["status"] == "sent" else None

    answer = wait_for(sent, 30, "the scheduled broadcast")
    assert results_of(answer) == {"bob": "delivered"}
    assert datetime.fromisoformat(answer["sent"]) >= soon
    assert [n for n in received(hub, "bob") if n["message"] == "On time"]
    again = labfleet_api(hub, "DELETE", f"/notifications/{scheduled.json()['id']}")
    assert again.status_code == 409 and "sent" in again.json()["message"]


def test_a_server_that_starts_later_gets_what_it_missed(hub):
    missed = broadcast(hub, message="While you were away", recipients={"users": ["erin"]})
    assert results_of(missed.json()) == {"erin": "not running"}
    hub.spawn("erin")
    try:

        def arrived():
            return [n for n in received(hub, "erin") if n["message"] == "While you were away"]

        wait_for(arrived, 30, "the broadcast to reach erin's new server")
        url = f"/notifications/{missed.json()['id']}"
        # the hub records the delivery once the server's answer is back
        wait_for(lambda: labfleet_api(hub, "GET", url).json()["delivered"] == 1, 10,
                 "the delivery in the history")  # fmt: skip
    finally:
        hub.stop_server("erin")


def test_the_broadcast_command_prints_each_result(hub, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(hub.token)
    done = run_labfleet(
        "broadcast", "From the terminal", "--user", "alice", "--user", "carol",
        "--url", hub.url, "--token-file", str(token_file), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # carol's server is not running
    assert "alice" in done.stdout and "delivered" in done.stdout
    assert "carol" in done.stdout and "not running" in done.stdout
    assert [n for n in received(hub, "alice") if n["message"] == "From the terminal"]
    refused = run_labfleet(
        "broadcast", "x" * 200, "--url", hub.url, "--token-file", str(token_file), cwd=tmp_path
    )
    assert refused.returncode == 2 and "at most 140" in refused.stderr


# -- who may broadcast ---------------------------------------------------------------------

CALLERS = ("anonymous", "user", "narrow token", "notify token", "admin")


@pytest.fixture(scope="module")
def callers(hub) -> dict[str, str | None]:
    return {
        "anonymous": None,
        "user": user_token(hub, "alice"),
        "narrow token": user_token(hub, "admin", scopes=["read:users:name"]),
        "notify token": user_token(hub, "nora", scopes=["custom:labfleet:notify"]),
        "admin": hub.token,
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/notifications", None),
        ("POST", "/notifications", {"message": "Matrix", "recipients": {"users": ["carol"]}}),
        ("GET", "/notifications/1", None),
        ("DELETE", "/notifications/1", None),
    ],
)
def test_permission_matrix(hub, callers, caller, method, path, body):
    token = callers[caller]
    answer = requests.request(
        method,
        f"{hub.url}/hub/api/labfleet{path}",
        json=body,
        headers={"Authorization": f"token {token}"} if token else {},
        timeout=30,
    )
    allowed = caller in ("notify token", "admin")
    if not allowed:
        assert answer.status_code == 403, answer.text
        assert answer.json()["status"] == 403 and answer.json()["message"]
    elif method == "DELETE":
        assert answer.status_code == 409  # broadcast 1 was sent, not scheduled
    else:
        assert answer.status_code == 200, answer.text


def test_the_page_is_for_those_who_may_broadcast(hub):
    anonymous = requests.get(f"{hub.url}/hub/labfleet/notifications", allow_redirects=False)
    assert anonymous.status_code == 302 and "/hub/login" in anonymous.headers["Location"]
    admin, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    page = admin.get(f"{hub.url}/hub/labfleet/notifications", timeout=30)
    assert page.status_code == 200 and 'id="lf-broadcast"' in page.text
    assert 'href="/hub/labfleet/notifications"' in admin.get(f"{hub.url}/hub/home").text


# -- attacks on the tickets --------------------------------------------------------------


def post_ingest(hub, user: str, header: str, body: bytes, path: str | None = None):
    return requests.post(
        f"{hub.url}{path or f'/user/{user}/{tickets.INGEST}'}",
        data=body,
        headers={"Authorization": header, "Content-Type": "application/json"},
        timeout=30,
    )


def test_a_ticket_admits_one_message_to_one_server_once(hub):
    body = b'{"message": "forged?"}'
    path = f"/user/alice/{tickets.INGEST}"
    ticket = tickets.sign(hub.notify_key("alice"), path, body, 60)
    # alice, holding a ticket meant for her server, tries it elsewhere
    assert post_ingest(hub, "bob", ticket, body).status_code == 403
    assert post_ingest(hub, "alice", ticket, b'{"message": "other text"}').status_code == 403
    contents = requests.get(
        f"{hub.url}/user/alice/api/contents", headers={"Authorization": ticket}, timeout=30
    )
    assert contents.status_code == 403
    assert post_ingest(hub, "alice", ticket, body).status_code == 200
    assert post_ingest(hub, "alice", ticket, body).status_code == 403  # replayed
    expired = tickets.sign(hub.notify_key("alice"), path, body, 60, now=time.time() - 120)
    assert post_ingest(hub, "alice", expired, body).status_code == 403
    wrong_key = tickets.sign(b"0" * 32, path, body, 60)
    assert post_ingest(hub, "alice", wrong_key, body).status_code == 403
    assert [n["message"] for n in received(hub, "alice")].count("forged?") == 1


def test_no_kernel_inherits_the_servers_key(hub):
    token = user_token(hub, "alice")
    names = (tickets.KEY_ENVIRONMENT, tickets.KEY_FILE_ENVIRONMENT)
    printed = run_in_kernel(
        hub, "alice", f"import os; print([os.environ.get(n) for n in {names!r}])", token
    )
    assert printed.strip() == "[None, None]"


def sign_for(key: bytes, user: str, route: str, body: bytes) -> str:
    return tickets.sign(key, f"/user/{user}/{route}", body, 60)


def test_the_key_of_an_earlier_start_is_refused(hub):
    hub.spawn("carol")
    earlier = hub.notify_key("carol")
    hub.stop_server("carol")
    assert "notify_nonce" not in hub.spawner_state("carol")  # forgotten at the stop
    hub.spawn("carol")
    try:
        body = b'{"message": "from an earlier start"}'
        refused = post_ingest(hub, "carol", sign_for(earlier, "carol", tickets.INGEST, body), body)
        assert refused.status_code == 403
        current = sign_for(hub.notify_key("carol"), "carol", tickets.INGEST, body)
        assert post_ingest(hub, "carol", current, body).status_code == 200
    finally:
        hub.stop_server("carol")


def test_a_deleted_users_key_admits_nothing_to_the_next_user_of_the_name(hub):
    """The key the deleted ziggy held neither notifies nor writes files into the home of the
    next ziggy; the new server's own key does."""
    hub.create_user("ziggy")
    hub.spawn("ziggy")
    old = hub.notify_key("ziggy")
    gone = labfleet_api(hub, "DELETE", "/users/ziggy/account", json={"delete_volumes": True})
    assert gone.status_code == 200, gone.text
    hub.create_user("ziggy")
    hub.spawn("ziggy")
    planted = base64.b64encode(b"planted by the old key").decode()
    material = json.dumps(
        {"folder": "", "files": [{"path": "planted.txt", "content": planted, "earlier": []}]}
    ).encode()
    message = b'{"message": "from the deleted ziggy"}'
    for route, body in ((MATERIAL_ROUTE, material), (tickets.INGEST, message)):
        header = sign_for(old, "ziggy", route, body)
        answer = post_ingest(hub, "ziggy", header, body, path=f"/user/ziggy/{route}")
        assert answer.status_code == 403, (route, answer.text)
    assert get_file(hub, "ziggy", "planted.txt").status_code == 404
    new = sign_for(hub.notify_key("ziggy"), "ziggy", tickets.INGEST, message)
    assert post_ingest(hub, "ziggy", new, message).status_code == 200


def test_servers_started_before_a_hub_restart_still_take_broadcasts(hub):
    """Their keys derive from the cookie secret and the nonce of their start, which the hub
    keeps in their state: the restarted hub signs for them as before, with no key file of
    its own (as a hub pod, whose own disk goes with it)."""
    assert not (hub.data_dir / "hub" / "notify_secret").exists()
    hub.proc.send_signal(signal.SIGKILL)  # the servers go on, and are adopted at the start
    hub.proc.wait()
    hub.start()
    answer = broadcast(hub, message="After the restart", recipients={"users": ["alice"]})
    assert results_of(answer.json()) == {"alice": "delivered"}, answer.text


def test_a_broadcast_a_crash_cut_short_is_marked_interrupted_at_the_next_start(hub):
    """Not sent again: which servers showed it is unknown (no result was kept yet)."""
    pid = hub.spawner_pid("dave")
    os.kill(pid, signal.SIGSTOP)  # the delivery waits for dave's server: the hub dies then

    def send() -> None:
        try:
            broadcast(hub, message="Cut short", recipients={"users": ["alice", "dave"]})
        except requests.ConnectionError:
            pass  # the hub died before it answered

    sender = threading.Thread(target=send)
    sender.start()
    try:
        query = "select id from labfleet_broadcasts where message = 'Cut short' and status = ?"
        ((row_id,),) = wait_for(lambda: hub.query(query, "sending"), 10, "the delivery")
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait()
    finally:
        os.kill(pid, signal.SIGCONT)
        sender.join()
    hub.start()

    def marked() -> dict | None:
        answer = labfleet_api(hub, "GET", f"/notifications/{row_id}").json()
        return answer if answer["status"] != "sending" else None

    answer = wait_for(marked, 30, "the hub's start to mark the broadcast")
    assert (answer["status"], answer["results"]) == ("interrupted", [])
    assert [n["message"] for n in received(hub, "alice")].count("Cut short") <= 1
    assert "marked interrupted" in "".join(hub.output)


# -- the culler's warning -------------------------------------------------------------------


def test_the_culler_warns_before_it_stops_an_idle_server():
    config = {"culling": {"idle_timeout": 75, "every": 5, "warning_minutes": 1}}
    with running_hub("notifications-culling", config) as hub:
        hub.create_user("ida")
        hub.spawn("ida")

        def warned():
            return [n for n in received(hub, "ida") if "stops at" in n["message"]]

        (warning,) = wait_for(warned, 60, "the warning of the culler")
        assert hub.user("ida")["servers"], "the warning came after the cull"
        assert warning["type"] == "warning" and warning["autoClose"] is False
        assert "control panel" in warning["message"]
        assert warning["actions"][0]["args"]["url"].endswith("/hub/home")
        # recorded as the culler's (the cull itself: test_culling.py)
        rows = wait_for(
            lambda: hub.query("select actor, kind, delivered from labfleet_broadcasts"),
            30, "the warning's record",
        )  # fmt: skip
        assert rows == [("labfleet", "cull-warning", 1)]
