"""The activity score: an exponentially decayed share of sampled time the user was active.

Every round of samples (one every ``sample_interval`` while the hub runs) says, for every
user, active or not (:func:`is_active`: their server runs and they used it themselves within
``inactive_after``). A round taken ``age`` hours ago weighs ``2 ** (-age / half_life)``.
A user's share is the weight of the rounds where they were active over the weight of all
rounds the hub took: time the hub was down has no rounds, so it counts neither way; a new
user's share counts the rounds before they came as inactive, so it ramps up from 0 instead
of jumping to 100 % with a first active sample.

A round stands for one ``sample_interval`` of time, so a day of rounds weighs about
``rounds_a_day``. ``24 * share`` is the user's active hours a day once the rounds weigh a day
at least; before (the first day, or after a long stop), the time sampled counts as a day:
the hours a day are the sampled hours the user was active, not their share blown up to 24
hours (two rounds, both active, are 20 minutes of work, not 24 hours a day). Figures from
less than a day of samples say so (:func:`few_samples`). ``target_hours`` active hours a
day make 100 %.

Weights are kept as of the last round: each round multiplies every weight by its decay
since the one before and adds 1 where the user is active (and 1 to the total), which keeps
``share`` exact while costing one pass over the users a round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

DAY_SECONDS = 86400.0


def decay(seconds: float, half_life_hours: float) -> float:
    """The factor by which a weight shrinks in ``seconds``."""
    return 2.0 ** (-seconds / 3600.0 / half_life_hours)


def is_active(
    running: bool, own_activity: datetime | None, now: datetime, window_seconds: float
) -> bool:
    """Whether a user is active at ``now``: their server runs and their own last activity
    (never: None) is at most ``window_seconds`` old."""
    if not running or own_activity is None:
        return False
    return (now - own_activity).total_seconds() <= window_seconds


def rounds_a_day(sample_interval: float) -> float:
    """The rounds a day of sampling takes."""
    return DAY_SECONDS / sample_interval


def share(active_weight: float, total_weight: float) -> float:
    """The decayed share of sampled time a user was active (0 before any round)."""
    if total_weight <= 0:
        return 0.0
    return min(1.0, max(0.0, active_weight / total_weight))


def few_samples(total_weight: float, day_of_rounds: float) -> bool:
    """Whether the rounds weigh less than a day of them: hours a day are hours seen so far."""
    return total_weight < day_of_rounds


def active_hours_a_day(active_weight: float, total_weight: float, day_of_rounds: float) -> float:
    """24 hours times the share, the sampled time counting as a day at least
    (``day_of_rounds``: :func:`rounds_a_day`)."""
    if total_weight <= 0:
        return 0.0
    return 24.0 * share(active_weight, total_weight) * min(1.0, total_weight / day_of_rounds)


def score(
    active_weight: float, total_weight: float, day_of_rounds: float, target_hours: float
) -> float:
    """The score in percent: ``target_hours`` active hours a day are 100 (and at most 100)."""
    hours = active_hours_a_day(active_weight, total_weight, day_of_rounds)
    return min(100.0, 100.0 * hours / target_hours)


def sampled_hours(total_weight: float, sample_interval: float) -> float:
    """The (decayed) hours the rounds stand for."""
    return total_weight * sample_interval / 3600.0


def weights_of(
    rounds: Iterable[tuple[float, bool]], now: float, half_life_hours: float
) -> tuple[float, float]:
    """(active weight, total weight) at ``now`` of rounds given as (time in seconds, active):
    the definition that the kept weights follow round by round."""
    active = total = 0.0
    for taken, was_active in rounds:
        weight = decay(now - taken, half_life_hours)
        total += weight
        if was_active:
            active += weight
    return active, total
