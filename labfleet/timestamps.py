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


def parse_time(name: str, text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise), as an aware UTC datetime."""
    try:
        # a moment at the edge of the calendar may not exist in UTC (year 0 or 10000)
        return utc(datetime.fromisoformat(str(text).replace("Z", "+00:00"))).astimezone(
            timezone.utc
        )
    except (ValueError, OverflowError):
        raise ValueError(
            f"{name} must be an ISO 8601 date or time between the years 1 and 9999 in UTC, "
            "e.g. 2024-05-01 or 2024-05-01T09:30Z"
        ) from None
