"""The control panel's API on the local backend, driven as users and admins do."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from harness import audit_rows, get_file, panel, put_file, user_token

HUB_CONFIG = {
    "labfleet": {"users_reset_home": True},
    "culling": {"idle_timeout": 3600, "max_extension_hours": 4},
    # the cache volume is mounted at ~/.cache: let the contents API reach it
    "spawner": {"args": ["--ContentsManager.allow_hidden=True"]},
}


def audit_events(hub, action: str) -> list[tuple]:
    return [(actor, target, result) for actor, target, result, _ in audit_rows(hub, action)]


@pytest.fixture(scope="module")
def erin(hub):
    """A user whose server holds a file in each volume."""
    hub.create_user("erin")
    hub.spawn("erin")
    for volume in ("", "workspace/", ".cache/"):
        put_file(hub, "erin", f"{volume}kept.txt", f"in {volume or 'home'}")
    return "erin"


def test_volumes_are_listed_with_sizes(hub, erin):
    answer = panel(hub, "GET", erin, "volumes").json()
    assert answer["backend"] == "local" and answer["server_running"] is True
    volumes = {v["name"]: v for v in answer["volumes"]}
    assert list(volumes) == ["home", "workspace", "cache"]
    for volume in volumes.values():
        assert volume["exists"] and volume["size_bytes"] > 0
        assert volume["resource"].endswith(f"/volumes/{volume['name']}/erin")
    assert volumes["workspace"]["mount"] == "workspace"
    # erin is told what her volumes hold, not where they are on the host
    own = panel(hub, "GET", erin, "volumes", token=user_token(hub, erin)).json()["volumes"]
    assert [v["name"] for v in own] == ["home", "workspace", "cache"]
    assert all("resource" not in v for v in own) and own[1]["mount"] == "workspace"


def test_reset_is_refused_while_the_server_runs(hub, erin):
    response = panel(hub, "DELETE", erin, "volumes", json={"volumes": ["home"]})
    assert response.status_code == 409
    assert response.json() == {
        "status": 409,
        "message": "erin's server is running: stop it before resetting volumes",
    }


def test_restart_in_place_keeps_port_token_and_files(hub, erin):
    before = hub.user(erin)["servers"][""]
    pid_before = hub.spawner_pid(erin)
    response = panel(hub, "POST", erin, "restart")
    assert response.status_code == 200, response.text
    assert response.json()["url"] == "/user/erin/"
    after = hub.user(erin)["servers"][""]
    assert after["ready"] and after["started"] == before["started"]
    assert hub.spawner_pid(erin) != pid_before
    # the proxy route and token are unchanged: the server answers at once
    assert get_file(hub, erin, "workspace/kept.txt").json()["content"] == "in workspace/"
    assert ("labfleet-tests", "erin", "ok") in audit_events(hub, "server.restart")


def test_logs_show_what_the_server_printed(hub, erin):
    lines = panel(hub, "GET", erin, "logs", params={"tail": 400}).json()["lines"]
    assert any("Jupyter Server" in line and "is running at" in line for line in lines)
    assert len(panel(hub, "GET", erin, "logs", params={"tail": 3}).json()["lines"]) == 3
    for bad in ("0", "x", "99999", "²"):
        response = panel(hub, "GET", erin, "logs", params={"tail": bad})
        assert response.status_code == 400 and "tail" in response.json()["message"]


def test_logs_are_in_words_for_their_user(hub, erin):
    """Erin reads her server's progress and her own errors in words: not the lines as
    printed, which hold host paths and the requests of others (the admin's uploads)."""
    raw = panel(hub, "GET", erin, "logs", params={"tail": 400}).json()
    assert raw["raw"] is True
    assert any("(labfleet-tests@" in line for line in raw["lines"])
    assert any(f"local directory: {hub.home(erin)}" in line for line in raw["lines"])

    own = panel(hub, "GET", erin, "logs", token=user_token(hub, erin), params={"tail": 400})
    words = own.json()
    assert words["raw"] is False
    assert any(line.endswith("Your server is running.") for line in words["lines"])
    assert any(line.endswith("Received workspace/kept.txt.") for line in words["lines"])
    shown = "\n".join(words["lines"])
    assert "labfleet-tests" not in shown and "@127.0.0.1" not in shown
    assert str(hub.root) not in shown


def test_server_output_in_words():
    from labfleet.server_output import in_words

    printed = [
        "[I 2026-01-31 10:00:01.000 ServerApp] Serving notebooks from local directory: /srv/v/ann",
        "[I 2026-01-31 10:00:02.000 ServerApp] Jupyter Server 2.14.0 is running at:",
        "[I 2026-01-31 10:00:03.000 ServerApp] 200 PUT /user/ann/api/x (admin@127.0.0.1) 2.00ms",
        "[W 2026-01-31 10:00:04.000 ServerApp] 500 PUT /user/ann/api/y (admin@127.0.0.1) 2.00ms",
        "[E 2026-01-31 10:00:05.000 ServerApp] 500 PUT /user/ann/lab/api/workspaces/default"
        "?t=1 (ann@127.0.0.1) 3.10ms",
        "[E 2026-01-31 10:00:06.000 ServerApp] Permission denied: '/nonexistent/.jupyter/ws'",
        "[I 2026-01-31 10:00:07.000 ServerApp] Kernel started: 3f2a, name: python3",
        "Traceback (most recent call last):",
        '  File "/srv/labfleet/users-env/lib/python3.11/x.py", line 1, in <module>',
        "ModuleNotFoundError: No module named 'pandsa'",
        "[I 2026-01-31 10:00:08.000 ServerApp] Saving file at /day1/quiz.ipynb",
        "[I 2026-01-31 10:00:09.000 ServerApp] Shutting down 1 kernel",
    ]
    assert in_words(printed, "ann") == [
        "10:00:01  Your server is starting.",
        "10:00:02  Your server is running.",
        "10:00:05  Error: your server could not answer PUT /lab/api/workspaces/default (500).",
        "10:00:06  Error: Permission denied: 'ws'",
        "10:00:07  A kernel started.",
        "10:00:07  Error: ModuleNotFoundError: No module named 'pandsa'",
        "10:00:08  Saved day1/quiz.ipynb.",
        "10:00:09  Your server is stopping.",
    ]


def test_a_second_operation_while_one_runs_gets_409(hub, erin):
    token = user_token(hub, erin)
    answers: list = []

    def press_restart() -> None:
        answers.append(panel(hub, "POST", erin, "restart", token=token))

    # the user presses Restart twice at once: one restart runs, the other is refused
    for _ in range(5):
        presses = [threading.Thread(target=press_restart) for _ in range(2)]
        for press in presses:
            press.start()
        for press in presses:
            press.join()
        if any(a.status_code == 409 for a in answers):
            break
    refused = [a for a in answers if a.status_code != 200]
    assert refused and all(a.status_code == 409 for a in refused), [a.text for a in answers]
    assert "in progress" in refused[0].json()["message"]
    assert len(refused) < len(answers)  # the other restarted the server
    assert hub.user(erin)["servers"][""]["ready"]


def test_extend_moves_the_deadline_and_truncates_at_the_cap(hub, erin):
    session = panel(hub, "GET", erin, "session").json()
    assert session["running"] and session["culling"] and not session["warning"]
    assert session["extended_hours"] == 0 and session["hours_addable"] == 4
    assert 3500 < session["seconds_left"] <= 3600

    extended = panel(hub, "POST", erin, "session/extend", json={"hours": 1}).json()
    assert extended["added_hours"] == 1 and not extended["truncated"]
    moved = datetime.fromisoformat(extended["deadline"]) - datetime.fromisoformat(
        session["deadline"]
    )
    assert moved.total_seconds() >= 3600

    capped = panel(hub, "POST", erin, "session/extend", json={"hours": 10}).json()
    assert capped["added_hours"] == 3 and capped["truncated"] is True
    assert "Added 3 hours of the 10 asked" in capped["message"]
    assert capped["extended_hours"] == 4 and capped["hours_addable"] == 0

    full = panel(hub, "POST", erin, "session/extend", json={"hours": 1})
    assert full.status_code == 409 and "maximum of 4 hours" in full.json()["message"]
    for bad in ({"hours": 0}, {"hours": 1.5}, {"hours": "2"}, {}, [1]):
        assert panel(hub, "POST", erin, "session/extend", json=bad).status_code == 400


def test_reset_home_keeps_the_other_volumes(hub, erin):
    hub.stop_server(erin)
    response = panel(hub, "DELETE", erin, "volumes", json={"volumes": ["home"]})
    assert response.status_code == 200, response.text
    assert response.json()["reset"] == ["home"]
    listed = {v["name"]: v["exists"] for v in panel(hub, "GET", erin, "volumes").json()["volumes"]}
    assert listed == {"home": False, "workspace": True, "cache": True}
    hub.spawn(erin)
    assert get_file(hub, erin, "kept.txt").status_code == 404
    assert get_file(hub, erin, "workspace/kept.txt").json()["content"] == "in workspace/"
    assert get_file(hub, erin, ".cache/kept.txt").json()["content"] == "in .cache/"
    assert ("labfleet-tests", "erin", "ok") in audit_events(hub, "volumes.reset")


def test_a_user_resets_their_own_home_when_the_setting_allows(hub, erin):
    """labfleet.users_reset_home is on here (off by default: see test_permissions)."""
    token = user_token(hub, erin)
    hub.stop_server(erin)
    listed = panel(hub, "GET", erin, "volumes", token=token).json()["volumes"]
    assert all(v["resettable"] for v in listed)
    done = panel(hub, "DELETE", erin, "volumes", token=token, json={"volumes": ["home"]})
    assert done.status_code == 200, done.text
    assert ("erin", "erin", "ok") in audit_events(hub, "volumes.reset")
    hub.spawn(erin)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"volumes": []}, 'as {"volumes": [...]}'),
        ({"volumes": ["home", "home"]}, 'as {"volumes": [...]}'),
        ({"volumes": ["hme"]}, "Unknown volumes ['hme']"),
        ({"vols": ["home"]}, 'as {"volumes": [...]}'),
    ],
)
def test_bad_reset_requests_change_nothing(hub, erin, body, message):
    response = panel(hub, "DELETE", erin, "volumes", json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert all(v["exists"] for v in panel(hub, "GET", erin, "volumes").json()["volumes"])


def test_operations_are_rate_limited_per_user(hub):
    hub.create_user("rita")
    token = user_token(hub, "rita")
    for _ in range(6):
        ok = panel(hub, "DELETE", "rita", "volumes", token=token, json={"volumes": ["cache"]})
        assert ok.status_code == 200, ok.text
    limited = panel(hub, "DELETE", "rita", "volumes", token=token, json={"volumes": ["cache"]})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert "at most 6 a minute" in limited.json()["message"]
    # the limit is rita's: another caller is not slowed by her requests
    hub.create_user("fay")
    assert panel(hub, "DELETE", "fay", "volumes", json={"volumes": ["cache"]}).status_code == 200


def test_unknown_user_is_404(hub):
    response = panel(hub, "GET", "nobody", "volumes")
    assert response.status_code == 404
    assert response.json()["status"] == 404
