"""A real labfleet hub for tests: `labfleet up` on random loopback ports, driven over HTTP."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import yaml
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

LABFLEET = str(Path(sys.executable).parent / "labfleet")
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# unique per test run, so that runs side by side never share a system account; each hub
# adds a number of its own (a hub never takes over another hub's accounts)
TEST_ACCOUNT_PREFIX = f"lft{os.getpid() % 100000}-"
HUB_NUMBERS = itertools.count(1)
FAST_TIER = False  # set by conftest.py when the run leaves out the slow tier
START_TIMEOUT = 60
SPAWN_TIMEOUT = 90
READ_AGAIN = Retry(total=2, connect=2, read=2, status=0, allowed_methods={"GET"})


ISSUED_PORTS: set[int] = set()


def free_port() -> int:
    """A free loopback port, never one this run handed out already (a hub takes three)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in ISSUED_PORTS:
            ISSUED_PORTS.add(port)
            return port


def make_root(prefix: str) -> Path:
    """A temporary folder that the lab accounts can enter (pytest's tmp_path cannot be)."""
    root = Path(tempfile.mkdtemp(prefix=f"labfleet-{prefix}-", dir="/tmp"))
    root.chmod(0o711)
    return root


@contextlib.contextmanager
def names_on_loopback(suffix: str) -> Iterator[None]:
    """Resolve the host names ending in ``suffix`` to this machine, for this process's
    requests (as browsers do with ``*.localhost``)."""
    original = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(suffix):
            host = "127.0.0.1"
        return original(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = original


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Hub:
    """One labfleet hub process with its own data dir, config file and admin token."""

    def __init__(self, root: Path, config: dict[str, Any] | None = None, name: str = "hub"):
        self.root = root
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.account_prefix = f"{TEST_ACCOUNT_PREFIX}{next(HUB_NUMBERS)}-"
        self.config_path = root / "labfleet.yaml"
        self.data_dir = root / "labfleet-data"
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []
        self.starts = 0
        self.first_admin_password: str | None = None  # printed at the hub's first start
        base = {
            "labfleet": {"data_dir": str(self.data_dir), "registry": str(root / "hubs.json")},
            "local": {"account_prefix": self.account_prefix},
            "hub": {
                "bind_url": self.url,
                "services": [{"name": "labfleet-tests", "api_token": self.token}],
                "load_roles": [{"name": "admin", "services": ["labfleet-tests"]}],
                # nothing of a test module outlives it: its hub stops its servers when it
                # stops (the modules about servers surviving a hub restart turn this off)
                "cleanup_servers": True,
            },
        }
        self.config = base
        self.update_config(config or {})

    def update_config(self, config: dict[str, Any]) -> None:
        """Add settings to the hub's labfleet.yaml (read at its next start)."""
        for section, values in config.items():
            self.config.setdefault(section, {}).update(values)
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))

    # -- process -------------------------------------------------------------------

    def start(self, ignore_sigint: bool = False, args: tuple[str, ...] = ()) -> None:
        """Start `labfleet up` and wait until the hub API answers.

        ``ignore_sigint``: as from a script or in the background, SIGINT is ignored when the
        hub starts (and so by what it starts, unless it says otherwise).
        """
        if FAST_TIER:
            raise RuntimeError("a test of the fast tier starts a hub: mark it @pytest.mark.slow")
        self.starts += 1
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / f"{self.name}-{self.root.name}-{self.starts}.log", "w")

        def ignore() -> None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        self.proc = subprocess.Popen(
            [LABFLEET, "up", "--config", str(self.config_path), *args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=ignore if ignore_sigint else None,
        )
        first_line = len(self.output)

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                log.write(line)
                log.flush()
            log.close()

        threading.Thread(target=pump, daemon=True).start()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"labfleet up exited {self.proc.returncode}:\n{self.tail()}")
            try:
                return requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                return False

        wait_for(up, START_TIMEOUT, f"the hub at {self.url}")

        def said_ready() -> bool:  # the last words of the start: the first admin's password
            return any(line.startswith("labfleet is ready at") for line in self.output[first_line:])

        wait_for(said_ready, START_TIMEOUT, "the end of the hub's start-up output")
        self.start_output = self.output[first_line:]
        self.first_admin_password = self.first_admin_password or self.admin_password

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 40) -> str:
        return "".join(self.output[-lines:])

    @property
    def admin_password(self) -> str | None:
        """The password printed at the first start, if the current start printed one."""
        for line in self.start_output:
            match = re.match(r"\s+password: (\S+)", line)
            if match:
                return match.group(1)
        return None

    # -- HTTP ----------------------------------------------------------------------

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        """Call the hub's REST API (``path`` below /hub/api) with the admin token."""
        headers = {"Authorization": f"token {token or self.token}"}
        with requests.Session() as session:
            # a read is asked again when the proxy drops its connection unanswered (as
            # browsers do; it may as its configuration changes, at a server's start)
            session.mount("http://", HTTPAdapter(max_retries=READ_AGAIN))
            return session.request(
                method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs
            )

    def login(
        self, username: str, password: str, headers: dict[str, str] | None = None
    ) -> tuple[requests.Session, requests.Response]:
        """Post the login form as a browser does; returns the session and the answer.

        The answer is the form's own: 302 onwards when the password is right. The
        redirect is not followed, since it would start the user's server.
        """
        session = self.login_session(headers)
        return session, self.post_login(session, username, password)

    def login_session(self, headers: dict[str, str] | None = None) -> requests.Session:
        """A browser's session on the login form: its XSRF cookie set, nothing posted."""
        session = requests.Session()
        session.headers.update(headers or {})
        session.get(f"{self.url}/hub/login", timeout=10).raise_for_status()
        return session

    def post_login(
        self, session: requests.Session, username: str, password: str
    ) -> requests.Response:
        """Post the login form of ``session`` (see :meth:`login`)."""
        return session.post(
            f"{self.url}/hub/login",
            data={
                "username": username,
                "password": password,
                "_xsrf": session.cookies.get("_xsrf", path="/hub/"),
            },
            timeout=30,
            allow_redirects=False,
        )

    def user(self, name: str) -> dict:
        response = self.api("GET", f"/users/{name}")
        response.raise_for_status()
        return response.json()

    def create_user(self, name: str) -> dict:
        response = self.api("POST", f"/users/{name}")
        assert response.status_code == 201, response.text
        return response.json()

    def spawn(self, name: str) -> dict:
        """Start ``name``'s server and wait until the hub says it is ready."""
        response = self.api("POST", f"/users/{name}/server")
        assert response.status_code in (201, 202), response.text

        def ready():
            server = self.user(name)["servers"].get("")
            return server if server and server["ready"] else None

        try:
            return wait_for(ready, SPAWN_TIMEOUT, f"{name}'s server")
        except TimeoutError:
            raise TimeoutError(f"{name}'s server did not start:\n{self.tail()}") from None

    def stop_server(self, name: str) -> None:
        response = self.api("DELETE", f"/users/{name}/server")
        assert response.status_code in (202, 204), response.text
        wait_for(lambda: not self.user(name)["servers"], SPAWN_TIMEOUT, f"{name}'s server to stop")

    def query(self, sql: str, *args: Any) -> list[tuple]:
        """Rows of a query of the hub's database, read (or written) as the hub keeps it."""
        with contextlib.closing(
            sqlite3.connect(self.data_dir / "hub" / "labfleet.sqlite", timeout=30)
        ) as db:
            with db:
                return db.execute(sql, args).fetchall()

    def spawner_state(self, username: str) -> dict:
        """The state the hub keeps for a user's server (what it adopts after a restart)."""
        ((state,),) = self.query(
            "select spawners.state from spawners join users on users.id = spawners.user_id"
            " where users.name = ? and spawners.name = ''",
            username,
        )
        return json.loads(state)

    def spawner_pid(self, username: str) -> int:
        """The pid the hub keeps for a user's server (local backend)."""
        return self.spawner_state(username)["pid"]

    def notify_key(self, username: str) -> bytes:
        """The notification key of the current start of a user's server, derived as root
        from the hub's secret and the nonce the hub keeps for that start."""
        from labfleet.notify import tickets

        secret = bytes.fromhex((self.data_dir / "hub" / "cookie_secret").read_text().strip())
        nonce = self.spawner_state(username)["notify_nonce"]
        return tickets.server_key(tickets.hub_secret(secret), nonce)

    def home(self, username: str) -> Path:
        from labfleet.objects import safe_name

        return self.data_dir / "volumes" / "home" / safe_name(username)

    def stop_every_server(self) -> None:
        """Stop every running server (a hub may keep them across its own stop)."""
        from urllib.parse import quote

        if not self.proc or self.proc.poll() is not None:
            return
        try:
            running = [u["name"] for u in self.api("GET", "/users").json() if u["servers"]]
            for name in running:
                self.api("DELETE", f"/users/{quote(name, safe='')}/server")
            wait_for(
                lambda: not any(u["servers"] for u in self.api("GET", "/users").json()),
                SPAWN_TIMEOUT,
                "every server to stop",
            )
        except (requests.RequestException, TimeoutError) as e:
            print(f"{self.name}: could not stop every server: {e}")

    def stop_proxy(self) -> None:
        """Stop the hub's proxy (it outlives the hub), as `labfleet stop` does once the hub
        is gone (test_proxy.py runs the command itself)."""
        from labfleet.proxy import process

        process.stop(process.CaddyFiles(self.data_dir.resolve() / "proxy"))

    def cleanup(self) -> None:
        try:
            self.stop_every_server()
        finally:
            self.stop()
            self.stop_proxy()
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_hub(
    name: str, config: dict | None = None, prepare: Callable[[Path], dict] | None = None
) -> Iterator[Hub]:
    """A started hub, removed afterwards. ``prepare(root)`` first writes the files the hub
    needs into its folder and returns the settings that name them (merged over ``config``)."""
    root = make_root(name)
    settings = {section: dict(values) for section, values in (config or {}).items()}
    for section, values in (prepare(root) if prepare else {}).items():
        settings.setdefault(section, {}).update(values)
    instance = Hub(root, settings, name=name)
    try:
        instance.start()
        yield instance
    finally:
        instance.cleanup()


