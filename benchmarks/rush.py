"""Workshop rush benchmark: N people press Start at once, labfleet beside a stock JupyterHub.

Run as root: ``.venv/bin/python benchmarks/rush.py [-n N]`` (default 30).

Each hub (the two of ``benchmarks/spawn.py``: labfleet's local backend, a stock JupyterHub
with ``LocalProcessSpawner``, the same proxy and accounts) gets N users. All N start
requests (``POST /hub/api/users/NAME/server`` through the proxy, as the spawn page's) leave
at the same moment; one poller reads the hub's user list every 0.25 s. Printed per hub:

* refused: start requests answered with an error (503 by the proxy, 429/5xx by the hub);
* failed: servers not ready within the timeout, or whose start failed, with what the hub
  logged last about them;
* all ready, median, p90: seconds from the rush until each server is ready;
* memory per idle server: resident memory of each server's processes once all are up,
  averaged, and its own share (PSS: pages shared with other processes counted in part;
  from /proc, the same measure for both hubs).

The hubs run one after the other, never together, each with a warm-up start first.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Hub, make_root  # noqa: E402
from spawn import ACCOUNT_PREFIX, StockHub, benchmark_run, create_account, percentile, require_root  # noqa: E402

from labfleet.backends import processes  # noqa: E402
from labfleet.objects import system_account_name  # noqa: E402

TIMEOUT = 180


def memory_bytes(pid: int) -> tuple[int, int]:
    """Resident and proportional (shared pages split among their sharers) memory of ``pid``
    and every process below it."""
    rss = pss = 0
    for member in processes.descendants(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss


def rush(hub: Hub, users: list[str]) -> dict:
    """Start every user's server at once; what happened to each."""
    go = threading.Event()
    answers: dict[str, int] = {}
    ready: dict[str, float] = {}

    def press_start(user: str) -> None:
        go.wait()
        try:
            response = requests.post(
                f"{hub.url}/hub/api/users/{user}/server",
                headers={"Authorization": f"token {hub.token}"},
                timeout=TIMEOUT,
            )
            answers[user] = response.status_code
        except requests.RequestException:
            answers[user] = 0

    threads = [threading.Thread(target=press_start, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    go.set()
    deadline = started + TIMEOUT
    while len(ready) < len(users) and time.perf_counter() < deadline:
        listing = hub.api("GET", "/users").json()
        for model in listing:
            server = model["servers"].get("")
            if model["name"] in users and server and server["ready"]:
                ready.setdefault(model["name"], time.perf_counter() - started)
        failed_now = [u for u, code in answers.items() if code >= 400 or code == 0]
        if len(ready) + len(failed_now) >= len(users):
            break
        time.sleep(0.25)
    for thread in threads:
        thread.join()
    refused = sorted(u for u, code in answers.items() if code >= 400 or code == 0)
    return {"ready": ready, "refused": refused, "failed": sorted(set(users) - set(ready))}


def failure_reasons(hub: Hub, failed: list[str]) -> Counter[str]:
    """What the hub logged last as a warning or error about each failed user, counted."""
    reasons: Counter[str] = Counter()
    for user in failed:
        said = [line for line in hub.output if user in line and line.startswith(("[W", "[E"))]
        # the message without the timestamp and logger
        reason = said[-1].split("] ", 1)[-1].replace(user, "NAME") if said else "?"
        reasons[re.sub(r":\d+", ":PORT", reason).strip()[:150]] += 1
    return reasons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="people pressing Start (default 30)")
    n = parser.parse_args().n
    require_root("rush.py")

    names = [f"w{i:02d}" for i in range(n)]
    stock_users = [f"{ACCOUNT_PREFIX}{name}s" for name in names]
    accounts = [system_account_name(ACCOUNT_PREFIX, name) for name in [*names, "warm"]]
    accounts += [*stock_users, f"{ACCOUNT_PREFIX}warms"]
    results: dict[str, dict] = {}
    hubs: list[Hub] = []
    with benchmark_run(hubs, accounts):
        for label in ("labfleet", "stock"):
            if label == "labfleet":
                hub: Hub = Hub(make_root("bench-rush"), {"local": {"account_prefix": ACCOUNT_PREFIX}},
                               name="labfleet")  # fmt: skip
                users, warm = names, "warm"
            else:
                hub = StockHub(make_root("bench-rush-stock"))
                users, warm = stock_users, f"{ACCOUNT_PREFIX}warms"
                for user in [*users, warm]:
                    create_account(user, hub.root / "homes" / user)
            hubs.append(hub)
            hub.start()
            for user in [*users, warm]:
                hub.create_user(user)
            hub.spawn(warm)  # warm-up, not counted
            hub.stop_server(warm)
            outcome = rush(hub, users)
            outcome["memory"] = [memory_bytes(hub.spawner_pid(u)) for u in outcome["ready"]]
            outcome["reasons"] = failure_reasons(hub, outcome["failed"])
            results[label] = outcome
            hub.cleanup()

    print(f"{n} people press Start at once (one hub at a time, after 1 warm-up start)")
    for label, outcome in results.items():
        times = sorted(outcome["ready"].values())
        print(f"{label} refused: {len(outcome['refused'])}")
        print(f"{label} failed: {len(outcome['failed'])}")
        for reason, count in outcome["reasons"].most_common(3):
            print(f"{label} failed {count}x: {reason}")
        if times:
            print(f"{label} all ready s: {times[-1]:.2f}" if not outcome["failed"] else
                  f"{label} last ready s: {times[-1]:.2f} ({len(times)} of {n})")  # fmt: skip
            print(f"{label} ready median s: {statistics.median(times):.2f}")
            print(f"{label} ready p90 s: {percentile(times, 90):.2f}")
        if outcome["memory"]:
            rss, pss = (statistics.mean(m) / 2**20 for m in zip(*outcome["memory"]))
            print(f"{label} memory per idle server MiB: resident {rss:.0f}, own share {pss:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
