"""One hub per data directory: a lock the running hub holds for its whole life.

The lock is ``hub/labfleet.pid`` in the data directory, locked with ``flock`` (released by
the kernel however the hub ends, a crash included) and holding the hub's pid.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    """Another hub holds the data directory; ``pid`` is its process."""

    def __init__(self, pid: int | None):
        super().__init__(f"labfleet is already running here (pid {pid or 'unknown'})")
        self.pid = pid


def lock_file(hub_dir: Path) -> Path:
    return hub_dir / "labfleet.pid"


def acquire(hub_dir: Path) -> int:
    """Lock the data directory for this process; the descriptor to keep open while it runs.

    Raises AlreadyRunning, touching nothing, when another hub holds it.
    """
    fd = os.open(lock_file(hub_dir), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = read_pid(fd)
        os.close(fd)
        raise AlreadyRunning(pid) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def running_hub(hub_dir: Path) -> int | None:
    """The pid of the hub that holds the data directory now (None when none does)."""
    path = lock_file(hub_dir)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_pid(fd) or -1
    finally:
        os.close(fd)
    return None


def read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
