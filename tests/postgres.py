"""A real PostgreSQL server for the tests: Debian's, a cluster of its own on a free port
(``pg_createcluster``), removed afterwards. Installed by scripts/install-system-deps.sh."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import free_port

PG_ROOT = Path("/usr/lib/postgresql")


def pg_version() -> str | None:
    versions = sorted(p.name for p in PG_ROOT.glob("*") if (p / "bin" / "postgres").exists())
    return versions[-1] if versions else None


def skip_without_postgres() -> None:
    if not shutil.which("pg_createcluster") or pg_version() is None:
        pytest.skip("Debian's PostgreSQL server is not installed (scripts/install-system-deps.sh)")


def as_postgres(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, check=True
    )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A started cluster with a database and its owner; its SQLAlchemy URL."""
    skip_without_postgres()
    version, port = pg_version(), free_port()
    name = f"lft{port}"
    subprocess.run(
        ["pg_createcluster", "--port", str(port), "--start-conf", "manual", version, name,
         "--", "--auth-local=peer", "--auth-host=scram-sha-256"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    try:
        subprocess.run(
            ["pg_ctlcluster", version, name, "start", "--", "-o", "-c listen_addresses=127.0.0.1"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        password = secrets.token_hex(12)
        psql = ["psql", "--port", str(port), "--quiet", "--set", "ON_ERROR_STOP=1", "-c"]
        as_postgres(*psql, f"create role labfleet login password '{password}'")
        as_postgres(*psql, "create database labfleet owner labfleet")
        yield f"postgresql+psycopg://labfleet:{password}@127.0.0.1:{port}/labfleet"
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True)
