"""The local backend's system accounts: one per hub user, made, marked and removed by labfleet.

labfleet marks every account it makes with a root-only file holding the account's uid, in
a folder of the hub's data directory. An account of the same name that this hub did not
make (another hub's, or the machine's) is never taken over; the name is refused instead.

A uid labfleet has handed out is never handed out again, even after its account is gone (the
next account would own what the first left behind): every account gets the next uid after
the highest one recorded, machine-wide, in one root-only file.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import os
import pwd
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import processes
from .base import BackendError

COMMAND_TIMEOUT = 30
COMMENT = "labfleet user "  # the comment of every account labfleet makes, before the name
SHELL = "/bin/bash"
NO_LOGIN = "/usr/sbin/nologin"
FIRST_UID = 1000  # below: the system's own accounts
LAST_UID = 59999  # as Debian's login.defs: above belong to other tools


@dataclass(frozen=True)
class Account:
    """Who a user's server runs as, and where its home is."""

    name: str
    uid: int
    gid: int
    home: Path
    shell: str


def account_from(entry: pwd.struct_passwd, home: Path) -> Account:
    """The account of a passwd entry, with the server's home."""
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, home, entry.pw_shell)


def account_name_of(uid: int) -> str:
    """The name of the account ``uid`` (the number when it has none)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def exists(lookup: Callable[[str], object], name: str) -> bool:
    """Whether ``pwd.getpwnam`` or ``grp.getgrnam`` knows ``name``."""
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def run(*command: str) -> None:
    """Run an account command (useradd, usermod, ...); BackendError naming why it failed."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    if done.returncode:
        message = done.stderr.strip() or f"exit status {done.returncode}"
        # e.g. "user lf-x is currently used by process 123": a state to end first
        status = 409 if "currently used by process" in message else 500
        raise BackendError(status, f"{command[0]} failed: {message}")


class SystemAccounts:
    """The accounts this hub made, marked in ``markers`` (a folder only root can enter).

    Every method blocks (it runs useradd and its kin): call them on the files pool.
    """

    def __init__(self, markers: Path, uid_record: Path):
        self.markers = markers
        self.uid_record = uid_record

    def marker(self, name: str) -> Path:
        self.markers.mkdir(mode=0o700, exist_ok=True)
        return self.markers / name

    def made_here(self, entry: pwd.struct_passwd, home: str) -> bool:
        """Whether this hub made the account ``entry``.

        Its marker names its uid; an account made before markers existed is known by the
        home and comment labfleet gave it (and is marked now).
        """
        marker = self.marker(entry.pw_name)
        if marker.exists():
            return marker.read_text().strip() == str(entry.pw_uid)
        if entry.pw_dir == home and entry.pw_gecos.startswith(COMMENT):
            marker.write_text(f"{entry.pw_uid}\n")
            return True
        return False

    def ensure(self, name: str, home: str, comment: str) -> pwd.struct_passwd:
        """The account ``name`` with this ``home``, made on first use (409 for an account
        of that name that this hub did not make); unlocked if it was locked."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            with self.next_uid() as uid:
                run(
                    "useradd", "--no-create-home", "--home-dir", home, "--shell", SHELL,
                    "--user-group", "--uid", str(uid), "--comment", f"{COMMENT}{comment}", name,
                )  # fmt: skip
            entry = pwd.getpwnam(name)
            self.marker(name).write_text(f"{entry.pw_uid}\n")
            return entry
        if not self.made_here(entry, home):
            raise BackendError(
                409,
                f"the system account {name} (uid {entry.pw_uid}, home {entry.pw_dir}) was not "
                f"made by this labfleet hub, so it is not used for {comment}: remove it "
                f"(userdel {name}) or set local.account_prefix",
            )
        if entry.pw_dir != home:
            # the data directory moved: the account follows its home
            run("usermod", "--home", home, name)
        if entry.pw_shell == NO_LOGIN:  # locked when a user of that name was deleted
            run("usermod", "--unlock", "--expiredate", "", "--shell", SHELL, name)
        return pwd.getpwnam(name)

    @contextlib.contextmanager
    def next_uid(self) -> Iterator[int]:
        """A uid no account has had from labfleet (nor has now), recorded as handed out once
        the ``with`` block succeeds; one hub at a time."""
        self.uid_record.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        fd = os.open(self.uid_record, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "r+") as record:
            fcntl.flock(record, fcntl.LOCK_EX)
            text = record.read().strip()
            taken = {e.pw_uid for e in pwd.getpwall()} | {g.gr_gid for g in grp.getgrall()}
            highest = max((u for u in taken if FIRST_UID <= u <= LAST_UID), default=FIRST_UID - 1)
            uid = max(int(text) if text.isdigit() else 0, highest) + 1
            while uid in taken:
                uid += 1
            if uid > LAST_UID:
                raise BackendError(
                    500, f"every uid up to {LAST_UID} was handed out; see {self.uid_record}"
                )
            yield uid
            record.seek(0)
            record.truncate()
            record.write(f"{uid}\n")

    def ours(self, name: str) -> pwd.struct_passwd | None:
        """The account ``name`` if it exists and this hub made it."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        marker = self.marker(name)
        return (
            entry if marker.exists() and marker.read_text().strip() == str(entry.pw_uid) else None
        )

    def remove(self, name: str) -> None:
        """Delete the account ``name`` (if this hub made it) with its group and marker."""
        if self.ours(name) is None:
            return
        run("userdel", name)
        if exists(grp.getgrnam, name):
            run("groupdel", name)
        self.marker(name).unlink()

    def lock(self, name: str) -> None:
        """Keep the account ``name`` (files still own it) but let nothing log in as it."""
        if self.ours(name) is not None:
            run("usermod", "--lock", "--expiredate", "1", "--shell", NO_LOGIN, name)

    def check_idle(self, name: str, why: str) -> None:
        """Refuse (409) while the account ``name`` still runs processes."""
        entry = self.ours(name)
        running = processes.pids_of_uid(entry.pw_uid) if entry else []
        if running:
            raise BackendError(
                409,
                f"{why}: the account {name} still runs processes "
                f"({', '.join(map(str, running[:10]))}); stop them first",
            )

    def rename(self, old: str, new: str, home: Path, comment: str) -> None:
        """Rename an account, its group and its marker; its uid, so its files' owner, stays."""
        run("usermod", "--login", new, "--home", str(home), "--comment", f"{COMMENT}{comment}", old)
        if exists(grp.getgrnam, old):
            run("groupmod", "--new-name", new, old)
        self.marker(old).rename(self.marker(new))