def replay_script(folder: Path, recording: str, exit_code: int = 0) -> Path:
    """An executable that prints a recorded nvidia-smi output (tests/data) and exits like it."""
    script = folder / f"replay-{recording}"
    script.write_text(f"#!/bin/sh\ncat '{DATA / recording}'\nexit {exit_code}\n")
    script.chmod(0o755)
    return script


def run_labfleet(*args: str, cwd) -> subprocess.CompletedProcess:
    """The `labfleet` command, as an operator runs it in ``cwd``."""
    return subprocess.run([LABFLEET, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def remove_test_accounts() -> None:
    """Delete the system accounts that this run's test hubs created."""
    with open("/etc/passwd") as passwd:
        names = [line.split(":", 1)[0] for line in passwd]
    for name in names:
        if name.startswith(TEST_ACCOUNT_PREFIX):
            # a server a failed test left running goes first: userdel refuses busy accounts
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True, check=False)
            subprocess.run(["userdel", name], capture_output=True, check=False)


def docker_engine() -> str:
    """The Docker engine the docker backend uses by default."""
    from labfleet.backends.docker import DockerBackend

    return DockerBackend.engine_url.default_value


def skip_without_docker() -> None:
    """Skip the calling test module when the Docker engine does not answer."""
    import docker
    import pytest

    try:
        docker.DockerClient(base_url=docker_engine(), timeout=5).ping()
    except (docker.errors.DockerException, requests.RequestException) as e:
        pytest.skip(
            f"the Docker engine at {docker_engine()} does not answer ({e}); "
            "start it with scripts/install-docker.sh and scripts/start-dockerd.sh",
            allow_module_level=True,
        )


def remove_docker_objects(client, prefix: str) -> None:
    """Remove the containers, volumes and images whose names start with ``prefix``."""
    for container in client.containers.list(all=True, filters={"name": prefix}):
        if container.name.startswith(prefix):
            container.remove(force=True)
    for volume in client.volumes.list(filters={"name": prefix}):
        if volume.name.startswith(prefix):
            volume.remove(force=True)
    for image in client.images.list(filters={"reference": f"{prefix}-*"}):
        client.images.remove(image.id, force=True)


# -- helpers of the tests that drive labfleet's routes and users' servers --------------


def panel(hub, method: str, user: str, route: str, token: str | None = None, **kwargs):
    """Call one of labfleet's routes on ``user`` (admin token unless ``token``)."""
    return hub.api(method, f"/labfleet/users/{user}/{route}", token=token, **kwargs)


def put_file(hub, user: str, path: str, content: str) -> None:
    """Write a text file through the user's own server, as JupyterLab does."""
    response = requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "file", "format": "text", "content": content},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text


