"""A real labfleet hub for tests: `labfleet up` on random loopback ports, driven over HTTP."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import yaml

LABFLEET = str(Path(sys.executable).parent / "labfleet")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# unique per test run, so that runs side by side never share a system account
TEST_ACCOUNT_PREFIX = f"lft{os.getpid() % 100000}-"
START_TIMEOUT = 60
SPAWN_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_root(prefix: str) -> Path:
    """A temporary folder that the lab accounts can enter (pytest's tmp_path cannot be)."""
    root = Path(tempfile.mkdtemp(prefix=f"labfleet-{prefix}-", dir="/tmp"))
    root.chmod(0o711)
    return root


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
        self.config_path = root / "labfleet.yaml"
        self.data_dir = root / "labfleet-data"
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []
        self.starts = 0
        base = {
            "labfleet": {"data_dir": str(self.data_dir)},
            "local": {"account_prefix": TEST_ACCOUNT_PREFIX},
            "hub": {
                "bind_url": self.url,
                "hub_bind_url": f"http://127.0.0.1:{free_port()}",
                "services": [{"name": "labfleet-tests", "api_token": self.token}],
                "load_roles": [{"name": "admin", "services": ["labfleet-tests"]}],
            },
            "proxy": {"api_url": f"http://127.0.0.1:{free_port()}"},
        }
        for section, values in (config or {}).items():
            base.setdefault(section, {}).update(values)
        self.config_path.write_text(yaml.safe_dump(base, sort_keys=False))

    # -- process -------------------------------------------------------------------

    def start(self) -> None:
        """Start `labfleet up` and wait until the hub API answers."""
        self.starts += 1
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / f"{self.name}-{self.root.name}-{self.starts}.log", "w")
        self.proc = subprocess.Popen(
            [LABFLEET, "up", "--config", str(self.config_path)],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
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
            except requests.ConnectionError:
                return False

        wait_for(up, START_TIMEOUT, f"the hub at {self.url}")
        self.start_output = self.output[first_line:]

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
        return requests.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs
        )

    def login(self, username: str, password: str) -> tuple[requests.Session, requests.Response]:
        """Post the login form as a browser does; returns the session and the answer.

        The answer is the form's own: 302 onwards when the password is right. The
        redirect is not followed, since it would start the user's server.
        """
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=10).raise_for_status()
        response = session.post(
            f"{self.url}/hub/login",
            data={
                "username": username,
                "password": password,
                "_xsrf": session.cookies.get("_xsrf", path="/hub/"),
            },
            timeout=30,
            allow_redirects=False,
        )
        return session, response

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

    def spawner_pid(self, username: str) -> int:
        """The pid the hub keeps for a user's server (local backend)."""
        import sqlite3

        with sqlite3.connect(self.data_dir / "hub" / "labfleet.sqlite") as db:
            (state,) = db.execute(
                "select spawners.state from spawners join users on users.id = spawners.user_id"
                " where users.name = ? and spawners.name = ''",
                (username,),
            ).fetchone()
        import json

        return json.loads(state)["pid"]

    def home(self, username: str) -> Path:
        from labfleet.objects import safe_name

        return self.data_dir / "volumes" / "home" / safe_name(username)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def remove_test_accounts() -> None:
    """Delete the system accounts that this run's test hubs created."""
    with open("/etc/passwd") as passwd:
        names = [line.split(":", 1)[0] for line in passwd]
    for name in names:
        if name.startswith(TEST_ACCOUNT_PREFIX):
            subprocess.run(["userdel", name], capture_output=True, check=False)


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


def user_token(hub, user: str, **body) -> str:
    """A new API token of ``user`` (``scopes=[...]`` narrows it)."""
    response = hub.api("POST", f"/users/{user}/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def caller_tokens(hub, owner: str, other: str) -> dict[str, str | None]:
    """Credentials of the callers a permission matrix tries on ``owner``'s routes."""
    return {
        "anonymous": None,
        "other user": user_token(hub, other),
        "narrow token": user_token(hub, owner, scopes=["read:users:name!user"]),
        "self": user_token(hub, owner),
        "admin": hub.token,
    }
