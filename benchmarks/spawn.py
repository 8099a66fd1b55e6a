"""Spawn benchmark: labfleet against a stock JupyterHub doing the same work.

Run as root: ``.venv/bin/python benchmarks/spawn.py [-n N]``.

Measured, on two hubs running side by side on random loopback ports:

* cold start: from starting the hub process until ``GET /hub/api/`` answers 200,
  on a fresh data directory (labfleet's first start includes its migrations and
  first admin);
* spawn: from ``POST /hub/api/users/NAME/server`` until the hub reports the
  server ready; each spawn is followed by a stop (not timed).

labfleet is ``labfleet up`` from tests/harness.py with its local backend
(``LocalBackendSpawner``). The stock hub is ``jupyterhub`` from the same venv with
``LocalProcessSpawner``, the same ``jupyterhub-singleuser`` command and ``/lab``, its
own default proxy (configurable-http-proxy, the Python one, installed with
``.[test]``), the DummyAuthenticator and a system
account made beforehand: both hubs setuid to a system account and start the same
server. Each hub gets one warm-up spawn (not counted), then the N measured spawns
alternate between the hubs so that machine noise hits both alike.

Reading the figures: the goal is a labfleet median of at most 1.0 s (``GOAL``). A labfleet
server is forked from its fork server and the hub learns it is ready as soon as it listens;
a stock server is a new interpreter that imports everything, and its hub polls it with
jittered exponential backoff, so stock spawns vary by seconds. ``labfleet/stock`` is
labfleet's percentile over the stock hub's.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from unittest import mock

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import harness  # noqa: E402
from harness import Hub, free_port, make_root  # noqa: E402

from labfleet.objects import system_account_name  # noqa: E402

BIN = Path(sys.executable).parent
# not the tests' lft<N>- prefix: a test run's cleanup deletes such accounts when idle
ACCOUNT_PREFIX = "lfb-"
LABFLEET_USER = "spawnbench"  # labfleet makes its account, lfb-spawnbench
STOCK_USER = f"{ACCOUNT_PREFIX}stock"  # an account this script makes
ACCOUNTS = (system_account_name(ACCOUNT_PREFIX, LABFLEET_USER), STOCK_USER)
GOAL = 1.0  # seconds: labfleet's median spawn at most
POLL = 0.02  # seconds between the harness's readiness polls (its default is 0.2)


class StockHub(Hub):
    """A stock JupyterHub driven by the harness, with the harness's ports, token and service."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, name="stock")
        hub = yaml.safe_load(self.config_path.read_text())  # the harness's labfleet.yaml
        settings = {
            "JupyterHub": {
                **hub["hub"],
                "hub_bind_url": f"http://127.0.0.1:{free_port()}",
                "db_url": f"sqlite:///{root / 'jupyterhub.sqlite'}",
                "cookie_secret_file": str(root / "jupyterhub_cookie_secret"),
                "authenticator_class": "dummy",
                "spawner_class": "localprocess",
            },
            "ConfigurableHTTPProxy": {
                "api_url": f"http://127.0.0.1:{free_port()}",
                "command": [str(BIN / "configurable-http-proxy")],
            },
            "Authenticator": {"allow_all": True},
            "Spawner": {"cmd": [str(BIN / "jupyterhub-singleuser")], "default_url": "/lab"},
        }
        self.config_path = root / "jupyterhub_config.py"
        self.config_path.write_text(
            "".join(f"c.{cls}.{k} = {v!r}\n" for cls, kv in settings.items() for k, v in kv.items())
        )
        # the harness runs `<command> up --config FILE`
        self.launcher = root / "jupyterhub-up"
        self.launcher.write_text(f'#!/bin/sh\nexec {BIN / "jupyterhub"} -f "$3"\n')
        self.launcher.chmod(0o755)

    def start(self) -> None:
        with mock.patch.object(harness, "LABFLEET", str(self.launcher)):
            super().start()

    def query(self, sql: str, *args: object) -> list[tuple]:
        """Rows of a query of the stock hub's database."""
        with contextlib.closing(sqlite3.connect(self.root / "jupyterhub.sqlite", timeout=30)) as db:
            with db:
                return db.execute(sql, args).fetchall()


