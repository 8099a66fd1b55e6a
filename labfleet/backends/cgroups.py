"""Control groups for the local backend's servers: limits that hold, stops that end everything.

Every server runs in a control group of its own, named for its system account. Nothing a
user starts can leave it (only root may move a process to another group), so what a kernel
started, detached with ``setsid`` or not, ends with the server. :func:`detect` picks the
driver the host allows:

- :class:`CgroupV2`: the unified hierarchy with the memory, cpu and pids controllers (a host
  without systemd, or a hub whose systemd unit has ``Delegate=yes``);
- :class:`SystemdScopes`: a host run by systemd that has not delegated a subtree to labfleet:
  each server is a transient scope unit (``systemd-run --scope``);
- :class:`CgroupV1`: separate hierarchies per controller (and the unified one, when mounted,
  for ``cgroup.kill``), as on older or hybrid hosts;
- :class:`NoControlGroups`: none usable: no limits, and a stop ends the account's processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import processes
from .base import Usage

ROOT = Path("/sys/fs/cgroup")
GROUP = "labfleet"  # the folder holding labfleet's groups, below the hub's own
CPU_PERIOD_US = 100_000
UNLIMITED = 1 << 62  # v1 reports "no limit" as a huge number
END_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30


@dataclass(frozen=True)
class Limits:
    """What a server may use; None: no limit."""

    memory_bytes: int | None = None
    cpus: float | None = None
    processes: int | None = None


class ControlGroupError(Exception):
    """A group could not be made, limited or ended; the message says what."""


def read_int(path: Path) -> int | None:
    """A number file of cgroupfs (None for "max", missing or unreadable)."""
    try:
        text = path.read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def write(path: Path, value: object) -> None:
    try:
        path.write_text(str(value))
    except OSError as e:
        raise ControlGroupError(f"cannot write {value!r} to {path}: {e.strerror}") from None


def cpu_seconds_of(pids: list[int]) -> float | None:
    """CPU time the processes ``pids`` and the children they waited for used (None: none)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") if pids else None


def cpu_stat_seconds(path: Path) -> float | None:
    """``usage_usec`` of a cgroup v2 ``cpu.stat``, in seconds (None if unreadable)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
    except (OSError, ValueError):
        pass
    return None


def members_of(folder: Path) -> list[int]:
    """The processes in the group ``folder`` ([] once it is gone)."""
    try:
        return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
    except FileNotFoundError:
        return []


def wait_empty(procs: Path, timeout: float) -> bool:
    """Whether the group whose cgroup.procs is ``procs`` emptied within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not procs.read_text().split():
                return True
        except FileNotFoundError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def remove(folder: Path) -> None:
    """Remove an empty group (its files are the kernel's: rmdir, not rm)."""
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)  # the last exiting process is still being reaped
    raise ControlGroupError(f"cannot remove {folder}: processes are still in it")


def kill_unified(folder: Path, timeout: float) -> None:
    """End everything in a unified (v2) group: ``cgroup.kill``, or SIGKILL to each member."""
    if (folder / "cgroup.kill").exists():
        write(folder / "cgroup.kill", 1)
    else:  # kernels before 5.14: kill until nothing is left (a fork may race one pass)
        for _ in range(20):
            members = members_of(folder)
            if not members:
                break
            processes.kill(members)
            time.sleep(0.05)
    if not wait_empty(folder / "cgroup.procs", timeout):
        raise ControlGroupError(f"processes of {folder} did not end within {timeout:g}s")


class Containment:
    """How each server is held; ``name`` is its group (the server's system account)."""

    kind = "none"
    applies_limits = False

    def prepare(self, name: str, limits: Limits) -> None:
        """Make the group with these limits (or set them on the group kept from before)."""

    def command_prefix(self, name: str, uid: int, gid: int, limits: Limits) -> list[str]:
        """What to run the server's command with (a systemd scope), or nothing."""
        return []

    def join_files(self, name: str) -> list[Path]:
        """The files the server's process writes its pid to, before it starts, to join."""
        return []

    def members(self, name: str) -> list[int]:
        """The processes in the group."""
        return []

    def usage(self, name: str) -> Usage:
        return Usage(None, None, None, None)

    def end(self, name: str, timeout: float = END_TIMEOUT) -> None:
        """End every process in the group, then remove the group."""


