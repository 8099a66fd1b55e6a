"""Disk limits on the local backend: a file system image of its own for each limited user.

A user whose groups grant ``disk_limit`` gets an ext4 image of that size,
``<volumes>/.disks/<name>.img`` in a folder only root can enter, allocated in full when it
is made or grown: what one user writes never takes space the others or the hub need, and
a write past the limit fails in the user's own file system (ENOSPC). The image is
loop-mounted (nodev, nosuid) at ``.disks/<name>``, and each of the user's volume folders is
a bind mount of a folder in it, so that all their volumes count against the one limit.

The mounts are made before the server starts and kept after it stops (servers outlive the
hub; the sizes stay readable); they go when the user's volumes are reset or the user is
renamed or deleted, and with a reboot (the next start mounts them again). A higher limit
grows the image at the next start (unmounted, with resize2fs); a lower one never shrinks
it. Files found in a volume folder about to be covered (a user's files from before their
first image) are copied into the image first, then removed from the folder.

Servers make mount namespaces of their own (local.private_tmp), which copy the host's
mounts. So that a disk unmounted on the host is unmounted in them too (and its file system
really let go before it is grown), the volumes folder is made a shared mount of its own
before the first disk is mounted in it: the servers' namespaces, slaves of the host's,
follow what happens below it. An image still in use when it should grow is left as it is.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ..volumes import DiskUsage
from .base import BackendError

FOLDER = ".disks"  # in the volumes folder: no volume has this name (volumes.NAME)
MIB = 2**20
TIMEOUT = 600  # seconds for one command: making, checking, growing an image; copying files
TOOLS = ("mkfs.ext4", "e2fsck", "resize2fs", "mount", "umount", "losetup", "cp")
RELEASE_WAIT = 10  # seconds an unmounted image's loop device may take to go
MOUNTINFO = Path("/proc/self/mountinfo")
ESCAPE = re.compile(r"\\([0-7]{3})")


# -- pure ------------------------------------------------------------------------------


def image_bytes(limit: int) -> int:
    """The size of the image for a limit of ``limit`` bytes (whole MiB)."""
    return -(-limit // MIB) * MIB


def size_text(size: int) -> str:
    """``size`` bytes for people: 300 MiB, 5.0 GiB."""
    if size >= 2**30:
        return f"{size / 2**30:.1f} GiB"
    return f"{size / MIB:.0f} MiB"


def make_command(image: Path) -> list[str]:
    """Make the file system: 4 KiB blocks, none kept for root, and no discard (it would
    free the space allocated for the image)."""
    return ["mkfs.ext4", "-q", "-F", "-b", "4096", "-m", "0", "-E", "nodiscard", str(image)]


def check_command(image: Path) -> list[str]:
    return ["e2fsck", "-f", "-p", str(image)]


def grow_command(image: Path) -> list[str]:
    return ["resize2fs", str(image)]


def mount_command(image: Path, target: Path) -> list[str]:
    return ["mount", "-t", "ext4", "-o", "loop,nodev,nosuid", str(image), str(target)]


def bind_command(source: Path, target: Path) -> list[str]:
    """A bind mount, which keeps the disk's nodev and nosuid."""
    return ["mount", "--bind", str(source), str(target)]


def unmount_command(target: Path) -> list[str]:
    return ["umount", str(target)]


def share_commands(folder: Path, is_mount: bool) -> list[list[str]]:
    """Make ``folder`` a shared mount (a bind of itself first, unless it is a mount)."""
    bind = [] if is_mount else [bind_command(folder, folder)]
    return [*bind, ["mount", "--make-shared", str(folder)]]


def loops_command(image: Path) -> list[str]:
    """List the loop devices ``image`` backs."""
    return ["losetup", "-j", str(image)]


def copy_command(source: Path, target: Path) -> list[str]:
    """Copy what ``source`` holds into ``target``, owners, modes and links kept."""
    return ["cp", "-a", "--", f"{source}/.", str(target)]


def mount_table(mountinfo: str) -> dict[str, tuple[str, ...]]:
    """Mount point -> its optional fields (``shared:1``, ``master:2``) in a
    /proc/self/mountinfo text, octal escapes decoded (the last mount at a point wins)."""
    table = {}
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        if len(fields) > 6 and "-" in fields[6:]:
            point = ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
            table[point] = tuple(fields[6 : fields.index("-", 6)])
    return table


