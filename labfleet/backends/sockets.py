"""Servers on Unix sockets: each in a folder of its own that only the server's account (and
root: the hub and the proxy) can enter, so no other account can listen in its place, and a
server that ends leaves a dead socket, never a port for another account to take."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from .. import blocking
from ..notify.tickets import KEY_FILE

SOCKET = "server.sock"
POLL = 0.02  # seconds between two looks at a starting server's socket
RUNNING_POLL = 0.5  # seconds between two questions whether a starting server still runs
HEAD_ROOM = 1024 * 1024  # bytes a request's head may add to its body (proxy.max_header_bytes)


def server_folder(root: Path, username: str, server_name: str) -> Path:
    """The socket folder of a server: a digest of its name, so that any name fits in the
    108 bytes of a socket's path and no name reaches the file system."""
    digest = hashlib.sha256(f"{username}/{server_name}".encode()).hexdigest()[:24]
    return root / "servers" / digest


def prepare_folder(folder: Path, uid: int, gid: int) -> None:
    """Make the server's socket folder, owned by its account, mode 0700, with no socket of
    an earlier start; the folders above it belong to root. Blocking."""
    folder.parent.mkdir(mode=0o711, parents=True, exist_ok=True)
    folder.parent.chmod(0o711)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if folder.is_symlink() or not folder.is_dir():
            folder.unlink()
            folder.mkdir(mode=0o700)
    os.chown(folder, uid, gid, follow_symlinks=False)
    folder.chmod(0o700)
    # the account's own folder: the name is removed, never followed
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.unlink(SOCKET, dir_fd=fd)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)


def write_key(folder: Path, key: bytes, uid: int, gid: int) -> None:
    """Write a server's notification key into its socket folder (``tickets.KEY_FILE``, mode
    0600, owned by its account, which reads and deletes it as the server starts); a name
    the account left there is removed, never followed. Blocking."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        try:
            os.unlink(KEY_FILE, dir_fd=fd)
        except FileNotFoundError:
            pass
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        file = os.open(KEY_FILE, flags, 0o600, dir_fd=fd)
        try:
            os.fchown(file, uid, gid)
            os.write(file, key.hex().encode())
        finally:
            os.close(file)
    finally:
        os.close(fd)


def answers(path: Path) -> bool:
    """Whether a server accepts connections on the socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


async def wait_for_socket(
    path: Path, running: Callable[[], Awaitable[bool]], timeout: float
) -> bool:
    """Wait until the socket ``path`` accepts connections: True; False once ``running``
    (asked every RUNNING_POLL seconds) says the server ended, or TimeoutError after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    ask = 0.0
    while time.monotonic() < deadline:
        if await blocking.run(blocking.FILES, answers, path):
            return True
        if time.monotonic() >= ask:
            if not await running():
                return False
            ask = time.monotonic() + RUNNING_POLL
        await asyncio.sleep(POLL)
    raise TimeoutError(f"no server listened on {path} within {timeout:g}s")


def server_limits(max_body: int) -> list[str]:
    """jupyter-server's own limits on requests, matched to the proxy's body limit: a little
    above it (room for the head), so that the proxy is the one that answers 413."""
    if not max_body:
        return []
    limit = max_body + HEAD_ROOM
    return [f"--ServerApp.max_body_size={limit}", f"--ServerApp.max_buffer_size={limit}"]
