"""The proxy (Caddy): streams answers, keeps the user's cookies, outlives the hub."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import requests
from harness import SPAWN_TIMEOUT, run_in_kernel, run_labfleet, user_token, wait_for

from labfleet.backends import processes

LIMIT = 1024 * 1024  # proxy.max_request_body here
# the spawn request answers at once, while the server starts; servers outlive the hub
HUB_CONFIG = {
    "hub": {"tornado_settings": {"slow_spawn_timeout": 0}, "cleanup_servers": False},
    "proxy": {"max_request_body": LIMIT},
}


def proxy_pid(hub) -> int:
    return int((hub.data_dir / "proxy" / "caddy.pid").read_text())


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


def test_bodies_past_the_limit_never_reach_a_server(hub):
    """Bodies sent without any token, as an attacker would to exhaust a server's memory."""
    hub.create_user("bulky")
    hub.spawn("bulky")
    url = f"{hub.url}/user/bulky/api/contents/big.txt"
    big = requests.put(url, data=b"x" * (2 * LIMIT), timeout=60)
    assert big.status_code == 413
    chunked = requests.put(url, data=iter([b"x" * 65536] * 40), timeout=60)  # 2.5 MB, chunked
    assert chunked.status_code == 413
    # below the limit the server itself answers (it wants a token)
    small = requests.put(url, data=b"x" * (LIMIT // 2), timeout=60)
    assert small.status_code == 403, small.text
    # a chunked body below the limit reaches the server whole
    body = json.dumps({"type": "file", "format": "text", "content": "y" * 300_000}).encode()
    pieces = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    token = {"Authorization": f"token {user_token(hub, 'bulky')}"}
    saved = requests.put(url, data=pieces, headers=token, timeout=60)
    assert saved.status_code in (200, 201), saved.text
    assert requests.get(url, headers=token, timeout=60).json()["size"] == 300_000
    hub.stop_server("bulky")


def test_a_hub_restart_goes_unseen_by_running_servers(hub):
    """SIGTERM, then SIGKILL, of the hub, then a new route, while a user's token polls the
    server and a kernel prints through its websocket: no poll fails, no line is lost, the
    proxy stays."""
    hub.create_user("steady")
    hub.spawn("steady")
    token = user_token(hub, "steady")
    proxy = proxy_pid(hub)
    lines = 250  # 25 s of printing, every 0.1 s
    printed: list[str] = []
    failures: list[str] = []
    polls = [0]
    done = threading.Event()

    def print_lines() -> None:
        code = (
            f"import time\nfor i in range({lines}):\n    print(i, flush=True)\n    time.sleep(0.1)"
        )
        printed.append(run_in_kernel(hub, "steady", code, token, timeout=60))
        done.set()

    def poll() -> None:
        while not done.is_set():
            try:
                answer = requests.get(
                    f"{hub.url}/user/steady/api/status",
                    headers={"Authorization": f"token {token}"},
                    timeout=10,
                )
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code}: {answer.text[:200]}")
            except requests.RequestException as e:
                failures.append(repr(e))
            polls[0] += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=print_lines), threading.Thread(target=poll)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    hub.stop()  # SIGTERM
    # meanwhile the hub's own pages say it is back in a moment
    page = requests.get(f"{hub.url}/hub/login", timeout=10)
    assert page.status_code == 503 and "Back in a moment" in page.text
    hub.start()
    hub.proc.kill()  # SIGKILL
    hub.proc.wait()
    hub.start()
    # a route added meanwhile (a new server) changes Caddy's configuration: open
    # connections, the websocket too, are kept
    hub.create_user("newcomer")
    hub.spawn("newcomer")
    assert not done.is_set()  # the kernel still prints through its websocket
    for thread in threads:
        thread.join(timeout=90)
    assert failures == [], failures
    assert polls[0] > 100
    assert printed and printed[0].split() == [str(i) for i in range(lines)]
    assert proxy_pid(hub) == proxy
    assert hub.user("steady")["servers"][""]["ready"]


def test_labfleet_stop_ends_every_server_the_hub_and_the_proxy(hub):
    """Run last: it stops the module's hub."""
    hub.create_user("last")
    hub.spawn("last")
    server, proxy = hub.spawner_pid("last"), proxy_pid(hub)
    stopped = run_labfleet("stop", "--servers", "--config", str(hub.config_path), cwd=hub.root)
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped the hub and the proxy and every server." in stopped.stdout
    assert hub.proc.wait(timeout=30) == 0
    for pid in (server, proxy):
        wait_for(lambda pid=pid: processes.process_uid(pid) is None, 15, f"process {pid} to end")
