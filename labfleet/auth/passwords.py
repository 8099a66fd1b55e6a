"""Passwords: generated ones (a few common words, easy to read out to a workshop), hashes."""

from __future__ import annotations

import secrets
from functools import cache

import bcrypt
from xkcdpass import xkcd_password

from .. import blocking

WORDS = 4
# bcrypt reads at most this many bytes; longer passwords are refused, never cut silently
MAX_BYTES = 72


@cache
def wordlist() -> list[str]:
    """Plain words only: a word like ``t-shirt`` would blur where the words part."""
    words = xkcd_password.generate_wordlist(
        wordfile=xkcd_password.locate_wordfile(), min_length=4, max_length=8
    )
    return [word for word in words if word.isalpha()]


def generate(words: int = WORDS) -> str:
    """A password of ``words`` random words joined by dashes, e.g. ``tulip-orbit-cedar-mango``."""
    return "-".join(secrets.choice(wordlist()) for _ in range(words))


def hash_password(password: str) -> bytes:
    """The bcrypt hash (salt included) that NativeAuthenticator stores; ~0.25 s of CPU."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())


@cache
def dummy_hash() -> bytes:
    """A hash no password is known for: unknown names cost a login as much time as known ones."""
    return hash_password(secrets.token_urlsafe(32))


def verify(password: str, hashed: bytes | None) -> bool:
    """Whether ``password`` matches ``hashed`` (False, not an error, when it is too long).
    No hash (an unknown name): checked against :func:`dummy_hash`, as slowly, and False."""
    encoded = password.encode()
    if hashed is None:
        bcrypt.checkpw(encoded[:MAX_BYTES], dummy_hash())
        return False
    return len(encoded) <= MAX_BYTES and bcrypt.checkpw(encoded, hashed)


async def ahash(password: str, pool: blocking.Pool = blocking.HASHING) -> bytes:
    """:func:`hash_password` on ``pool`` (bulk work by default)."""
    return await blocking.run(pool, hash_password, password)


async def averify(
    password: str, hashed: bytes | None, pool: blocking.Pool = blocking.LOGINS
) -> bool:
    """:func:`verify` on ``pool`` (the logins' by default)."""
    return await blocking.run(pool, verify, password, hashed)