def create_account(name: str, home: Path) -> None:
    """A system account as labfleet makes them, with a private home."""
    subprocess.run(
        ["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/bash",
         "--user-group", "--comment", "labfleet spawn benchmark", name],
        check=True, capture_output=True,
    )  # fmt: skip
    home.parent.mkdir(mode=0o711, exist_ok=True)
    home.mkdir(mode=0o700)
    shutil.chown(home, name, name)


def remove_accounts(accounts: Iterable[str]) -> None:
    """Delete system accounts and their groups (missing ones are fine)."""
    for account in accounts:
        subprocess.run(["userdel", account], capture_output=True, check=False)


def require_root(script: str) -> None:
    """Exit with a message unless run as root (both hubs start servers as system accounts)."""
    if os.geteuid() != 0:
        sys.exit(f"{script} runs as root: both hubs start servers as system accounts")


@contextlib.contextmanager
def benchmark_run(hubs: list[Hub], accounts: Sequence[str] = ()) -> Iterator[None]:
    """The harness set up for a benchmark: hub logs in a temporary folder, fast polls, no
    ``accounts`` left by a killed run. On the way out: each of ``hubs``' last output if
    something failed, then every hub and account removed."""
    logs = Path(tempfile.mkdtemp(prefix="labfleet-bench-logs-"))
    harness.ARTIFACTS = logs  # hub logs go to the run's temp dir, not test-artifacts/
    harness.wait_for = functools.partial(harness.wait_for, interval=POLL)
    remove_accounts(accounts)
    try:
        yield
    except Exception:
        for hub in hubs:
            print(f"--- end of the {hub.name} hub's output ---\n{hub.tail()}", file=sys.stderr)
        raise
    finally:
        for hub in hubs:
            hub.cleanup()
        remove_accounts(accounts)
        shutil.rmtree(logs, ignore_errors=True)


def timed(action) -> float:
    """Seconds that ``action()`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def spawn_and_stop(hub: Hub, user: str) -> float:
    """Spawn ``user``'s server, stop it, and return the spawn's seconds."""
    seconds = timed(lambda: hub.spawn(user))
    hub.stop_server(user)
    return seconds


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile, interpolated between the closest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="measured spawns per hub (default 10)")
    n = parser.parse_args().n
    if n < 1:
        parser.error("-n must be at least 1")
    require_root("spawn.py")

    labfleet_config = {"local": {"account_prefix": ACCOUNT_PREFIX}}
    labfleet = Hub(make_root("bench"), labfleet_config, name="labfleet")
    stock = StockHub(make_root("bench-stock"))
    users = {"labfleet": LABFLEET_USER, "stock": STOCK_USER}
    cold: dict[str, float] = {}
    spawns: dict[str, list[float]] = {"labfleet": [], "stock": []}
    with benchmark_run([labfleet, stock], ACCOUNTS):
        create_account(STOCK_USER, stock.root / "homes" / STOCK_USER)
        for label, hub in [("labfleet", labfleet), ("stock", stock)]:
            cold[label] = timed(hub.start)
            hub.create_user(users[label])
            spawn_and_stop(hub, users[label])  # warm-up, not counted
        for _ in range(n):
            for label, hub in [("labfleet", labfleet), ("stock", stock)]:
                spawns[label].append(spawn_and_stop(hub, users[label]))

    print(f"{n} spawns per hub, alternating labfleet and stock,", end=" ")
    print("after 1 warm-up spawn each (not counted)")
    for label, seconds in cold.items():
        print(f"{label} cold start s: {seconds:.2f}")
    for label, values in spawns.items():
        print(f"{label} spawns s: {' '.join(f'{v:.2f}' for v in values)}")
        for q in (50, 90):
            print(f"{label} spawn p{q} s: {percentile(values, q):.2f}")
    for q in (50, 90):
        ratio = percentile(spawns["labfleet"], q) / percentile(spawns["stock"], q)
        print(f"spawn p{q} ratio labfleet/stock: {ratio:.2f}")
    median = percentile(spawns["labfleet"], 50)
    print(
        f"labfleet median spawn {median:.2f} s: goal <= {GOAL} s {'met' if median <= GOAL else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