def get_file(hub, user: str, path: str) -> requests.Response:
    """Read a file through the user's own server."""
    return requests.get(
        f"{hub.url}/user/{user}/api/contents/{path}",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )


def labfleet_api(
    hub, method: str, path: str, token: str | None = None, **kwargs
) -> requests.Response:
    """Call labfleet's API (``path`` below /hub/api/labfleet), with the admin token by default."""
    return hub.api(method, f"/labfleet{path}", token=token, **kwargs)


def accounts(hub) -> dict[str, dict]:
    """Every account the accounts API lists, by name."""
    response = labfleet_api(hub, "GET", "/users")
    assert response.status_code == 200, response.text
    return {a["name"]: a for a in response.json()["users"]}


def create_account(hub, name: str, groups: list[str]) -> str:
    """A native account made through labfleet's accounts API; its generated password."""
    created = labfleet_api(hub, "POST", "/users", json={"usernames": [name], "groups": groups})
    assert created.status_code == 200 and created.json()["created"], created.text
    return reveal(hub, name)[name]


def reveal(hub, *names: str) -> dict[str, str]:
    """The generated passwords of ``names`` that the hub still reveals (once)."""
    response = labfleet_api(hub, "POST", "/credentials", json={"usernames": list(names)})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return {c["username"]: c["password"] for c in response.json()["credentials"]}


