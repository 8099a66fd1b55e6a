"""Settings of activity monitoring (the ``activity`` section of labfleet.yaml)."""

from __future__ import annotations

from traitlets import Bool, Float, Integer
from traitlets.config import Configurable


class Activity(Configurable):
    """How often users are sampled, how their score is made, how long samples are kept."""

    enabled = Bool(True, help="Sample users' activity and measure running servers.").tag(
        config=True
    )

    sample_interval = Integer(
        600, min=10, help="Seconds between two rounds of samples of every user."
    ).tag(config=True)

    inactive_after = Integer(
        3600,
        min=60,
        help="Seconds after a user's last activity (JupyterHub's, from their server and "
        "the hub) when they count as inactive.",
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
