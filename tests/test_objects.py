"""Names of what labfleet creates for a user: escaped, unique, within system limits."""

from __future__ import annotations

import re

import pytest

from labfleet.objects import render_name, safe_name, system_account_name

NAMES = ["alice", "o.brien", "a-b_c@x.org", "ünïcode", "a-2eb", "a.b", "x" * 60]


@pytest.mark.parametrize("name", NAMES)
def test_safe_names_use_only_safe_characters(name):
    assert re.fullmatch(r"[a-z0-9-]+", safe_name(name))


def test_safe_names_are_unique():
    # "a.b" escapes to "a-2eb": the escape character is escaped in turn, so they differ
    assert len({safe_name(n) for n in NAMES}) == len(NAMES)


def test_examples():
    assert safe_name("o.brien") == "o-2ebrien"
    assert (
        render_name("labfleet-{username}-{volume}", "a.b", volume="home") == "labfleet-a-2eb-home"
    )


@pytest.mark.parametrize("name", NAMES)
def test_account_names_are_valid_system_names(name):
    account = system_account_name("lf-", name)
    assert len(account) <= 32
    assert re.fullmatch(r"[a-z][a-z0-9-]*", account)


def test_long_account_names_stay_unique():
    assert system_account_name("lf-", "x" * 60) != system_account_name("lf-", "x" * 61)


def test_generated_passwords_are_four_plain_words():
    from labfleet.auth.passwords import generate, wordlist

    assert all(word.isalpha() for word in wordlist())
    password = generate()
    assert len(password.split("-")) == 4 and all(w.isalpha() for w in password.split("-"))
