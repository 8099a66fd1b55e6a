"""Broadcast benchmark: wall time to put one notification into N running JupyterLab servers.

Run as root: ``.venv/bin/python benchmarks/broadcast.py [--servers 10,40] [--endpoints 1000]
[--bounds 50,20,200] [--caddy PATH]``.

* Real servers (N = 10 and 40 by default): one labfleet hub, local backend, N running
  servers with the notifications extension. ``labfleet``: ``POST
  /hub/api/labfleet/notifications`` to the N users, timed from the request to the answer
  that holds every result. ``reference``: the method of the deployment labfleet replaces,
  on the same hub and servers: a 5-minute token for each user (here from JupyterHub's
  API, ``POST /hub/api/users/NAME/tokens``, one after the other as its loop does), then every
  server's ingest posted at once with that user's full-scope token (``asyncio.gather``),
  through the proxy. Both print the wall time and the per-recipient p50/p99.
* Simulated endpoints (``--endpoints``, default 1000): small HTTP servers on loopback, one
  port each, each checking the ticket as a user's server does, behind Caddy as labfleet
  configures it (the venv's binary unless ``--caddy``; ``make_config`` with a user's route
  per endpoint, guards included, and the default route, started by
  ``labfleet.proxy.process.start`` in a temporary folder). The fan-out itself
  (``labfleet.notify.delivery.deliver``) sends one notification to all of them, at each
  concurrency bound of ``--bounds``; the CPU time of the sender, Caddy and the endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Hub, free_port, make_root, wait_for  # noqa: E402
from spawn import ACCOUNT_PREFIX, benchmark_run, percentile, require_root  # noqa: E402

from labfleet.notify import tickets  # noqa: E402
from labfleet.notify.delivery import Target, deliver  # noqa: E402
from labfleet.notify.messages import Message, ingest_body  # noqa: E402
from labfleet.objects import system_account_name  # noqa: E402
from labfleet.proxy import process  # noqa: E402
from labfleet.proxy.config import Limits, Site, guards, make_config  # noqa: E402
from labfleet.proxy.routes import make_route, socket_url, sorted_routes  # noqa: E402

BODY = ingest_body(Message("Maintenance at 22:00: save your work", "warning"), 1)


def figures(label: str, wall: float, seconds: list[float]) -> None:
    print(f"{label} s: {wall:.3f}")
    print(f"{label} per recipient p50 ms: {1000 * percentile(seconds, 50):.1f}")
    print(f"{label} per recipient p99 ms: {1000 * percentile(seconds, 99):.1f}")


# -- real servers --------------------------------------------------------------------------


async def reference_posts(hub: Hub, tokens: dict[str, str]) -> list[tuple[bool, float]]:
    """Every server's ingest at once with its user's token (the reference's gather)."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    client = AsyncHTTPClient(force_instance=True, max_clients=len(tokens))

    async def one(user: str, token: str) -> tuple[bool, float]:
        started = time.perf_counter()
        response = await client.fetch(
            HTTPRequest(
                f"{hub.url}/user/{user}/{tickets.INGEST}",
                method="POST",
                body=BODY,
                headers={"Authorization": f"token {token}"},
                request_timeout=5,
            ),
            raise_error=False,
        )
        return response.code == 200, time.perf_counter() - started

    return await asyncio.gather(*(one(user, token) for user, token in tokens.items()))


def real_servers(counts: list[int]) -> None:
    names = [f"n{i:03d}" for i in range(max(counts))]
    hub = Hub(make_root("bench-broadcast"), {"local": {"account_prefix": ACCOUNT_PREFIX}})
    accounts = [system_account_name(ACCOUNT_PREFIX, name) for name in names]
    with benchmark_run([hub], accounts):
        hub.start()
        for name in names:
            hub.create_user(name)
            hub.spawn(name)
        for n in counts:
            users = names[:n]
            print(f"{n} running servers")
            started = time.perf_counter()
            sent = hub.api(
                "POST", "/labfleet/notifications",
                json={"message": "Maintenance at 22:00", "recipients": {"users": users}},
            )  # fmt: skip
            wall = time.perf_counter() - started
            answer = sent.json()
            assert answer["delivered"] == n, answer
            figures("labfleet", wall, [r["seconds"] for r in answer["results"]])

            started = time.perf_counter()
            tokens = {}
            for user in users:
                made = hub.api("POST", f"/users/{user}/tokens", json={"expires_in": 300})
                tokens[user] = made.json()["token"]
            results = asyncio.run(reference_posts(hub, tokens))
            wall = time.perf_counter() - started
            assert all(ok for ok, _ in results), results
            figures("reference", wall, [seconds for _, seconds in results])


# -- simulated endpoints -------------------------------------------------------------------


def serve_endpoints(ports: list[int], secret: bytes) -> None:
    """Child process: an ingest route on each port, checking tickets as a server does."""
    from tornado.httpserver import HTTPServer
    from tornado.ioloop import IOLoop
    from tornado.web import Application, RequestHandler

    class Ingest(RequestHandler):
        def post(self, user: str) -> None:
            key = tickets.server_key(secret, user)  # the user's name as the start's nonce
            header = self.request.headers.get("Authorization", "")
            problem = tickets.check(key, header, self.request.path, self.request.body)
            self.set_status(403 if problem else 200)
            self.finish(json.dumps({"success": problem is None}))

    app = Application([(rf"/user/([^/]+)/{tickets.INGEST}", Ingest)])
    for port in ports:
        HTTPServer(app).listen(port, "127.0.0.1")
    print("ready", flush=True)
    IOLoop.current().start()


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def caddy_config(
    folder: Path, files: process.CaddyFiles, port: int, ports: list[int]
) -> dict[str, Any]:
    """labfleet's Caddy configuration on ``port``: a user's route per endpoint, and "/"."""
    site = Site(
        listen=(f"127.0.0.1:{port}",),
        hub_target=socket_url(str(folder / "hub.sock")),  # no hub: only its error routes
        **files.paths(),
    )
    users = [
        make_route(
            f"/user/sim{i}/", f"http://127.0.0.1:{endpoint}",
            {"user": f"sim{i}", "server_name": ""}, guards=guards(Limits()),
        )  # fmt: skip
        for i, endpoint in enumerate(ports)
    ]
    default = make_route("/", site.hub_target, {"hub": True})
    return make_config(site, sorted_routes([*users, default]))


def simulated(n: int, bounds: list[int], caddy: str) -> None:
    secret = secrets.token_bytes(32)
    ports = [free_port() for _ in range(n)]
    proxy_port = free_port()
    endpoints = subprocess.Popen(
        [sys.executable, __file__, "--serve", secret.hex(), *map(str, ports)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with tempfile.TemporaryDirectory(prefix="labfleet-broadcast-") as tmp:
        files = process.CaddyFiles(Path(tmp) / "proxy")
        try:
            assert endpoints.stdout.readline().strip() == "ready"
            config = caddy_config(Path(tmp), files, proxy_port, ports)
            proxy_pid = process.start([caddy], files, config)

            def listening() -> bool:  # with every route: Caddy loads its configuration whole
                try:
                    socket.create_connection(("127.0.0.1", proxy_port), timeout=1).close()
                except OSError:
                    return False
                return True

            wait_for(listening, 30, "Caddy")
            targets = [
                Target(
                    f"sim{i}",
                    f"http://127.0.0.1:{proxy_port}/user/sim{i}/{tickets.INGEST}",
                    tickets.server_key(secret, f"sim{i}"),
                )
                for i in range(n)
            ]
            print(f"{n} simulated endpoints behind Caddy")
            warming_up = True
            for bound in [bounds[0], *bounds]:  # the first run warms the proxy up: not shown

                async def run() -> tuple[float, list]:
                    started = time.perf_counter()
                    outcomes = await deliver(
                        targets, BODY, proxy_address="127.0.0.1", concurrency=bound, timeout=5,
                        ticket_seconds=120,
                    )  # fmt: skip
                    return time.perf_counter() - started, outcomes

                before = {p: cpu_seconds(p) for p in (proxy_pid, endpoints.pid, os.getpid())}
                wall, outcomes = asyncio.run(run())
                used = {p: cpu_seconds(p) - t for p, t in before.items()}
                failed = [o for o in outcomes if not o.delivered]
                assert not failed, failed[:3]
                if warming_up:
                    warming_up = False
                    continue
                label = f"labfleet fan-out, at most {bound} at once"
                figures(label, wall, [o.seconds for o in outcomes])
                print(
                    f"{label} CPU s: sender {used[os.getpid()]:.2f}, "
                    f"proxy {used[proxy_pid]:.2f}, endpoints {used[endpoints.pid]:.2f}"
                )
        finally:
            process.stop(files)
            endpoints.terminate()
            endpoints.wait(timeout=30)


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        serve_endpoints([int(p) for p in sys.argv[3:]], bytes.fromhex(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="10,40", help="real servers, e.g. 10,40")
    parser.add_argument("--endpoints", type=int, default=1000, help="simulated endpoints")
    parser.add_argument(
        "--bounds", default="50,20,200", help="concurrency bounds for the simulated fan-out"
    )
    parser.add_argument(
        "--caddy", default=str(Path(sys.executable).parent / "caddy"), help="Caddy's binary"
    )
    args = parser.parse_args()
    require_root("broadcast.py")
    # a socket a port and one a request in flight: more than the default 1024 descriptors
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bounds = [int(b) for b in args.bounds.split(",")]
    if args.endpoints:
        simulated(args.endpoints, bounds, args.caddy)
    counts = [int(c) for c in args.servers.split(",") if c]
    if counts:
        real_servers(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
