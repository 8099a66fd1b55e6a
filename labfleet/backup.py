"""`labfleet backup DEST`: a consistent copy of the hub's database and secrets, while it runs.

The database is copied with SQLite's online backup (a consistent snapshot, the hub goes
on); the hub's secrets, the account markers and labfleet.yaml are copied beside it.
``DEST/RESTORE.txt`` lists what else to save (users' volumes) and how to restore.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

# what of the data directory a backup holds, besides the database
# hub/notify_secret: the tickets' secret of hubs made before it derived from the cookie secret
KEPT = ("hub/cookie_secret", "hub/notify_secret", "accounts")


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do."""


def sqlite_path(db_url: str) -> Path:
    parsed = urlparse(db_url)
    if parsed.scheme != "sqlite":
        raise BackupError(
            f"the hub's database is {parsed.scheme} ({db_url.split('@')[-1]}): back it up with "
            "its own tools (pg_dump for PostgreSQL); labfleet backup copies SQLite only"
        )
    return Path(parsed.path[1:] if parsed.path.startswith("//") else parsed.path)


def backup(data_dir: Path, db_url: str, config_file: Path, destination: Path) -> list[str]:
    """Write the backup into ``destination`` (made, owner-only); the files it wrote."""
    database = sqlite_path(db_url)
    if not database.exists():
        raise BackupError(f"there is no database at {database}: is {data_dir} the hub's?")
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: give a new folder")
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    (destination / "hub").mkdir(mode=0o700)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(destination / "hub" / database.name)
    with target:
        source.backup(target)
    source.close()
    target.close()
    written = [f"hub/{database.name}"]
    for name in KEPT:
        path = data_dir / name
        if path.is_dir():
            shutil.copytree(path, destination / name)
        elif path.exists():
            shutil.copy2(path, destination / name)
        else:
            continue
        written.append(name)
    if config_file.exists():
        shutil.copy2(config_file, destination / "labfleet.yaml")
        (destination / "labfleet.yaml").chmod(0o600)
        written.append("labfleet.yaml")
    (destination / "RESTORE.txt").write_text(restore_notes(data_dir, written))
    written.append("RESTORE.txt")
    return written


def restore_notes(data_dir: Path, written: list[str]) -> str:
    moment = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""labfleet backup of {data_dir}, made {moment}.

In this folder: {", ".join(written)}.
Not in it, to save as well (it may be large):
  - the users' volumes: {data_dir / "volumes"} (local backend; copy it with its owners,
    e.g. rsync -aHAX), or the Docker volumes labelled labfleet.user (docker backend);
  - the servers' logs, if wanted: {data_dir / "logs"}.

To restore, into a data directory NEW (see docs/backup.md):
  1. stop the hub (labfleet up is not running on NEW);
  2. copy this folder's hub/, accounts/ (and labfleet.yaml where the hub reads it) into NEW,
     keeping their modes (owner-only);
  3. copy the volumes back into NEW/volumes;
  4. labfleet up --config labfleet.yaml (with labfleet.data_dir: NEW).
"""
