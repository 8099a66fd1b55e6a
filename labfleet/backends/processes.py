"""What /proc says about processes and listening sockets (Linux), without psutil.

Used as root by the local backend: to end what an account still runs, and to make sure
that the process answering on a server's port is the server's own.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket: the account that made it and its inode."""

    uid: int
    inode: int


def process_uid(pid: int) -> int | None:
    """The real uid of process ``pid`` (None once it is gone, or a zombie: it runs nothing)."""
    try:
        status = dict(
            line.split(":", 1) for line in (PROC / str(pid) / "status").read_text().splitlines()
        )
    except (OSError, ValueError):
        return None
    if status.get("State", "").split()[:1] == ["Z"]:
        return None
    return int(status["Uid"].split()[0]) if "Uid" in status else None


def pids_of_uid(uid: int) -> list[int]:
    """Every live process whose real uid is ``uid``."""
    return [
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and process_uid(int(entry.name)) == uid
    ]


def kill(pids: Iterable[int], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to each of ``pids`` that still exists."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _hex_address(ip: str, port: int) -> str:
    """An address as /proc/net/tcp{,6} prints it: 32-bit words in host order, then the port."""
    packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
    words = struct.unpack(f"={len(packed) // 4}I", packed)
    return "".join(f"{word:08X}" for word in words) + f":{port:04X}"


def listener(port: int, ip: str = "127.0.0.1") -> Listener | None:
    """The socket listening on ``ip:port`` (or on every address, which includes it)."""
    wanted = {_hex_address(ip, port), _hex_address("0.0.0.0", port), _hex_address("::", port)}
    if ":" not in ip:
        wanted.add(_hex_address(f"::ffff:{ip}", port))
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN and fields[1] in wanted and fields[9] != "0":
                return Listener(uid=int(fields[7]), inode=int(fields[9]))
    return None


def holds_socket(pid: int, inode: int) -> bool:
    """Whether process ``pid`` has the socket ``inode`` open."""
    target = f"socket:[{inode}]"
    try:
        descriptors = os.listdir(PROC / str(pid) / "fd")
    except OSError:
        return False
    for fd in descriptors:
        try:
            if os.readlink(PROC / str(pid) / "fd" / fd) == target:
                return True
        except OSError:
            continue
    return False


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in (PROC / str(current) / "task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def holders(inode: int) -> list[int]:
    """Every process that has the socket ``inode`` open."""
    return [
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and holds_socket(int(entry.name), inode)
    ]


def environment(pid: int) -> dict[str, str]:
    """The environment process ``pid`` started with ({} once it is gone)."""
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    return dict(
        item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item
    )
