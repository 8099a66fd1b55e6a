"""Fast starts on the local backend (as root): servers forked from labfleet's fork server
carry nothing of root's or another user's, keep what JupyterLab saves in the user's home as
a plain start does, a start works when the fork server is gone, and starts past the hub's
limit wait their turn, their spawn page showing their place."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from pathlib import Path

import pytest
import requests
from browser import log_in, needs_chromium, shot
from harness import (
    create_account,
    run_in_kernel,
    running_hub,
    server_environment,
    user_token,
    wait_for,
)

from labfleet.backends import processes
from labfleet.notify.tickets import INGEST, KEY_ENVIRONMENT, KEY_FILE_ENVIRONMENT, sign

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the fork server forks as root")


@pytest.fixture(scope="module")
def hub():
    # one start at a time: a few starts at once make some wait
    config = {"culling": {"enabled": False}, "local": {"concurrent_starts": 1}}
    with running_hub("faststarts", config) as instance:
        yield instance


def fork_server_pid(hub) -> int | None:
    """The pid of the hub's fork server, once it listens (its children show the command
    of a server: python -m labfleet.singleuser)."""
    socket = hub.data_dir / "forkserver" / "forkserver.sock"
    if not socket.exists():  # bound once everything is imported
        return None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command[1:5] == [b"-P", b"-m", b"labfleet.singleuser.forkserver", bytes(socket)]:
                return int(entry.name)
    return None


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def start_server(hub, name: str, forked: bool) -> int:
    """Start ``name``'s server as a child of the fork server (up first) or, not ``forked``,
    the ordinary way (the fork server ended first); its pid."""
    if not forked:
        wait_for(lambda: fork_server_pid(hub), 120, "the fork server")
        os.kill(fork_server_pid(hub), signal.SIGKILL)
    wait_for(lambda: bool(fork_server_pid(hub)) == forked, 120, "the fork server")
    hub.spawn(name)
    pid = hub.spawner_pid(name)
    assert (parent_of(pid) == fork_server_pid(hub)) == forked, "forked, or not, as asked"
    return pid


def started_forked(hub, name: str) -> int:
    """Make ``name`` and start their server from the fork server; its pid."""
    hub.create_user(name)
    return start_server(hub, name, forked=True)


def memory_holds(pid: int, needle: bytes) -> bool:
    """Whether ``needle`` is anywhere in the memory of process ``pid`` (read as root)."""
    regions = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        addresses, permissions = line.split()[:2]
        if permissions.startswith("r"):
            start, end = (int(a, 16) for a in addresses.split("-"))
            regions.append((start, end))
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for start, end in regions:
            try:
                memory.seek(start)
                if needle in memory.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue
    return False


def test_a_forked_server_holds_no_other_users_token(hub):
    first = started_forked(hub, "ann")
    second = started_forked(hub, "bob")
    ann_token = server_environment(hub, "ann")["JUPYTERHUB_API_TOKEN"].encode()
    bob_token = server_environment(hub, "bob")["JUPYTERHUB_API_TOKEN"].encode()
    assert memory_holds(second, bob_token)  # the scan finds what is there
    assert not memory_holds(second, ann_token)
    assert not memory_holds(fork_server_pid(hub), ann_token)
    assert not memory_holds(fork_server_pid(hub), bob_token)
    assert first != second


def test_a_forked_server_is_its_account_alone(hub):
    """From a notebook: the server above the kernel runs as the student's account with its
    groups only, no capabilities, in its own control group, with nothing of root's open."""
    pid = started_forked(hub, "cy")
    code = """
import json, os
server = os.getppid()
status = dict(l.split(":", 1) for l in open(f"/proc/{server}/status").read().splitlines())
print(json.dumps({
    "uid": status["Uid"].split(), "gid": status["Gid"].split(), "groups": status["Groups"].split(),
    "cap": status["CapEff"].strip(), "home": os.environ["HOME"], "cwd": os.getcwd(),
    "env": sorted(os.environ), "cgroup": open(f"/proc/{server}/cgroup").read(),
}))
"""
    seen = json.loads(run_in_kernel(hub, "cy", code, user_token(hub, "cy")))
    account = hub.home("cy").stat()
    assert set(seen["uid"]) == {str(account.st_uid)}
    assert set(seen["gid"]) == {str(account.st_gid)}
    assert seen["groups"] == [str(account.st_gid)]
    assert int(seen["cap"], 16) == 0
    assert seen["home"] == str(hub.home("cy"))
    assert re.search(r"labfleet.*cy", seen["cgroup"]), seen["cgroup"]
    assert not {"SUDO_USER", "LABFLEET_CONFIG", "JUPYTERHUB_CRYPT_KEY"} & set(seen["env"])
    # open files of the server (as root): its log and sockets, nothing of the fork server's
    opened = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
    named = [target for target in opened if target.startswith("/")]
    assert all("forkserver" not in target for target in opened), opened
    logs = {target for target in named if target.endswith(".log")}
    assert logs == {str(hub.data_dir / "logs" / "cy.log")}, named


