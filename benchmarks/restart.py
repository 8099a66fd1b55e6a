"""Hub restart benchmark: from ``kill -TERM`` of the hub to a new hub serving every kept server.

Run as root: ``.venv/bin/python benchmarks/restart.py [-n SERVERS]`` (default 20).

Two hubs side by side, labfleet (``labfleet up``, local backend, its default of keeping
servers across a restart) and a stock JupyterHub (``cleanup_servers = False``, the same
``LocalProcessSpawner`` servers, proxy and accounts as ``benchmarks/spawn.py``). Each starts
N servers; then, for each hub in turn:

* stop: ``SIGTERM`` to the hub until its process has exited, its servers left running;
* back: from the ``SIGTERM`` until a new hub answers and every one of the N servers
  answers again through the proxy (``GET /user/NAME/api``, 200).

Both hubs adopt the same way (JupyterHub's ``init_spawners``: poll each pid, then an HTTP
check); labfleet also reads each server's token back from its environment and checks that
its port is its own. The ratio labfleet/stock says what that costs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Hub, make_root  # noqa: E402
from spawn import ACCOUNT_PREFIX, StockHub, benchmark_run, create_account, require_root  # noqa: E402

from labfleet.objects import system_account_name  # noqa: E402

TIMEOUT = 300


def serving(hub: Hub, users: list[str]) -> bool:
    """Whether every user's server answers through the proxy."""
    for user in users:
        try:
            if requests.get(f"{hub.url}/user/{user}/api", timeout=5).status_code != 200:
                return False
        except requests.RequestException:
            return False
    return True


def restart(hub: Hub, users: list[str]) -> tuple[float, float]:
    """(seconds until the hub exited, seconds until a new one serves every server)."""
    start = time.perf_counter()
    hub.proc.send_signal(signal.SIGTERM)
    hub.proc.wait(timeout=TIMEOUT)
    stopped = time.perf_counter() - start
    hub.start()
    harness.wait_for(lambda: serving(hub, users), TIMEOUT, "every server")
    return stopped, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="servers per hub (default 20)")
    n = parser.parse_args().n
    require_root("restart.py")

    names = [f"r{i:02d}" for i in range(n)]
    labfleet = Hub(
        make_root("bench-restart"),
        {"local": {"account_prefix": ACCOUNT_PREFIX}, "hub": {"cleanup_servers": False}},
        name="labfleet",
    )
    stock = StockHub(make_root("bench-restart-stock"))
    stock.config_path.write_text(
        stock.config_path.read_text().replace(
            "c.JupyterHub.cleanup_servers = True", "c.JupyterHub.cleanup_servers = False"
        )
    )
    stock_users = [f"{ACCOUNT_PREFIX}{name}s" for name in names]
    accounts = [system_account_name(ACCOUNT_PREFIX, name) for name in names] + stock_users
    figures: dict[str, tuple[float, float]] = {}
    with benchmark_run([labfleet, stock], accounts):
        for user in stock_users:
            create_account(user, stock.root / "homes" / user)
        for hub, users in ((labfleet, names), (stock, stock_users)):
            hub.start()
            for user in users:
                hub.create_user(user)
                hub.spawn(user)
        for label, hub, users in (("labfleet", labfleet, names), ("stock", stock, stock_users)):
            figures[label] = restart(hub, users)

    print(f"{n} servers per hub, kept across a hub restart (SIGTERM, then a new hub)")
    for label, (stopped, back) in figures.items():
        print(f"{label} hub stop s: {stopped:.2f}")
        print(f"{label} SIGTERM to every server served again s: {back:.2f}")
    ratio = figures["labfleet"][1] / figures["stock"][1]
    print(f"restart ratio labfleet/stock: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
