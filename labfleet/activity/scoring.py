"""The activity score: an exponentially decayed share of sampled time the user was active.

Every round of samples (one every ``sample_interval`` while the hub runs) says, for every
user, active or not. A round taken ``age`` hours ago weighs ``2 ** (-age / half_life)``.
A user's share is the weight of the rounds where they were active over the weight of all
rounds the hub took: time the hub was down has no rounds, so it counts neither way; a new
user's share counts the rounds before they came as inactive, so it ramps up from 0 instead
of jumping to 100 % with a first active sample. ``24 * share`` is the user's active hours a
day, and ``target_hours`` of them make 100 %.

Weights are kept as of the last round: each round multiplies every weight by its decay
since the one before and adds 1 where the user is active (and 1 to the total), which keeps
``share`` exact while costing one pass over the users a round.
"""

from __future__ import annotations

from collections.abc import Iterable


def decay(seconds: float, half_life_hours: float) -> float:
    """The factor by which a weight shrinks in ``seconds``."""
    return 2.0 ** (-seconds / 3600.0 / half_life_hours)


def share(active_weight: float, total_weight: float) -> float:
    """The decayed share of sampled time a user was active (0 before any round)."""
    if total_weight <= 0:
        return 0.0
    return min(1.0, max(0.0, active_weight / total_weight))


def active_hours_a_day(active_weight: float, total_weight: float) -> float:
    return 24.0 * share(active_weight, total_weight)


def score(active_weight: float, total_weight: float, target_hours: float) -> float:
    """The score in percent: ``target_hours`` active hours a day are 100 (and at most 100)."""
    return min(100.0, 100.0 * active_hours_a_day(active_weight, total_weight) / target_hours)


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
