"""Moments as labfleet keeps and shows them: aware UTC datetimes, ISO 8601 text."""

from __future__ import annotations

from datetime import datetime, timezone


def utc(moment: datetime | None) -> datetime | None:
    """JupyterHub keeps naive UTC datetimes; make them aware."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
