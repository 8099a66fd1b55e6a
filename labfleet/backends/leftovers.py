"""What a deleted account left where others can reach it: its files in shared folders and in
the host's /tmp, /var/tmp and /dev/shm, removed as root.

Other accounts may write those folders while this runs, so every step is relative to an
open folder and never follows a link (as :mod:`labfleet.backends.links` does); the walk stays
on the file system it starts on.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable

SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid: int, folders: Iterable[str]) -> int:
    """Remove every file, link and empty folder that ``uid`` owns below ``folders``; the
    number removed. Folders of ``uid``'s that still hold others' files stay."""
    removed = 0
    for top in folders:
        try:
            device = os.stat(top, follow_symlinks=False).st_dev
        except OSError:
            continue
        for _path, names, files, fd in os.fwalk(top, topdown=False, follow_symlinks=False):
            for name in [*files, *names]:
                removed += _remove(name, fd, uid, device)
    return removed


def _remove(name: str, fd: int, uid: int, device: int) -> int:
    """Remove ``name`` in the folder ``fd`` if ``uid`` owns it (1), else leave it (0)."""
    with contextlib.suppress(OSError):
        found = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if found.st_uid == uid and found.st_dev == device:
            (os.rmdir if stat.S_ISDIR(found.st_mode) else os.unlink)(name, dir_fd=fd)
            return 1
    return 0
