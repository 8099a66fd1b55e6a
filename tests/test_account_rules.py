"""The rules of accounts as data: which names look alike and which a new user may have,
which passwords can never match, where a login comes from, when a source is locked out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import bcrypt
import pytest

from labfleet.auth import lockout, names, passwords
from labfleet.auth.throttle import source_of


@pytest.mark.parametrize(
    "name, existing",
    [
        ("аda", "ada"),  # Cyrillic а
        ("ɑda", "ada"),  # Latin alpha
        ("ａｄａ", "ada"),  # fullwidth
        ("ǀola", "lola"),  # Latin letter dental click
        ("lo\u034fla", "lola"),  # combining grapheme joiner
        ("lola\u2061", "lola"),  # function application
        ("lo\u200bla", "lola"),  # zero width space
        ("bi11", "bill"),  # digit one
        ("ADA", "ada"),
    ],
)
def test_lookalikes_have_one_skeleton(name, existing):
    assert names.skeleton(name) == names.skeleton(existing)


@pytest.mark.parametrize("name, other", [("ada", "adam"), ("josé", "jose"), ("lola", "iola")])
def test_names_that_differ_have_other_skeletons(name, other):
    assert names.skeleton(name) != names.skeleton(other)


@pytest.mark.parametrize(
    "name",
    ["o.brien", "ünïcode", "a-b_c@x.org", "josé", "иван", "δήμος", "山田たろう", "김민준", "x1"],
)
def test_names_of_one_script_are_fine(name):
    assert names.problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "kаte",  # Latin and Cyrillic
        "ӏola",  # Cyrillic palochka among Latin letters
        "ab٣",  # an Arabic-Indic digit among Latin letters
        "zoe\u2061x",  # invisible
        "lo\u034fla",
        "a\u3164b",  # Hangul filler
        "a b",
        "a+b",
        "..",
        "-rf",
        "@x",
    ],
)
def test_names_that_mix_scripts_hide_characters_or_hold_signs_are_refused(name):
    assert "letters and digits of one script" in names.problem(name)


@pytest.mark.parametrize(
    "password, unseen",
    [
        ("amber forest", False),
        ("ça-va-été", False),
        ("\u200b" * 8, True),
        ("\x00" * 8, True),
        ("amber\tforest", True),
        ("amber\u2061forest", True),
        ("\u3164" * 8, True),
        ("\ud800" * 8, True),
    ],
)
def test_control_and_invisible_characters_in_passwords(password, unseen):
    assert passwords.unseen(password) is unseen


def test_no_password_matches_a_hash_of_nul_bytes():
    # a hash stored before such passwords were refused: bcrypt reads it as the empty one
    hashed = bcrypt.hashpw(b"\0" * 8, bcrypt.gensalt(4))
    assert bcrypt.checkpw(b"", hashed)
    assert not any(passwords.verify(p, hashed) for p in ["", "\0", "\0" * 8])
    right = bcrypt.hashpw(b"amber-forest", bcrypt.gensalt(4))
    assert passwords.verify("amber-forest", right)
    assert not passwords.verify("\ud800", right) and not passwords.verify("x" * 100, right)


@pytest.mark.parametrize(
    "address, source",
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # an IPv6 client has its whole /64
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("::1", "::1"),
    ],
)
def test_a_source_is_an_address_or_an_ipv6_network(address, source):
    assert source_of(address) == source


def test_a_source_is_locked_out_until_the_window_after_its_last_failure():
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def count(source: str, failures: int, seconds_ago: int) -> SimpleNamespace:
        return SimpleNamespace(
            source=source, failures=failures, last_failure=now - timedelta(seconds=seconds_ago)
        )

    rows = [count("192.0.2.1", 5, 100), count("192.0.2.2", 4, 10), count("192.0.2.3", 9, 700)]
    assert lockout.seconds_locked(rows, limit=5, window=600, now=now) == 500
    assert lockout.seconds_locked(rows[1:], limit=5, window=600, now=now) == 0
    assert lockout.seconds_locked(rows, limit=0, window=600, now=now) == 0
    assert lockout.failed_logins(rows, window=600, now=now) == 9