class NoControlGroups(Containment):
    """The host gives labfleet no usable control groups (``reason`` says why)."""

    def __init__(self, reason: str):
        self.reason = reason


class UnifiedGroups(Containment):
    """What reads a server's cgroup v2 folder (its own, or its systemd scope's)."""

    def folder(self, name: str) -> Path:
        raise NotImplementedError

    def members(self, name: str) -> list[int]:
        return members_of(self.folder(name))

    def usage(self, name: str) -> Usage:
        folder = self.folder(name)
        return Usage(
            memory_bytes=read_int(folder / "memory.current"),
            memory_limit_bytes=read_int(folder / "memory.max"),
            processes=read_int(folder / "pids.current"),
            processes_limit=read_int(folder / "pids.max"),
            cpu_seconds=cpu_stat_seconds(folder / "cpu.stat"),
        )


class CgroupV2(UnifiedGroups):
    """The unified hierarchy: one folder per server below ``base``, all controllers in it.

    ``top`` is the highest group labfleet may change: the root of a host without systemd,
    or the hub's own group when systemd delegated it. A group with processes cannot give
    its controllers to groups below it, so the hub then moves itself into ``top/hub``.
    """

    kind = "cgroup v2"
    applies_limits = True
    CONTROLLERS = ("memory", "cpu", "pids")

    def __init__(self, top: Path, base: Path, move_hub: bool = False):
        self.top = top
        self.base = base
        self.move_hub = move_hub

    def folder(self, name: str) -> Path:
        return self.base / name

    def enable_controllers(self) -> None:
        """Give the controllers to every level from ``top`` down to ``base``."""
        if self.move_hub:
            leaf = self.top / "hub"
            leaf.mkdir(exist_ok=True)
            for pid in (self.top / "cgroup.procs").read_text().split():
                write(leaf / "cgroup.procs", pid)
        levels = [self.base, *(p for p in self.base.parents if self.top in (p, *p.parents))]
        for level in reversed(levels):
            level.mkdir(exist_ok=True)
            write(level / "cgroup.subtree_control", " ".join(f"+{c}" for c in self.CONTROLLERS))

    def prepare(self, name: str, limits: Limits) -> None:
        self.enable_controllers()
        folder = self.folder(name)
        folder.mkdir(exist_ok=True)
        memory = "max" if limits.memory_bytes is None else limits.memory_bytes
        write(folder / "memory.max", memory)
        if (folder / "memory.swap.max").exists():
            write(folder / "memory.swap.max", "max" if limits.memory_bytes is None else 0)
        quota = "max" if limits.cpus is None else int(limits.cpus * CPU_PERIOD_US)
        write(folder / "cpu.max", f"{quota} {CPU_PERIOD_US}")
        write(folder / "pids.max", "max" if limits.processes is None else limits.processes)

    def join_files(self, name: str) -> list[Path]:
        return [self.folder(name) / "cgroup.procs"]

    def end(self, name: str, timeout: float = END_TIMEOUT) -> None:
        folder = self.folder(name)
        if folder.exists():
            kill_unified(folder, timeout)
            remove(folder)


