"""Generated passwords: a few common words, easy to read out to a workshop."""

from __future__ import annotations

import secrets
from functools import cache

from xkcdpass import xkcd_password

WORDS = 4


@cache
def wordlist() -> list[str]:
    return xkcd_password.generate_wordlist(
        wordfile=xkcd_password.locate_wordfile(), min_length=4, max_length=8
    )


def generate(words: int = WORDS) -> str:
    """A password of ``words`` random words joined by dashes, e.g. ``tulip-orbit-cedar-mango``."""
    return "-".join(secrets.choice(wordlist()) for _ in range(words))
