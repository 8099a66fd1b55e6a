"""Proxy benchmark: what Caddy, as labfleet configures it, costs in front of a user's server.

Run: ``.venv/bin/python benchmarks/proxy.py [--seconds 10] [--connections 30]
[--messages 2000] [--caddy PATH]`` (any user; everything listens on 127.0.0.1 only).

Started by this script, and stopped at its end:

* a stand-in for a user's server (tornado, as jupyter-server, in a process of its own so that
  the client does not share its event loop): ``GET /user/bench/small``, a JSON answer of
  about 100 bytes; ``GET /user/bench/asset``, 2 MB served as a static file, like a JupyterLab
  asset; ``/user/bench/ws``, a websocket echo. It listens on a Unix socket, which Caddy
  reaches as it reaches labfleet's servers, and on a free TCP port, reached "direct";
* Caddy (the venv's binary unless ``--caddy``), started by ``labfleet.proxy.process.start``
  in a temporary folder with ``make_config`` (no TLS, a free port) and the route
  ``/user/bench/`` made by ``make_route`` with the guards of a user's route: the
  configuration labfleet runs.

Measured, through Caddy ("proxy") and direct, one after the other:

* requests per second at ``--connections`` keep-alive connections for ``--seconds`` each,
  for the small answer and for the asset; the ratio proxy/direct, against ``GOALS``. The
  load comes from ``wrk`` when it is on PATH, else from an aiohttp client in this process,
  which on a small machine is often the bottleneck itself: ``apt-get install wrk`` gives
  steadier figures. The first line says which client ran;
* websocket round trips: one client sends ``--messages`` messages, each once the echo of the
  one before has come back; the median and p90 in milliseconds, and the ratio of the medians.

As root, the default send buffer of sockets is raised for the run as the hub raises it
(``proxy.socket_send_buffer``, 1 MB) and set back at the end.

Benchmarks are not pass/fail: the last lines say whether each goal was met; the exit code is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import free_port  # noqa: E402

from labfleet.proxy import buffers, process
from labfleet.proxy.config import Site, guards, make_config
from labfleet.proxy.routes import make_route, socket_url

ROUTE = "/user/bench/"
SMALL = json.dumps({"name": "bench", "kind": "file", "size": 1234, "writable": True,
                    "last_modified": "2024-05-01T12:00:00Z"}).encode()  # fmt: skip
ASSET = bytes(range(256)) * (8 * 1024)  # 2 MB
MESSAGE = json.dumps({"msg_type": "execute_request", "code": "1 + 1", "padding": "x" * 40})
FIGURES = {"small": ("small answers", len(SMALL)), "asset": ("2 MB assets", len(ASSET))}
SEND_BUFFER = 1024 * 1024  # labfleet's default proxy.socket_send_buffer
GOALS = {"small": 0.70, "asset": 0.75}  # proxy/direct requests per second, at least
START_SECONDS = 15  # for the backend and Caddy to answer
REQUEST_SECONDS = 10  # at most, for one request or one websocket echo


# -- the stand-in for a user's server (child process) --------------------------------------


async def serve(socket_path: str) -> None:
    """Serve on ``socket_path`` and a free TCP port (printed) until stdin closes, with
    tornado, as jupyter-server does: a JSON handler, static files, a websocket."""
    from tornado import httpserver, netutil, web, websocket

    class Small(web.RequestHandler):
        def get(self) -> None:
            self.set_header("Content-Type", "application/json")
            self.finish(SMALL)

    class Echo(websocket.WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.write_message(message)

    static = Path(socket_path).parent / "static"
    static.mkdir(exist_ok=True)
    (static / "asset").write_bytes(ASSET)
    app = web.Application(
        [
            (f"{ROUTE}small", Small),
            (f"{ROUTE}(asset)", web.StaticFileHandler, {"path": str(static)}),
            (f"{ROUTE}ws", Echo),
        ]
    )
    server = httpserver.HTTPServer(app)
    server.add_socket(netutil.bind_unix_socket(socket_path))
    tcp = netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets(tcp)
    print(f"ready {tcp[0].getsockname()[1]}", flush=True)
    # the parent closes stdin when done, or by exiting however it exits
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.stop()


@contextlib.contextmanager
def backend(folder: Path) -> Iterator[tuple[Path, int]]:
    """The stand-in server in a process of its own: its socket and its TCP port."""
    path = folder / "server.sock"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C is this script's to handle
    )
    try:
        ready, _, _ = select.select([child.stdout], [], [], START_SECONDS)
        line = child.stdout.readline() if ready else ""
        if not line.startswith("ready "):
            raise RuntimeError(f"the backend did not start within {START_SECONDS}s")
        yield path, int(line.split()[1])
    finally:
        child.stdin.close()
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# -- Caddy ---------------------------------------------------------------------------------


@contextlib.contextmanager
def caddy(command: list[str], folder: Path, server_socket: Path) -> Iterator[int]:
    """Caddy with labfleet's configuration and a user's route to ``server_socket``: its port."""
    files = process.CaddyFiles(folder / "proxy")
    port = free_port()
    site = Site(
        listen=(f"127.0.0.1:{port}",),
        hub_target=socket_url(str(folder / "hub.sock")),  # no hub: only its error routes
        **files.paths(),
    )
    data = {"user": "bench", "server_name": ""}  # JupyterHub's data of a user's route
    route = make_route(ROUTE, socket_url(str(server_socket)), data, guards=guards(site.limits))
    try:
        process.start(command, files, make_config(site, [route]))
        yield port
    finally:
        process.stop(files)


# -- clients -------------------------------------------------------------------------------


async def answers(url: str, size: int) -> None:
    """Wait until ``url`` answers 200 with ``size`` bytes (at most START_SECONDS)."""
    deadline = time.monotonic() + START_SECONDS
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            try:
                async with session.get(url) as response:
                    body = await response.read()
                if response.status == 200 and len(body) == size:
                    return
                problem = f"{response.status} with {len(body)} bytes"
            except (aiohttp.ClientError, TimeoutError) as e:
                problem = repr(e)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer as expected: {problem}")
            await asyncio.sleep(0.05)


def wrk_rate(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """Requests per second and errors (failed or not 2xx/3xx), by wrk on one thread."""
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={REQUEST_SECONDS}s", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    )  # fmt: skip
    rate = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    if rate is None:
        raise RuntimeError(f"wrk gave no rate: {done.stdout}")
    failed = re.findall(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    socket_errors = re.search(r"Socket errors:(.*)", done.stdout)
    errors = [*failed, *re.findall(r"\d+", socket_errors.group(1) if socket_errors else "")]
    return float(rate.group(1)), sum(int(n) for n in errors)


async def python_rate(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """Requests per second and errors, by ``connections`` aiohttp keep-alive connections."""
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> tuple[int, int]:
            ok = failed = 0
            while time.perf_counter() < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                    ok, failed = (ok + 1, failed) if response.status == 200 else (ok, failed + 1)
                except (aiohttp.ClientError, TimeoutError):
                    failed += 1
            return ok, failed

        counts = await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return sum(ok for ok, _ in counts) / elapsed, sum(failed for _, failed in counts)


async def round_trips(url: str, messages: int) -> list[float]:
    """Seconds of each echo of ``messages`` messages sent one after another (one more first,
    not counted, opens the way)."""
    seconds = []
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(REQUEST_SECONDS):
            ws = await session.ws_connect(url)
        async with ws:
            for _ in range(messages + 1):
                started = time.perf_counter()
                await ws.send_str(MESSAGE)
                echo = await ws.receive(timeout=REQUEST_SECONDS)
                if echo.type != aiohttp.WSMsgType.TEXT or echo.data != MESSAGE:
                    raise RuntimeError(f"{url}: not the echo: {echo.type!r}")
                seconds.append(time.perf_counter() - started)
    return seconds[1:]


# -- figures -------------------------------------------------------------------------------


def load(kind: str, urls: dict[str, str], connections: int, seconds: int, wrk: bool) -> float:
    """Print one load figure, proxy against direct (by wrk, else aiohttp); the ratio."""
    rates: dict[str, float] = {}
    shown = []
    for where, base in urls.items():
        url = f"{base}{kind}"
        if wrk:
            rate, errors = wrk_rate(url, connections, seconds)
        else:
            rate, errors = asyncio.run(python_rate(url, connections, seconds))
        rates[where] = rate
        shown.append(f"{where} {rate:.0f} req/s" + (f" ({errors} errors)" if errors else ""))
    ratio = rates["proxy"] / rates["direct"] if rates["direct"] else 0.0
    print(
        f"{FIGURES[kind][0]}, {connections} connections: {', '.join(shown)}, "
        f"ratio {ratio:.2f} (goal >= {GOALS[kind]:.2f})",
        flush=True,
    )
    return ratio


def websocket(urls: dict[str, str], messages: int) -> None:
    """Print the websocket figure, proxy against direct."""
    medians = {}
    parts = []
    for where, base in urls.items():
        seconds = asyncio.run(round_trips(f"{base.replace('http', 'ws', 1)}ws", messages))
        medians[where] = statistics.median(seconds)
        p90 = statistics.quantiles(seconds, n=10)[-1]
        parts.append(f"{where} median {1000 * medians[where]:.3f} ms p90 {1000 * p90:.3f} ms")
    ratio = medians["proxy"] / medians["direct"]
    print(
        f"websocket round trips, {messages} messages: {', '.join(parts)}, "
        f"ratio {ratio:.2f} (medians)",
        flush=True,
    )


def measure(urls: dict[str, str], args: argparse.Namespace, wrk: bool) -> dict[str, float]:
    """Check that both ways answer, then print every figure; the ratios of the goals."""
    for base in urls.values():
        for kind, (_, size) in FIGURES.items():
            asyncio.run(answers(f"{base}{kind}", size))
    ratios = {kind: load(kind, urls, args.connections, args.seconds, wrk) for kind in GOALS}
    websocket(urls, args.messages)
    return ratios


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="of load, per figure")
    parser.add_argument("--connections", type=int, default=30, help="concurrent connections")
    parser.add_argument("--messages", type=int, default=2000, help="websocket round trips")
    parser.add_argument(
        "--caddy", default=str(Path(sys.executable).parent / "caddy"), help="Caddy's binary"
    )
    args = parser.parse_args()
    if min(args.seconds, args.connections) < 1 or args.messages < 2:
        parser.error("at least 1 second, 1 connection and 2 messages")
    wrk = shutil.which("wrk")
    if wrk:
        print(f"client: wrk ({wrk}, one thread)", flush=True)
    else:
        print("client: aiohttp in this process (apt-get install wrk: steadier figures)", flush=True)
    # as the hub does at its start (proxy.socket_send_buffer), restored at the end
    before = buffers.raise_default(SEND_BUFFER) if os.geteuid() == 0 else None
    if before is not None:
        print(f"net.core.wmem_default raised from {before} to {SEND_BUFFER}", flush=True)
    try:
        run(args, wrk)
    finally:
        if before is not None:
            buffers.WMEM_DEFAULT.write_text(str(before))
    return 0


def run(args: argparse.Namespace, wrk: str | None) -> None:
    """Start the backend and Caddy, measure, print the goals."""
    with tempfile.TemporaryDirectory(prefix="labfleet-proxy-bench-") as tmp:
        folder = Path(tmp)
        with backend(folder) as (server_socket, port):
            with caddy([args.caddy], folder, server_socket) as proxy_port:
                urls = {
                    "proxy": f"http://127.0.0.1:{proxy_port}{ROUTE}",
                    "direct": f"http://127.0.0.1:{port}{ROUTE}",
                }
                ratios = measure(urls, args, wrk is not None)
    for kind, goal in GOALS.items():
        met = "met" if ratios[kind] >= goal else "not met"
        print(f"goal {FIGURES[kind][0]} proxy/direct >= {goal:.2f}: {met} ({ratios[kind]:.2f})")


if __name__ == "__main__":
    sys.exit(main())
