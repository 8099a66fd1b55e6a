"""The activity score against hand-computed values, day one included; who counts as active;
the kept weights against the formula (rounds taken, pruned and reset on a real SQLite
database with JupyterHub's tables, users active by their own tokens alone)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from jupyterhub import orm
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from labfleet.activity import sampling, scoring
from labfleet.db import migrate, models

HOUR = 3600.0
TEN_MINUTES = scoring.rounds_a_day(600)  # a day of rounds every 10 minutes


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
    day = scoring.rounds_a_day(72 * HOUR)  # a round every 72 h: a third of one a day
    assert (active, total) == (1.25, 1.75)
    assert scoring.share(active, total) == pytest.approx(5 / 7)
    assert scoring.active_hours_a_day(active, total, day) == pytest.approx(120 / 7)  # 17.14
    assert scoring.score(active, total, day, target_hours=24) == pytest.approx(500 / 7)  # 71.4 %
    assert scoring.score(active, total, day, target_hours=8) == 100.0  # at most 100


def test_eight_hours_a_day_make_100_percent():
    # every 10 minutes for 30 days, active from 09:00 to 17:00
    rounds = [(t * 600.0, 9 <= (t * 600 / HOUR) % 24 < 17) for t in range(30 * 144)]
    active, total = scoring.weights_of(rounds, now=rounds[-1][0], half_life_hours=72)
    assert not scoring.few_samples(total, TEN_MINUTES)
    assert scoring.active_hours_a_day(active, total, TEN_MINUTES) == pytest.approx(8, abs=0.3)
    assert scoring.score(active, total, TEN_MINUTES, target_hours=8) == pytest.approx(100, abs=4)


def test_day_one_gives_the_hours_seen_not_a_day_made_of_them():
    """A first 90-minute class, a round every 10 minutes: a student active throughout has
    worked 1.5 hours (not 24 hours a day, 100 %), one active in a third of it 0.5 hours,
    and the figures say they rest on less than a day of samples."""
    times = [t * 600.0 for t in range(9)]
    keen = scoring.weights_of([(t, True) for t in times], times[-1], 72)
    slow = scoring.weights_of([(t, i % 3 == 0) for i, t in enumerate(times)], times[-1], 72)
    assert scoring.few_samples(keen[1], TEN_MINUTES)
    assert scoring.sampled_hours(keen[1], 600) == pytest.approx(1.5, abs=0.01)
    assert scoring.active_hours_a_day(*keen, TEN_MINUTES) == pytest.approx(1.5, abs=0.01)
    assert scoring.active_hours_a_day(*slow, TEN_MINUTES) == pytest.approx(0.5, abs=0.01)
    assert scoring.score(*keen, TEN_MINUTES, target_hours=8) == pytest.approx(18.7, abs=0.1)
    # a day and more of rounds: 24 hours a day for one who never stopped
    days = [(t * 600.0, True) for t in range(2 * 144)]
    always = scoring.weights_of(days, days[-1][0], 72)
    assert not scoring.few_samples(always[1], TEN_MINUTES)
    assert scoring.active_hours_a_day(*always, TEN_MINUTES) == pytest.approx(24)


def test_active_is_a_running_server_used_within_the_window():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    five_minutes_ago = now - timedelta(minutes=5)
    assert scoring.is_active(True, five_minutes_ago, now, window_seconds=600)
    assert not scoring.is_active(True, five_minutes_ago, now, window_seconds=120)
    assert not scoring.is_active(False, five_minutes_ago, now, window_seconds=600)
    assert not scoring.is_active(True, None, now, window_seconds=600)  # never seen active


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
    alice, bob, carol = orm.User(name="alice"), orm.User(name="bob"), orm.User(name="carol")
    db.add_all([alice, bob, carol])
    own = {}
    for user in (alice, bob, carol):
        db.add(orm.Spawner(user=user, name="", server=orm.Server()))
        own[user.name] = orm.APIToken(user=user, hashed=user.name, note="their browser's")
        # the server's own token, always in use: not its user's activity
        db.add(orm.APIToken(user=user, hashed=f"{user.name}-server", note="Server at /user/"))
    db.add_all(own.values())
    db.commit()
    history = {"alice": [], "bob": []}
    for hour in range(0, 200, 8):
        now = start + timedelta(hours=hour)
        naive = now.replace(tzinfo=None)  # JupyterHub's
        db.execute(update(orm.APIToken).where(orm.APIToken.note.startswith("Server")).values(
            last_activity=naive
        ))  # fmt: skip
        # alice is active every round; bob in every third; carol, whose server runs, never
        own["alice"].last_activity = naive - timedelta(minutes=5)
        own["bob"].last_activity = naive - timedelta(hours=2 if hour % 24 else 0)
        db.commit()
        sampling.take_round(db, now, inactive_after=3600, half_life_hours=72)
        history["alice"].append((hour * HOUR, True))
        history["bob"].append((hour * HOUR, hour % 24 == 0))

    def kept(user: orm.User) -> float:
        return db.get(models.ActivityWeight, user.id).weight

    assert db.get(models.ActivityWeight, carol.id) is None  # never active: no weight, 0

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
