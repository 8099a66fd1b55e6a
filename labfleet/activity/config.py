"""Settings of activity monitoring (the ``activity`` section of labfleet.yaml)."""

from __future__ import annotations

from typing import ClassVar

from traitlets import Bool, Float, Integer
from traitlets.config import Configurable

from ..db.models import ActivitySample, ActivityWeight
from ..db.user_rows import UserColumn


class Activity(Configurable):
    """How often users are sampled, how their score is made, how long samples are kept."""

    user_rows: ClassVar = (
        UserColumn(ActivitySample, "user_id", keyed="id"),
        UserColumn(ActivityWeight, "user_id", keyed="id"),
    )

    enabled = Bool(True, help="Sample users' activity and measure running servers.").tag(
        config=True
    )

    sample_interval = Integer(
        600, min=10, help="Seconds between two rounds of samples of every user."
    ).tag(config=True)

    inactive_after = Integer(
        600,
        min=120,
        help="Seconds after a user's own last activity when they count as inactive: the "
        "activity window (a class wants minutes). Their own: their use of their running "
        "server, which it checks with the hub at least every half of this window, and of "
        "their API tokens; not a start or stop of their server, nor what it reports itself.",
    ).tag(config=True)

    retention_days = Integer(
        7, min=1, help="Days a round of samples is kept; older ones are deleted."
    ).tag(config=True)

    half_life_hours = Float(
        72.0, min=0.1, help="Hours after which a round weighs half as much in the score."
    ).tag(config=True)

    target_hours = Float(
        8.0, min=0.1, max=24.0, help="Active hours a day that make a score of 100 %."
    ).tag(config=True)

    stats_interval = Integer(
        60,
        min=5,
        help="Seconds between two measurements of the running servers' CPU, memory and "
        "volume sizes (in the background: the dashboard shows the last one and its age).",
    ).tag(config=True)