def usage_of(stat: os.statvfs_result) -> DiskUsage:
    """A mounted disk's use: its size less what can still be written."""
    size = stat.f_blocks * stat.f_frsize
    return DiskUsage(used_bytes=size - stat.f_bavail * stat.f_frsize, limit_bytes=size)


def reserve_problem(username: str, free: int, allocate: int, reserve: int) -> str | None:
    """Why ``username``'s server may not start, ``free`` bytes being free where the hub keeps
    its data and the start allocating ``allocate`` of them (None: it may)."""
    if free - allocate >= reserve:
        return None
    needs = f" (their disk_limit takes {size_text(allocate)} of it)" if allocate else ""
    return (
        f"Not enough disk space to start {username}'s server: {size_text(free)} is free on "
        f"the hub's disk{needs}, and the hub keeps {size_text(reserve)} for its database "
        "(local.disk_reserve). Free some space, or ask an admin."
    )


def unavailable(
    isolated: bool,
    which: Callable[[str], str | None] = shutil.which,
    loop_control: Path = Path("/dev/loop-control"),
) -> str | None:
    """Why this host cannot give users disks of their own (None: it can)."""
    if not isolated:
        return "disks of their own need labfleet to run as root, with local.isolate_users"
    missing = [tool for tool in TOOLS if which(tool) is None]
    if missing:
        return f"{', '.join(missing)} missing (apt-get install e2fsprogs mount coreutils)"
    if not loop_control.exists():
        return f"this host has no loop devices ({loop_control} is missing)"
    return None


# -- blocking --------------------------------------------------------------------------


def run(command: list[str], what: str, status: int = 500, ok: tuple[int, ...] = (0,)) -> None:
    """Run ``command``; BackendError(``status``) saying that ``what`` failed, and why."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackendError(504, f"{what}: {command[0]} took longer than {TIMEOUT}s") from None
    if done.returncode not in ok:
        lines = (done.stderr or done.stdout).strip().splitlines()
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackendError(status, f"{what}: {command[0]} failed ({why})")


def same_disk(one: Path, other: Path) -> bool:
    """Whether two paths (or the nearest folders above them that exist) share a file system."""

    def device(path: Path) -> int:
        while not path.exists():
            path = path.parent
        return path.stat().st_dev

    return device(one) == device(other)


def current_mounts() -> dict[str, tuple[str, ...]]:
    return mount_table(MOUNTINFO.read_text(errors="surrogateescape"))


def mounted(path: Path, mounts: dict[str, tuple[str, ...]]) -> bool:
    return os.path.realpath(path) in mounts


def wait_released(image: Path) -> None:
    """Return once no loop device is backed by ``image`` (its file system is gone from every
    mount namespace); 409 if one still is after RELEASE_WAIT seconds."""
    deadline = time.monotonic() + RELEASE_WAIT
    while True:
        found = subprocess.run(
            loops_command(image), capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        if found.returncode == 0 and not found.stdout.strip():
            return
        if time.monotonic() > deadline:
            raise BackendError(409, f"{image} is still mounted (in a server's mount namespace?)")
        time.sleep(0.2)


def allocate(image: Path, size: int) -> None:
    """Make ``image`` (or grow it to) ``size`` bytes, every one allocated now; 507 when the
    space is not free (a grown image keeps its size then)."""
    old = image.stat().st_size if image.exists() else None
    fd = os.open(image, os.O_WRONLY | (os.O_CREAT | os.O_EXCL if old is None else 0), 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as e:
        if old is not None:
            os.ftruncate(fd, old)
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BackendError(
                507, f"there is no room for a disk of {size_text(size)} ({image.parent})"
            ) from None
        raise
    finally:
        os.close(fd)


def empty(folder: Path) -> None:
    """Remove what ``folder`` holds (links removed, never followed)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