def test_a_start_works_when_the_fork_server_is_gone(hub):
    wait_for(lambda: fork_server_pid(hub), 120, "the fork server")
    os.kill(fork_server_pid(hub), signal.SIGKILL)
    wait_for(lambda: fork_server_pid(hub) is None, 20, "the fork server to end")
    hub.create_user("dee")
    hub.spawn(name := "dee")
    pid = hub.spawner_pid(name)
    assert processes.process_uid(pid) == hub.home(name).stat().st_uid
    hub.stop_server(name)
    # that start asked for a new fork server, and the next start is its child again
    started_forked(hub, "eve")


SERVER_ENVIRONMENT = """
import json, os
try:
    environ = open("/proc/{pid}/environ", "rb").read().decode(errors="replace")
except PermissionError:
    environ = None
print(json.dumps({{"environ": environ, "key_file_left": os.path.exists({key_file!r})}}))
"""


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "plain"])
def test_a_kernel_cannot_read_its_servers_notification_key(hub, forked):
    """The server's environment holds no notification key: not as root reads it, nor as a
    notebook of the account does (a plain start's, where a forked server's is not even
    readable to the account); the file that brought the key is gone, and the server has
    the key."""
    name = "kim" if forked else "kip"
    hub.create_user(name)
    pid = start_server(hub, name, forked)
    key = hub.notify_key(name)
    environment = server_environment(hub, name)  # read as root
    assert KEY_ENVIRONMENT not in environment and key.hex() not in str(environment)
    code = SERVER_ENVIRONMENT.format(pid=pid, key_file=environment[KEY_FILE_ENVIRONMENT])
    seen = json.loads(run_in_kernel(hub, name, code, user_token(hub, name)))
    assert not seen["key_file_left"]
    if not forked:
        assert f"JUPYTERHUB_USER={name}" in seen["environ"]  # the account reads it
    if seen["environ"] is not None:
        assert key.hex() not in seen["environ"] and f"{KEY_ENVIRONMENT}=" not in seen["environ"]
    body = b'{"message": "the key arrived"}'
    path = f"/user/{name}/{INGEST}"
    headers = {"Authorization": sign(key, path, body, 60)}
    delivered = requests.post(f"{hub.url}{path}", data=body, headers=headers, timeout=30)
    assert delivered.status_code == 200, delivered.text
    hub.stop_server(name)


LAYOUT = {
    "data": {"layout-restorer:data": {"main": {"dock": {"widgets": ["notebook:lesson.ipynb"]}}}},
    "metadata": {"id": "default"},
}
THEMES = "@jupyterlab/apputils-extension:themes"


