"""People benchmark: a page of the People list with thousands of users, beside a stock
JupyterHub's own paged user list (what its Admin page reads).

Run: ``.venv/bin/python benchmarks/people.py [-n USERS] [-r REQUESTS]`` (defaults 2000, 30).

Both hubs (those of ``benchmarks/spawn.py``) get the same N users through JupyterHub's
``POST /hub/api/users``; every tenth joins a group. Then, alternating between the hubs,
each request is timed from sending to the last byte:

* first page: labfleet ``GET /hub/api/labfleet/users?limit=50``, stock
  ``GET /hub/api/users?limit=50`` (the same 50 people; labfleet adds each one's account
  and server state);
* a search: labfleet ``?search=p19&limit=50``, stock ``?name_filter=p19&limit=50``
  (JupyterHub 5's name filter: a prefix);
* a group and a state: labfleet ``?group=tenth&state=stopped&limit=50``; the stock hub has
  no such filter (``GET /hub/api/groups/tenth``, its member names, is timed beside it).

Printed: the median and p90 of each, in milliseconds, and the ratio labfleet/stock.
No server is started: this measures the list, not spawns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Hub, make_root  # noqa: E402
from spawn import StockHub, benchmark_run, percentile  # noqa: E402

QUERIES = {
    "first page": ("/labfleet/users?limit=50", "/users?limit=50"),
    "search": ("/labfleet/users?search=p19&limit=50", "/users?name_filter=p19&limit=50"),
    "group and state": ("/labfleet/users?group=tenth&state=stopped&limit=50", "/groups/tenth"),
}


def populate(hub: Hub, names: list[str]) -> None:
    """The users, 500 a request, and the group tenth of every tenth."""
    for start in range(0, len(names), 500):
        response = hub.api("POST", "/users", json={"usernames": names[start : start + 500]})
        assert response.status_code == 201, response.text
    assert hub.api("POST", "/groups/tenth", json={"users": names[::10]}).status_code == 201


def timed_get(hub: Hub, path: str) -> float:
    """Milliseconds of one GET of the hub's API, to the last byte; fails unless 200."""
    start = time.perf_counter()
    response = requests.get(
        f"{hub.url}/hub/api{path}", headers={"Authorization": f"token {hub.token}"}, timeout=60
    )
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.text[:200])
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="users on each hub (default 2000)")
    parser.add_argument("-r", type=int, default=30, help="timed requests of each (default 30)")
    args = parser.parse_args()
    labfleet = Hub(make_root("bench-people"), name="labfleet")
    stock = StockHub(make_root("bench-people-stock"))
    names = [f"p{i:05d}" for i in range(args.n)]
    times: dict[str, dict[str, list[float]]] = {q: {"labfleet": [], "stock": []} for q in QUERIES}
    with benchmark_run([labfleet, stock]):
        for hub in (labfleet, stock):
            hub.start()
            populate(hub, names)
        for query, (ours, theirs) in QUERIES.items():
            timed_get(labfleet, ours)  # warm-up, not counted
            timed_get(stock, theirs)
            for _ in range(args.r):
                times[query]["labfleet"].append(timed_get(labfleet, ours))
                times[query]["stock"].append(timed_get(stock, theirs))

    print(f"{args.n} users on each hub; {args.r} requests of each, alternating the hubs")
    for query, by_hub in times.items():
        for label, values in by_hub.items():
            print(
                f"{query:16} {label:8} median {statistics.median(values):7.1f} ms"
                f"  p90 {percentile(values, 90):7.1f} ms"
            )
        ratio = statistics.median(by_hub["labfleet"]) / statistics.median(by_hub["stock"])
        print(f"{query:16} median ratio labfleet/stock: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