class Disks:
    """The disk images of the users whose volumes live in ``volumes``; methods block."""

    def __init__(self, volumes: Path):
        self.volumes = volumes
        self.folder = volumes / FOLDER

    def image(self, name: str) -> Path:
        """The image of the user whose escaped name is ``name``."""
        return self.folder / f"{name}.img"

    def mount_point(self, name: str) -> Path:
        return self.folder / name

    def to_allocate(self, name: str, limit: int | None) -> int:
        """Bytes that a start with ``limit`` allocates: a new image, or what growing adds."""
        if limit is None:
            return 0
        image = self.image(name)
        return max(0, image_bytes(limit) - (image.stat().st_size if image.exists() else 0))

    def attach(
        self, name: str, limit: int | None, volumes: Mapping[str, Path], uid: int, gid: int
    ) -> str | None:
        """Mount ``name``'s disk, and a folder of it on each of ``volumes`` (volume name ->
        folder), first making the image for ``limit`` or growing it to that. Nothing for a
        user with neither a limit nor an image. What the operator should hear, if anything
        (a disk in use cannot grow now)."""
        image = self.image(name)
        notice = None
        if self.to_allocate(name, limit):
            if not image.exists():
                self._make(image, image_bytes(limit))
            else:
                try:
                    self.detach(name, volumes.values())
                    wait_released(image)
                except BackendError as e:
                    notice = f"the disk of {name} grows at a later start: {e.message}"
                else:
                    self._grow(image, image_bytes(limit))
        if not image.exists():
            return None
        point = self._mount(name)
        mounts = current_mounts()
        for volume, folder in volumes.items():
            inside = point / volume
            inside.mkdir(mode=0o700, exist_ok=True)
            os.chown(inside, uid, gid)
            if mounted(folder, mounts):
                continue
            if any(folder.iterdir()):
                self._move_in(folder, inside, name)
            run(bind_command(inside, folder), f"mounting the {volume} of {name}")
        return notice

    def _mount(self, name: str) -> Path:
        """Mount ``name``'s disk unless it is; where it is mounted."""
        mounts = current_mounts()
        options = mounts.get(os.path.realpath(self.volumes))
        if options is None or not any(o.startswith("shared:") for o in options):
            for command in share_commands(self.volumes, options is not None):
                run(command, f"sharing the mounts of {self.volumes}")
        point = self.mount_point(name)
        if not mounted(point, mounts):
            point.mkdir(mode=0o700, exist_ok=True)
            run(mount_command(self.image(name), point), f"mounting the disk of {name}")
        return point

    def _make(self, image: Path, size: int) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self.folder.chmod(0o700)
        allocate(image, size)
        try:
            run(make_command(image), f"making the disk {image}")
        except BackendError:
            image.unlink()
            raise

    def _grow(self, image: Path, size: int) -> None:
        """Grow the file system of an image that nothing has mounted."""
        old = image.stat().st_size
        allocate(image, size)
        try:
            run(check_command(image), f"checking the disk {image}", ok=(0, 1))
            run(grow_command(image), f"growing the disk {image}")
        except BackendError:
            os.truncate(image, old)  # what was added is not the file system's yet
            raise

    def _move_in(self, folder: Path, inside: Path, name: str) -> None:
        """Copy the files of ``folder`` onto the disk, then remove them from ``folder``."""
        try:
            run(copy_command(folder, inside), f"copying {folder} onto the disk of {name}")
        except BackendError as e:
            raise BackendError(
                507, f"The files in {folder} do not fit on the disk of {name} "
                f"({e.message}): raise their disk_limit, or remove some of them",
            ) from None  # fmt: skip
        empty(folder)

    def detach(self, name: str, folders: Iterable[Path]) -> None:
        """Unmount ``name``'s volume folders, then the disk; the image stays."""
        mounts = current_mounts()
        point = self.mount_point(name)
        for target in [*folders, point]:
            if mounted(target, mounts):
                run(unmount_command(target), f"unmounting {target}", status=409)
        if point.is_dir():
            point.rmdir()

    def reset(self, name: str, volumes: Mapping[str, Path], everything: bool) -> None:
        """Delete what ``name``'s disk holds of ``volumes`` (volume name -> folder), left
        unmounted; with ``everything`` (every volume), the image itself."""
        if everything:
            self.detach(name, volumes.values())
            self.image(name).unlink(missing_ok=True)
            return
        mounts = current_mounts()
        for folder in volumes.values():
            if mounted(folder, mounts):
                run(unmount_command(folder), f"unmounting {folder}", status=409)
        point = self._mount(name)
        for volume in volumes:
            shutil.rmtree(point / volume, ignore_errors=True)

    def usage(self, names: Iterable[str]) -> dict[str, DiskUsage]:
        """The use of the mounted disks among those of ``names``."""
        mounts = current_mounts()
        return {
            name: usage_of(os.statvfs(self.mount_point(name)))
            for name in names
            if mounted(self.mount_point(name), mounts)
        }
