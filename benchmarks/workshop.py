"""Workshop benchmark: what save events cost a participant's save, how soon the instructor
sees a save, and how fast the instructor's views answer for a class.

Run as root: ``.venv/bin/python benchmarks/workshop.py [-n 50] [--participants 30]``.

* Saves: N saves of a 40-cell notebook through the contents API (``PUT
  /user/NAME/api/contents/...``, as JupyterLab saves), alternating between a labfleet hub in
  workshop mode (every save becomes an event with the notebook's content) and a stock
  JupyterHub (``benchmarks/spawn.py``'s ``StockHub``: same venv, same server command, no
  save events); p50/p90 of each and their ratio. For labfleet also the time from the start
  of the save until the event is listed by ``GET /hub/api/labfleet/events``.
* Burst: every running participant saves at once; the time until all their events are on
  the hub.
* Views, for ``--participants`` users x 10 notebooks x 3 saves each (posted as events with
  content): the grid (``GET /hub/api/labfleet/workshop``), one save's tail and changes
  (``.../workshop/saves/ID``), everyone's tail of one notebook (``.../tails``), one
  notebook rendered (first time, then from the cache).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Hub, make_root, wait_for  # noqa: E402
from spawn import ACCOUNT_PREFIX, StockHub, benchmark_run, percentile, require_root  # noqa: E402

from labfleet.objects import system_account_name  # noqa: E402

STOCK_USER = f"{ACCOUNT_PREFIX}wsstock"
RUNNING = 10  # participants with a running server (saves, burst)


def notebook(version: int) -> dict:
    cells = [
        {"id": f"c{i}", "cell_type": "code", "metadata": {}, "execution_count": i,
         "source": f"x{i} = {i} * {version}\nprint(x{i})",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i * version}\n" * 5}]}
        for i in range(1, 41)
    ]  # fmt: skip
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def put(hub: Hub, user: str, path: str, content: dict) -> float:
    started = time.perf_counter()
    answer = requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": content},
        headers={"Authorization": f"token {hub.token}"}, timeout=60,
    )  # fmt: skip
    assert answer.status_code in (200, 201), answer.text
    return time.perf_counter() - started


def events(hub: Hub, **filters) -> dict:
    return hub.api("GET", "/labfleet/events", params={"limit": 1000, **filters}).json()


def timed_get(hub: Hub, route: str, times: int = 5, **params) -> list[float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        answer = hub.api("GET", route, params=params)
        seconds.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return seconds


def line(label: str, values: list[float]) -> None:
    print(f"{label} p50 ms: {1000 * percentile(values, 50):.1f}")
    print(f"{label} p90 ms: {1000 * percentile(values, 90):.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="measured saves per hub")
    parser.add_argument("--participants", type=int, default=30)
    args = parser.parse_args()
    require_root("workshop.py")
    names = [f"w{i:02d}" for i in range(args.participants)]
    labfleet = Hub(make_root("bench-workshop"), {
        "local": {"account_prefix": ACCOUNT_PREFIX}, "workshop": {"enabled": True}})  # fmt: skip
    stock = StockHub(make_root("bench-workshop-stock"))
    accounts = [*(system_account_name(ACCOUNT_PREFIX, n) for n in names), STOCK_USER]
    from spawn import create_account

    with benchmark_run([labfleet, stock], accounts):
        create_account(STOCK_USER, stock.root / "homes" / STOCK_USER)
        labfleet.start()
        stock.start()
        stock.create_user(STOCK_USER)
        stock.spawn(STOCK_USER)
        for name in names:
            labfleet.create_user(name)
        for name in names[:RUNNING]:
            labfleet.spawn(name)

        saves: dict[str, list[float]] = {"labfleet": [], "stock": []}
        seen: list[float] = []
        put(labfleet, names[0], "warm.ipynb", notebook(0))  # warm-up, not counted
        put(stock, STOCK_USER, "warm.ipynb", notebook(0))
        for i in range(args.n):
            path = f"save{i}.ipynb"
            started = time.perf_counter()
            saves["labfleet"].append(put(labfleet, names[0], path, notebook(i)))
            wait_for(lambda: events(labfleet, user=names[0], path=path)["total"], 30, "the event",
                     interval=0.005)  # fmt: skip
            seen.append(time.perf_counter() - started)
            saves["stock"].append(put(stock, STOCK_USER, path, notebook(i)))
        print(f"{args.n} saves of a 40-cell notebook per hub, alternating")
        for label, values in saves.items():
            line(f"{label} save", values)
        for q in (50, 90):
            ratio = percentile(saves["labfleet"], q) / percentile(saves["stock"], q)
            print(f"save p{q} ratio labfleet/stock: {ratio:.2f}")
        line("labfleet save to event on the hub", seen)

        started = time.perf_counter()
        threads = [threading.Thread(target=put, args=(labfleet, n, "burst.ipynb", notebook(1)))
                   for n in names[:RUNNING]]  # fmt: skip
        for thread in threads:
            thread.start()
        wait_for(lambda: events(labfleet, path="burst.ipynb")["total"] >= RUNNING, 60,
                 "every burst event", interval=0.005)  # fmt: skip
        print(f"burst: {RUNNING} participants save at once, all events on the hub s: "
              f"{time.perf_counter() - started:.3f}")  # fmt: skip

        for version in range(3):
            for name in names:
                for k in range(10):
                    labfleet.api("POST", f"/labfleet/users/{name}/events",
                                 json={"path": f"day1/ex{k}.ipynb",
                                       "content": json.dumps(notebook(version + k))})  # fmt: skip
        total = events(labfleet)["total"]
        print(f"views: {args.participants} participants x 10 notebooks x 3 saves ({total} events)")
        line("grid", timed_get(labfleet, "/labfleet/workshop"))
        last = events(labfleet, user=names[-1], path="day1/ex9.ipynb")["events"][-1]["id"]
        line("one save (tail, changes)", timed_get(labfleet, f"/labfleet/workshop/saves/{last}"))
        line("everyone's tail of one notebook",
             timed_get(labfleet, "/labfleet/workshop/tails", path="day1/ex3.ipynb"))  # fmt: skip
        session, _ = labfleet.login("admin", labfleet.admin_password)
        url = f"{labfleet.url}/hub/labfleet/workshop/saves/{last}/html"
        renders = []
        for _ in range(3):
            started = time.perf_counter()
            assert session.get(url, timeout=120).status_code == 200
            renders.append(time.perf_counter() - started)
        print(f"render one notebook first s: {renders[0]:.3f}; from the cache ms: "
              f"{1000 * min(renders[1:]):.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
