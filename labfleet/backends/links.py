"""Group mounts on the local backend: symbolic links in a user's home, made as root.

The home belongs to the user, who may have put links of their own anywhere in it. Every
folder on the way to a link is opened without following links, so a link of the user's
never makes labfleet create or remove anything outside the home.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..groups import Mount

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


class LinkProblem(Exception):
    """A mount could not be linked; the message says where and what to do."""


@contextlib.contextmanager
def folder_of(home: Path, path: str, uid: int, gid: int, create: bool) -> Iterator[int | None]:
    """A descriptor of the folder that holds ``path`` (relative to ``home``); None if missing."""
    fd = os.open(home, FOLDER_FLAGS)
    try:
        for depth, part in enumerate(path.split("/")[:-1], 1):
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
                    os.chown(part, uid, gid, dir_fd=fd, follow_symlinks=False)
            try:
                inner = os.open(part, FOLDER_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                yield None
                return
            except OSError:
                where = "/".join(path.split("/")[:depth])
                raise LinkProblem(f"~/{where} is not a folder (a file or a link)") from None
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def link(home: Path, mount: Mount, uid: int, gid: int) -> None:
    """Make ``~/path`` a link to the mount's host folder, replacing a link (never a file);
    for a read-only mount, an empty folder where the server binds the host folder."""
    name = mount.path.rsplit("/", 1)[-1]
    with folder_of(home, mount.path, uid, gid, create=True) as fd:
        try:
            existing = os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        else:
            if mount.mode == "ro" and stat.S_ISDIR(existing.st_mode):
                inner = os.open(name, FOLDER_FLAGS, dir_fd=fd)
                try:
                    if os.listdir(inner):
                        raise LinkProblem(f"~/{mount.path} is a folder with files: move it away")
                finally:
                    os.close(inner)
                return
            if not stat.S_ISLNK(existing.st_mode):
                raise LinkProblem(f"~/{mount.path} exists and is not a link: move it away")
            os.unlink(name, dir_fd=fd)
        if mount.mode == "ro":
            os.mkdir(name, 0o755, dir_fd=fd)
        else:
            os.symlink(mount.host, name, dir_fd=fd)
        os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)


def unlink(home: Path, path: str) -> None:
    """Remove the link ``~/path`` if it is still a link (or the empty folder of a read-only
    mount)."""
    name = path.rsplit("/", 1)[-1]
    with contextlib.suppress(LinkProblem), folder_of(home, path, 0, 0, create=False) as fd:
        if fd is None:
            return
        with contextlib.suppress(FileNotFoundError, OSError):
            found = os.lstat(name, dir_fd=fd)
            if stat.S_ISLNK(found.st_mode):
                os.unlink(name, dir_fd=fd)
            elif stat.S_ISDIR(found.st_mode):
                os.rmdir(name, dir_fd=fd)  # only when empty


def read_record(record: Path) -> dict[str, list[str]]:
    """The links made in a home, and every host folder ever linked there (where the account
    may have written), as ``record`` keeps them (a list of links before hosts were kept)."""
    kept = json.loads(record.read_text()) if record.exists() else {}
    if isinstance(kept, list):
        return {"links": kept, "hosts": []}
    return {"links": kept.get("links", []), "hosts": kept.get("hosts", [])}


def sync_links(home: Path, mounts: Sequence[Mount], record: Path, uid: int, gid: int) -> list[str]:
    """Link ``mounts`` into ``home``; remove the links of earlier mounts no longer given.

    ``record`` (outside the home) lists the links made and the host folders ever linked.
    Returns what could not be linked.
    """
    previous = read_record(record)
    wanted = {m.path for m in mounts}
    for path in previous["links"]:
        if path not in wanted:
            unlink(home, path)
    problems, linked = [], []
    for mount in mounts:
        try:
            link(home, mount, uid, gid)
            linked.append(mount.path)
        except LinkProblem as e:
            problems.append(f"mount {mount.host} -> ~/{mount.path} is skipped: {e}")
    hosts = sorted({*previous["hosts"], *(m.host for m in mounts)})
    record.parent.mkdir(mode=0o700, exist_ok=True)
    record.write_text(json.dumps({"links": linked, "hosts": hosts}))
    return problems
