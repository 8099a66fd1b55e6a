"""``python -m labfleet.singleuser.forkserver SOCKET``: single-user servers, pre-imported.

A process of the hub's account that imports the single-user server and its enabled
extensions once, then forks one child per start. Each start is one connection on the
unix socket ``SOCKET``: the fork happens as soon as the connection is accepted, and only
the child reads the request (a JSON line: the server's arguments, environment, account,
control group files and log), so the server process never holds what another start
asked for (another user's token). The child joins the control group, takes the log as
its output, closes every other file, takes its private /tmp and /dev/shm
(:mod:`labfleet.private_tmp`), becomes the account, computes again what the imports took
from the fork server's own home (:func:`lab_folders`), answers its pid and serves.

The hub holds this process's stdin: when the hub is gone the process ends (the servers
it started keep running, as servers the hub starts itself do). It prints ``ready`` on
stdout once it takes requests.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from labfleet import private_tmp

MAX_REQUEST = 1 << 20  # bytes of one start request at most


def preload() -> None:
    """Import the single-user server and the server extensions enabled for everyone."""
    importlib.import_module("jupyterhub.singleuser")
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    enabled = ExtensionConfigManager(read_config_path=jupyter_config_path())
    for name, on in enabled.get_jpserver_extensions().items():
        if not on:
            continue
        try:
            module = importlib.import_module(name)
            for point in getattr(module, "_jupyter_server_extension_points", list)():
                importlib.import_module(point.get("module", name))
        except Exception:  # the server reports a broken extension itself, at its start
            pass
    # the imported objects stay put: children share their memory pages with this process
    gc.collect()
    gc.freeze()


def become(request: dict, conn: socket.socket) -> None:
    """In the child: take the start's control group, output, account and folder."""
    os.setsid()
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    pid = str(os.getpid()).encode()
    for path in request["join"]:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)
    mode = os.O_APPEND if request["append"] else os.O_TRUNC
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | mode, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    if request["private_tmp"] is not None:
        private_tmp.enter(private_tmp.PrivateTmp(**request["private_tmp"]))
    account = request.get("account")
    if account is not None:
        os.setgid(account["gid"])
        os.initgroups(account["name"], account["gid"])
        os.setuid(account["uid"])
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # nothing of this process's own: a fresh seed, temp folder and arguments
    random.seed()
    tempfile.tempdir = None
    sys.argv = ["labfleet-singleuser", *request["argv"], *lab_folders()]
    show_environment(request["env"])


def lab_folders() -> list[str]:
    """In the child, with the server's environment: JupyterLab's workspaces and user settings
    folders, as the server's arguments. They are class defaults, computed from HOME as
    ``jupyterlab`` was imported: the fork server's (else every save of the layout or of a
    setting fails, and JupyterLab forgets them). Comparing what fork servers of two
    accounts import finds nothing else taken from HOME or the account that a server uses
    (send2trash's trash folders too: JupyterHub's servers delete without the trash)."""
    if "jupyterlab.labapp" not in sys.modules:
        return []
    from jupyterlab.commands import get_user_settings_dir, get_workspaces_dir

    return [
        f"--LabApp.user_settings_dir={get_user_settings_dir()}",
        f"--LabApp.workspaces_dir={get_workspaces_dir()}",
    ]


def rewrite(field: int, strings: list[str], whole: bool) -> None:
    """Write ``strings`` into this process's memory between the addresses of /proc/self/stat
    fields ``field`` and ``field + 1`` (where /proc/<pid>/cmdline or environ reads them),
    all of them or (not ``whole``) as many as fit."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    start, end = int(fields[field - 3]), int(fields[field - 2])
    block = b""
    for string in strings:
        item = string.encode() + b"\0"
        if len(block) + len(item) > end - start:
            if whole:
                raise ValueError(f"{len(strings)} strings do not fit in {end - start} bytes")
            break
        block += item
    ctypes.memmove(start, block.ljust(end - start, b"\0"), end - start)


def show_environment(env: dict[str, str]) -> None:
    """Write ``env`` and the server's command where /proc/<pid>/environ and cmdline read
    them (the hub reads a server's token there when it adopts the server after a restart,
    ps its command): into the room this process's own environment keeps (its one large
    variable) and its command line. The C library's variables no longer point there."""
    rewrite(50, [f"{name}={value}" for name, value in env.items()], whole=True)
    rewrite(48, [sys.executable, "-m", "labfleet.singleuser", *sys.argv[1:]], whole=False)


def serve_child(conn: socket.socket) -> None:
    """The forked child: read the request, answer the pid, run the server; never returns."""
    code = 1
    try:
        reader = conn.makefile("rb")
        request = json.loads(reader.readline(MAX_REQUEST))
        reader.close()
        become(request, conn)
    except BaseException as e:
        try:
            conn.sendall(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode() + b"\n")
        finally:
            os._exit(1)
    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    conn.close()
    try:
        from labfleet.singleuser.__main__ import main

        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def same_account(conn: socket.socket) -> bool:
    """Whether the peer of ``conn`` runs as this process's account (the hub)."""
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def serve(path: str) -> None:
    preload()
    if threading.active_count() > 1:
        sys.exit("a thread started while importing the server: forking is not safe here")
    # children are reaped as they end; they restore the default in become()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_mask)
    listener.listen(128)
    print("ready", flush=True)
    hub = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([listener, hub], [], [])
        if hub in readable and not os.read(hub, 1024):
            return  # the hub is gone
        if listener not in readable:
            continue
        conn, _ = listener.accept()
        if not same_account(conn):
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            serve_child(conn)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