def lab_api(hub, name: str, method: str, path: str, **kwargs) -> requests.Response:
    """JupyterLab's own API on ``name``'s server (what the page calls as it is used)."""
    return requests.request(
        method,
        f"{hub.url}/user/{name}/lab/api/{path}",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
        **kwargs,
    )


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "plain"])
def test_jupyterlab_keeps_its_layout_and_settings(hub, forked):
    """What JupyterLab saves as it is used (the layout of its tabs, a setting) is kept in
    the student's home and comes back after their server restarts: a forked server as a
    plain one (nothing of the fork server's home)."""
    name = "lay" if forked else "lap"
    hub.create_user(name)
    start_server(hub, name, forked)
    saved = lab_api(hub, name, "PUT", "workspaces/default", json=LAYOUT)
    assert saved.status_code == 204, saved.text
    dark = {"raw": '{"theme": "JupyterLab Dark"}'}
    theme = lab_api(hub, name, "PUT", f"settings/{THEMES}", json=dark)
    assert theme.status_code == 204, theme.text
    assert (hub.home(name) / ".jupyter" / "lab" / "workspaces").is_dir()

    hub.stop_server(name)
    start_server(hub, name, forked)
    layout = lab_api(hub, name, "GET", "workspaces/default")
    assert layout.status_code == 200, layout.text
    assert layout.json()["data"] == LAYOUT["data"]
    settings = lab_api(hub, name, "GET", f"settings/{THEMES}")
    assert settings.status_code == 200 and settings.json()["settings"]["theme"] == "JupyterLab Dark"
    hub.stop_server(name)


def progress_messages(hub, name: str, into: dict[str, list[str]]) -> None:
    """The messages of ``name``'s spawn progress, as the spawn page shows them."""
    response = requests.get(
        f"{hub.url}/hub/api/users/{name}/server/progress",
        headers={"Authorization": f"token {hub.token}"},
        stream=True,
        timeout=180,
    )
    into[name] = [
        json.loads(line[len(b"data:") :])["message"]
        for line in response.iter_lines()
        if line.startswith(b"data:")
    ]


def test_starts_past_the_limit_wait_their_turn_and_see_their_place(hub):
    names = ["q1", "q2", "q3", "q4"]
    for name in names:
        hub.create_user(name)
    answers: dict[str, int] = {}

    def press_start(name: str) -> None:
        answers[name] = hub.api("POST", f"/users/{name}/server").status_code

    pressing = [threading.Thread(target=press_start, args=(name,)) for name in names]
    for thread in pressing:
        thread.start()

    def pending() -> bool:
        servers = [hub.user(name)["servers"].get("", {}) for name in names]
        return all(server.get("pending") == "spawn" or server.get("ready") for server in servers)

    wait_for(pending, 30, "the four starts")
    messages: dict[str, list[str]] = {}
    reading = [
        threading.Thread(target=progress_messages, args=(hub, name, messages)) for name in names
    ]
    for thread in reading:
        thread.start()
    for thread in [*reading, *pressing]:
        thread.join()
    assert all(code in (201, 202) for code in answers.values()), answers
    for name in names:
        wait_for(lambda name=name: hub.user(name)["servers"][""]["ready"], 120, f"{name} ready")
    waited = [m for name in names for m in messages.get(name, []) if m.startswith("Waiting")]
    # with one start at a time, the last of four waits behind others and is told so
    assert any(re.search(r"(\d+ ahead of you|you are next) \(1 starting now\)", m) for m in waited)
    assert all(messages[name][-1].startswith("Server ready") for name in names), messages


@needs_chromium
def test_the_spawn_page_shows_a_waiting_start_its_place(hub, page):
    from playwright.sync_api import expect

    password = create_account(hub, "tom", [])
    hub.create_user("first")
    # the one start allowed at a time cannot get its fork until the fork server goes on
    forks = wait_for(lambda: fork_server_pid(hub), 120, "the fork server")
    os.kill(forks, signal.SIGSTOP)
    try:
        first = threading.Thread(target=lambda: hub.api("POST", "/users/first/server"))
        first.start()
        wait_for(lambda: hub.user("first")["servers"].get("", {}).get("pending"), 30, "first")
        log_in(page, hub, "tom", password)
        page.goto(f"{hub.url}/hub/spawn/tom")
        page.wait_for_url(re.compile(r"/hub/spawn-pending/tom"))
        message = page.locator("#progress-message")
        expect(message).to_have_text("Waiting to start, you are next (1 starting now)")
        shot(page, "spawn-waiting.png")
    finally:
        os.kill(forks, signal.SIGCONT)
    first.join()
    page.wait_for_url(re.compile(r"/user/tom/"), timeout=120_000)
    assert hub.user("tom")["servers"][""]["ready"] and hub.user("first")["servers"][""]["ready"]
    assert page.errors == []