def login_status(hub, name: str, password: str) -> tuple[int, str]:
    """The login form's answer: 302 and where it leads, or the status and the page."""
    _, response = hub.login(name, password)
    if response.status_code == 302:
        return 302, response.headers["Location"]
    return response.status_code, response.text


def audit_rows(hub, action: str) -> list[tuple[str, str, str, dict]]:
    """(actor, target, result, detail) of every audit event of ``action``."""
    rows = hub.query(
        "select actor, target, result, detail from labfleet_audit_events where action = ?", action
    )
    return [(actor, target, result, json.loads(detail)) for actor, target, result, detail in rows]


def server_environment(hub, user: str) -> dict[str, str]:
    """The environment of the user's running server process, read as root."""
    raw = Path(f"/proc/{hub.spawner_pid(user)}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def user_token(hub, user: str, **body) -> str:
    """A new API token of ``user`` (``scopes=[...]`` narrows it)."""
    response = hub.api("POST", f"/users/{user}/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def use_server(hub, user: str) -> None:
    """``user`` uses their running server themselves, as their browser does: a request with
    a credential of theirs, which the server checks with the hub."""
    response = requests.get(
        f"{hub.url}/user/{user}/api/contents",
        headers={"Authorization": f"token {user_token(hub, user)}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def caller_tokens(hub, owner: str, other: str) -> dict[str, str | None]:
    """Credentials of the callers a permission matrix tries on ``owner``'s routes."""
    return {
        "anonymous": None,
        "other user": user_token(hub, other),
        "narrow token": user_token(hub, owner, scopes=["read:users:name!user"]),
        "self": user_token(hub, owner),
        "admin": hub.token,
    }


# -- code run inside a user's server, as a student would from a notebook ------------------


class KernelDied(Exception):
    """The kernel died (or restarted) while it ran the code."""


def run_in_kernel(
    hub, user: str, code: str, token: str, timeout: float = 120, notebook: str | None = None
) -> str:
    """Run ``code`` in a new kernel of ``user``'s server, through the Jupyter API as a
    notebook does (the kernel of the ``notebook`` at that path, in its folder, if given),
    and return what it printed; raises KernelDied if the kernel dies."""
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"{hub.url}/user/{user}/api/kernels"
    headers = {"Authorization": f"token {token}"}
    if notebook is None:
        created = requests.post(base, json={"name": "python3"}, headers=headers, timeout=60)
        assert created.status_code == 201, created.text
        kernel = created.json()["id"]
    else:
        session = {"path": notebook, "type": "notebook", "kernel": {"name": "python3"}}
        created = requests.post(
            f"{hub.url}/user/{user}/api/sessions", json=session, headers=headers, timeout=60
        )
        assert created.status_code == 201, created.text
        kernel = created.json()["kernel"]["id"]

    async def execute() -> str:
        url = f"{base}/{kernel}/channels".replace("http://", "ws://")
        connection = await websocket_connect(HTTPRequest(url, headers=headers))
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                  "session": uuid.uuid4().hex, "version": "5.3", "date": ""}  # fmt: skip
        content = {"code": code, "silent": False, "store_history": False,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}  # fmt: skip
        await connection.write_message(
            json.dumps(
                {
                    "header": header,
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": "shell",
                    "buffers": [],
                }
            )  # fmt: skip
        )
        printed: list[str] = []
        try:
            while True:
                raw = await asyncio.wait_for(connection.read_message(), timeout)
                if raw is None:
                    raise KernelDied("the kernel's connection closed")
                message = json.loads(raw)
                kind, body = message["msg_type"], message["content"]
                if kind == "status" and body["execution_state"] in ("restarting", "dead"):
                    raise KernelDied(f"the kernel is {body['execution_state']}")
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if kind == "stream":
                    printed.append(body["text"])
                elif kind == "error":
                    raise AssertionError("\n".join([*printed, *body["traceback"]]))
                elif kind == "status" and body["execution_state"] == "idle":
                    return "".join(printed)
        finally:
            connection.close()

    try:
        # a loop of its own, in a thread: Playwright's sync API keeps one in this thread
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(lambda: asyncio.run(execute())).result()
    finally:
        requests.delete(f"{base}/{kernel}", headers=headers, timeout=60)
