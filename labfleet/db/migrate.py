"""Bring labfleet's tables in the hub's database up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "labfleet_alembic_version"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every labfleet migration not yet applied (idempotent; features may branch)."""
    command.upgrade(alembic_config(engine), "heads")


def with_driver(url: str) -> str:
    """``url`` naming the PostgreSQL driver labfleet installs (``postgresql://`` alone
    would mean psycopg2)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def missing_driver(url: str) -> str | None:
    """What to install for ``url`` if its driver is missing (None: nothing)."""
    if not url.startswith("postgresql+psycopg"):
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "hub.db_url is PostgreSQL, whose driver is not installed: pip install 'labfleet[postgres]'"
    return None
