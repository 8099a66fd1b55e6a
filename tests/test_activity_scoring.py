"""The activity score against hand-computed values, and the kept weights against the formula
(rounds taken, pruned and reset on a real SQLite database with JupyterHub's tables)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from jupyterhub import orm
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from labfleet.activity import sampling, scoring
from labfleet.db import migrate, models

HOUR = 3600.0


def test_decay_halves_at_the_half_life():
    assert scoring.decay(72 * HOUR, 72) == 0.5
    assert scoring.decay(144 * HOUR, 72) == 0.25
    assert scoring.decay(0, 72) == 1.0


def test_a_worked_example():
    """Rounds 144 h and 72 h ago and now (half-life 72 h): active in the first and the last.

    Weights 0.25, 0.5 and 1: active 1.25 of 1.75, a share of 5/7, 17.14 active hours a day.
    """
    rounds = [(0.0, True), (72 * HOUR, False), (144 * HOUR, True)]
    active, total = scoring.weights_of(rounds, now=144 * HOUR, half_life_hours=72)
    assert (active, total) == (1.25, 1.75)
    assert scoring.share(active, total) == pytest.approx(5 / 7)
    assert scoring.active_hours_a_day(active, total) == pytest.approx(120 / 7)  # 17.14
    assert scoring.score(active, total, target_hours=24) == pytest.approx(500 / 7)  # 71.4 %
    assert scoring.score(active, total, target_hours=8) == 100.0  # at most 100


def test_eight_hours_a_day_make_100_percent():
    # every 10 minutes for 30 days, active from 09:00 to 17:00
    rounds = [(t * 600.0, 9 <= (t * 600 / HOUR) % 24 < 17) for t in range(30 * 144)]
    active, total = scoring.weights_of(rounds, now=rounds[-1][0], half_life_hours=72)
    assert scoring.active_hours_a_day(active, total) == pytest.approx(8, abs=0.3)
    assert scoring.score(active, total, target_hours=8) == pytest.approx(100, abs=4)


def test_a_new_user_ramps_up_and_downtime_is_not_inactivity():
    old = [(t * HOUR, True) for t in range(48)]  # two days of hourly rounds
    # a user who came at hour 36 and was active ever since: a share of the rounds since
    late = [(t, t >= 36 * HOUR) for t, _ in old]
    assert 0 < scoring.share(*scoring.weights_of(late, 47 * HOUR, 72)) < 0.3
    # the same activity with the hub down for a day in between (no rounds): the same share
    gap = [(t + (24 * HOUR if t >= 24 * HOUR else 0), a) for t, a in old]
    assert scoring.share(*scoring.weights_of(gap, 71 * HOUR, 72)) == pytest.approx(1.0)
    assert scoring.share(0.0, 0.0) == 0.0  # no rounds yet


@pytest.fixture
def db():
    engine = create_engine("sqlite://")
    orm.Base.metadata.create_all(engine)
    migrate.upgrade(engine)  # labfleet's tables as the hub makes them
    with Session(engine) as session:
        yield session


def test_kept_weights_follow_the_formula_through_rounds_and_pruning(db):
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    alice, bob = orm.User(name="alice"), orm.User(name="bob")
    db.add_all([alice, bob])
    db.commit()
    history = {"alice": [], "bob": []}
    for hour in range(0, 200, 8):
        now = start + timedelta(hours=hour)
        # alice is active every round; bob in every third
        alice.last_activity = (now - timedelta(minutes=5)).replace(tzinfo=None)
        bob.last_activity = (now - timedelta(hours=2 if hour % 24 else 0)).replace(tzinfo=None)
        db.commit()
        sampling.take_round(db, now, inactive_after=3600, half_life_hours=72)
        history["alice"].append((hour * HOUR, True))
        history["bob"].append((hour * HOUR, hour % 24 == 0))

    def kept(user: orm.User) -> float:
        return db.get(models.ActivityWeight, user.id).weight

    last = history["alice"][-1][0]
    total = sampling.totals(db).weight
    for user in (alice, bob):
        expected = scoring.weights_of(history[user.name], last, 72)
        assert (kept(user), total) == pytest.approx(expected)
    # rounds older than 96 h are pruned: the weights are those of the rounds kept
    cutoff = start + timedelta(hours=96)
    pruned = sampling.prune(db, cutoff, 72)
    assert pruned == len([t for t, _ in history["alice"] if t < 96 * HOUR])
    total = sampling.totals(db).weight
    for user in (alice, bob):
        remaining = [(t, a) for t, a in history[user.name] if t >= 96 * HOUR]
        assert (kept(user), total) == pytest.approx(scoring.weights_of(remaining, last, 72))
    assert sampling.reset(db) == len(history["alice"]) - pruned
    assert sampling.totals(db) is None and db.query(models.ActivityWeight).count() == 0