class CgroupV1(Containment):
    """One hierarchy per controller (``mounts``: controller -> the group below which labfleet
    makes its own); ``unified``, where mounted, ends a group with ``cgroup.kill``."""

    kind = "cgroup v1"
    applies_limits = True
    CONTROLLERS = ("memory", "cpu", "pids", "freezer")

    def __init__(self, mounts: dict[str, Path], unified: Path | None):
        self.mounts = mounts  # e.g. {"memory": /sys/fs/cgroup/memory/<own>/labfleet, ...}
        self.unified = unified

    def folders(self, name: str) -> dict[str, Path]:
        found = {controller: base / name for controller, base in self.mounts.items()}
        if self.unified is not None:
            found["unified"] = self.unified / name
        return found

    def prepare(self, name: str, limits: Limits) -> None:
        folders = self.folders(name)
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        memory = folders["memory"]
        swap = memory / "memory.memsw.limit_in_bytes"
        # memory+swap may never be below memory alone: lift it, set memory, then lower it
        if swap.exists():
            write(swap, -1)
        write(memory / "memory.limit_in_bytes", limits.memory_bytes or -1)
        if swap.exists():
            write(swap, limits.memory_bytes or -1)
        cpu = folders["cpu"]
        write(cpu / "cpu.cfs_period_us", CPU_PERIOD_US)
        quota = -1 if limits.cpus is None else int(limits.cpus * CPU_PERIOD_US)
        write(cpu / "cpu.cfs_quota_us", quota)
        write(folders["pids"] / "pids.max", limits.processes or "max")

    def join_files(self, name: str) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.folders(name).values()]

    def members(self, name: str) -> list[int]:
        return members_of(self.folders(name)["freezer"])

    def usage(self, name: str) -> Usage:
        folders = self.folders(name)
        limit = read_int(folders["memory"] / "memory.limit_in_bytes")
        return Usage(
            memory_bytes=read_int(folders["memory"] / "memory.usage_in_bytes"),
            memory_limit_bytes=limit if limit is not None and limit < UNLIMITED else None,
            processes=read_int(folders["pids"] / "pids.current"),
            processes_limit=read_int(folders["pids"] / "pids.max"),
            # cpuacct is not among the controllers used: the members' own times
            cpu_seconds=cpu_seconds_of(members_of(folders["pids"])),
        )

    def end(self, name: str, timeout: float = END_TIMEOUT) -> None:
        folders = self.folders(name)
        unified = folders.get("unified")
        if unified is not None and unified.exists():
            kill_unified(unified, timeout)
        elif folders["freezer"].exists():
            self._kill_frozen(folders["freezer"], timeout)
        for folder in folders.values():
            if folder.exists():
                if not wait_empty(folder / "cgroup.procs", timeout):
                    raise ControlGroupError(f"processes of {folder} did not end")
                remove(folder)

    def _kill_frozen(self, freezer: Path, timeout: float) -> None:
        """Freeze the group (no fork can race the kill), SIGKILL every member, thaw."""
        deadline = time.monotonic() + timeout
        while (members := members_of(freezer)) and time.monotonic() < deadline:
            write(freezer / "freezer.state", "FROZEN")
            while (freezer / "freezer.state").read_text().strip() != "FROZEN":
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            processes.kill(members)
            write(freezer / "freezer.state", "THAWED")
            wait_empty(freezer / "cgroup.procs", 0.5)


class SystemdScopes(UnifiedGroups):
    """Each server a transient scope unit in ``slice``, started by ``systemd-run --scope``."""

    kind = "systemd scopes"
    applies_limits = True

    def __init__(self, slice_name: str = "labfleet.slice", root: Path = ROOT):
        self.slice = slice_name
        self.root = root

    def unit(self, name: str) -> str:
        return f"labfleet-{name}.scope"

    def command_prefix(self, name: str, uid: int, gid: int, limits: Limits) -> list[str]:
        properties = []
        if limits.memory_bytes is not None:
            properties += [f"MemoryMax={limits.memory_bytes}", "MemorySwapMax=0"]
        if limits.cpus is not None:
            properties.append(f"CPUQuota={round(limits.cpus * 100)}%")
        if limits.processes is not None:
            properties.append(f"TasksMax={limits.processes}")
        return [
            "systemd-run", "--scope", "--quiet", "--collect",
            f"--unit={self.unit(name)}", f"--slice={self.slice}", f"--uid={uid}", f"--gid={gid}",
            *(f"--property={p}" for p in properties), "--",
        ]  # fmt: skip

    def folder(self, name: str) -> Path:
        return self.root / self.slice / self.unit(name)

    def end(self, name: str, timeout: float = END_TIMEOUT) -> None:
        unit = self.unit(name)
        for command in (["kill", "--signal=SIGKILL", unit], ["stop", unit]):
            subprocess.run(
                ["systemctl", *command], capture_output=True, timeout=COMMAND_TIMEOUT, check=False
            )
        if not wait_empty(self.folder(name) / "cgroup.procs", timeout):
            raise ControlGroupError(f"the processes of {unit} did not end within {timeout:g}s")


