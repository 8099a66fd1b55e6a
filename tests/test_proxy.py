"""The default proxy: streams answers, keeps paths as sent, keeps the user's cookies."""

from __future__ import annotations

import json
import os
import signal

import requests
from harness import SPAWN_TIMEOUT

# the spawn request answers at once, while the server starts
HUB_CONFIG = {"hub": {"tornado_settings": {"slow_spawn_timeout": 0}}}


def test_spawn_progress_streams_while_the_server_starts(hub):
    hub.create_user("stream")
    response = hub.api("POST", "/users/stream/server")
    assert response.status_code == 202, response.text  # still starting
    events = requests.get(
        f"{hub.url}/hub/api/users/stream/server/progress",
        headers={"Authorization": f"token {hub.token}"},
        stream=True,
        timeout=SPAWN_TIMEOUT,
    )
    assert events.headers["Content-Type"].startswith("text/event-stream")
    lines = (line for line in events.iter_lines(decode_unicode=True) if line.startswith("data:"))
    first = json.loads(next(lines).removeprefix("data:"))
    # the first event arrives while the server is still starting
    assert not first.get("ready")
    assert not hub.user("stream")["servers"][""]["ready"]
    last = first
    for line in lines:
        last = json.loads(line.removeprefix("data:"))
    assert last["ready"] is True
    events.close()


def test_error_pages_keep_the_users_cookies(hub):
    hub.create_user("crashing")
    hub.spawn("crashing")
    # the server dies; its route stays until the hub notices, and the proxy answers with
    # the hub's error page
    os.kill(hub.spawner_pid("crashing"), signal.SIGKILL)
    down = requests.get(
        f"{hub.url}/user/crashing/api/status",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert down.status_code >= 500
    assert "Set-Cookie" not in down.headers
