"""A server's own /tmp, /var/tmp and /dev/shm, as systemd's PrivateTmp gives a service.

The server's first process, still root, enters a mount namespace of its own and mounts a
fresh tmpfs on each of those folders before it becomes the account. What the server and its
kernels write there is theirs alone, is charged to their control group (its memory limit
holds for files in /dev/shm too), and is gone once the last process of the server ends: the
namespace, and its file systems, end with it. Nothing of it outlives a stop or a deleted user.

The hub's own files may live below one of those folders (a data directory under /tmp):
entries of a folder that hold a path the server needs are bound into the new tmpfs again.
Only the standard library: the fork server's children call it too.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath

FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")
CLONE_NEWNS = 0x00020000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SLAVE = 0x80000

_libc = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: children only call it


@dataclass(frozen=True)
class PrivateTmp:
    """What one server gets: ``size`` bytes at most in each folder; ``keep``, the paths
    (of the hub's, below those folders) it must still reach; ``read_only``, host folders
    bound read-only at a folder of the home (pairs: host, mount point), a course's material."""

    size: int
    keep: tuple[str, ...] = ()
    read_only: tuple[tuple[str, str], ...] = ()


def kept_entries(folder: str, keep: tuple[str, ...]) -> list[str]:
    """The names in ``folder`` that hold (or are) one of the ``keep`` paths."""
    names = set()
    for path in keep:
        parts = PurePosixPath(path).parts
        top = PurePosixPath(folder).parts
        if len(parts) > len(top) and parts[: len(top)] == top:
            names.add(parts[len(top)])
    return sorted(names)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None) -> None:
    _call(
        _libc.mount(
            source.encode(),
            target.encode(),
            kind.encode() if kind else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _replace(folder: str, private: PrivateTmp) -> None:
    """Mount a fresh tmpfs on ``folder``, binding back the entries ``keep`` needs."""
    kept = {}
    for name in kept_entries(folder, private.keep):
        path = os.path.join(folder, name)
        try:
            kept[name] = os.open(path, os.O_PATH | os.O_NOFOLLOW)
        except FileNotFoundError:
            continue
    try:
        options = f"size={private.size},mode=1777"
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
        for name, fd in kept.items():
            target = os.path.join(folder, name)
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.mkdir(target, 0o700)
            else:
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
            _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC, None)
    finally:
        for fd in kept.values():
            os.close(fd)


def open_no_follow(path: str) -> int:
    """An ``O_PATH`` descriptor of the folder ``path``, reached without following any link
    (the home's folders are the user's: a link there must not move a mount elsewhere)."""
    fd = os.open("/", os.O_PATH | os.O_DIRECTORY)
    try:
        for part in PurePosixPath(path).parts[1:]:
            inner = os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def bind_read_only(host: str, target: str) -> None:
    """Bind the folder ``host`` at ``target``, read-only, without devices or set-uid."""
    fd = open_no_follow(target)
    try:
        _mount(host, f"/proc/self/fd/{fd}", None, MS_BIND | MS_REC, None)
    finally:
        os.close(fd)
    fd = open_no_follow(target)  # now the mount's root
    try:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
        _mount("none", f"/proc/self/fd/{fd}", None, flags, None)
    finally:
        os.close(fd)


def enter(private: PrivateTmp) -> None:
    """In the server's first process, as root: a mount namespace of its own (the host's
    mounts still reach it) with a private tmpfs on each of ``FOLDERS``, and the read-only
    folders bound into the home."""
    _call(_libc.unshare(CLONE_NEWNS), "unshare")
    # mounts made here stay here; what changes below the host's shared mounts still
    # arrives (a user's disk unmounted: labfleet.backends.disks)
    _mount("none", "/", None, MS_REC | MS_SLAVE, None)
    for folder in FOLDERS:
        if os.path.isdir(folder) and not os.path.islink(folder):
            _replace(folder, private)
    for host, target in private.read_only:
        try:
            bind_read_only(host, target)
        except OSError as e:  # the hub said why when it made the mount point (or could not)
            print(f"labfleet: {host} is not mounted at {target}: {e}", file=sys.stderr)