# -- choosing a driver ---------------------------------------------------------------------


def own_groups(proc_self: Path) -> dict[str, str]:
    """The hub's own group in each hierarchy: controller (or "" for unified) -> path."""
    groups = {}
    for line in (proc_self / "cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def v1_mounts(proc_self: Path) -> tuple[dict[str, Path], Path | None]:
    """Where each v1 controller is mounted, and the unified hierarchy (None if it is not)."""
    mounts: dict[str, Path] = {}
    unified = None
    for line in (proc_self / "mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fstype, _, options = (after.split() + ["", "", ""])[:3]
        point = Path(before.split()[4])
        if fstype == "cgroup2":
            unified = point
        elif fstype == "cgroup":
            for option in options.split(","):
                mounts.setdefault(option, point)
    return mounts, unified


def delegated(folder: Path) -> bool:
    """Whether systemd delegated this group to its unit (``Delegate=yes``)."""
    for attribute in ("trusted.delegate", "user.delegate"):
        try:
            if os.getxattr(folder, attribute) == b"1":
                return True
        except OSError:
            continue
    return False


def detect(
    mode: str = "auto", proc_self: Path = Path("/proc/self"), root: Path = ROOT
) -> Containment:
    """The driver for this host (``mode``: auto, v2, v1, systemd or off)."""
    if mode == "off":
        return NoControlGroups("local.control_groups is off")
    if os.geteuid() != 0:
        return NoControlGroups("labfleet is not running as root")
    try:
        own = own_groups(proc_self)
        mounts, unified = v1_mounts(proc_self)
    except OSError as e:
        return NoControlGroups(f"cannot read the host's control groups ({e})")
    systemd = Path("/run/systemd/system").is_dir() and shutil.which("systemd-run") is not None
    v2_controllers = set()
    if unified is not None:
        try:
            v2_controllers = set((unified / "cgroup.controllers").read_text().split())
        except OSError:
            pass
    full_v2 = unified is not None and set(CgroupV2.CONTROLLERS) <= v2_controllers
    if full_v2 and mode in ("auto", "v2"):
        mine = unified / own.get("", "/").lstrip("/")
        if not systemd:
            return CgroupV2(unified, unified / GROUP)
        if delegated(mine):
            return CgroupV2(mine, mine / GROUP, move_hub=True)
    if systemd and mode in ("auto", "systemd"):
        return SystemdScopes(root=unified or root)
    v1 = {c: mounts[c] for c in CgroupV1.CONTROLLERS if c in mounts}
    if len(v1) == len(CgroupV1.CONTROLLERS) and mode in ("auto", "v1"):
        bases = {c: point / own.get(c, "/").lstrip("/") / GROUP for c, point in v1.items()}
        kill_base = unified / own.get("", "/").lstrip("/") / GROUP if unified else None
        if kill_base is not None and not os.access(kill_base.parent, os.W_OK):
            kill_base = None
        return CgroupV1(bases, kill_base)
    missing = ", ".join(c for c in CgroupV1.CONTROLLERS if c not in mounts)
    return NoControlGroups(
        f"no usable control groups (mode {mode}): cgroup v2 has {sorted(v2_controllers) or 'no'} "
        f"controllers, cgroup v1 lacks {missing or 'nothing'}"
    )
