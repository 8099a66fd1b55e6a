"""Passwords: generated ones (a few common words, easy to read out to a workshop), hashes.

The words come from xkcdpass's copy of the EFF's long word list, less the words a class
should not read on a screen or out loud (offensive, sexual, drugs, violence: the list in
``unfit_words.txt``): about 5,900 words, so four give about 50 bits.
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache
from pathlib import Path

import bcrypt
from xkcdpass import xkcd_password

from .. import blocking
from .names import invisible

WORDS = 4
# bcrypt reads at most this many bytes; longer passwords are refused, never cut silently
MAX_BYTES = 72
# control characters (bcrypt ends a password at NUL: eight NULs are the empty password),
# lone surrogates (no UTF-8), line and paragraph separators
UNSEEN = {"Cc", "Cs", "Zl", "Zp"}


def unseen(password: str) -> bool:
    """Whether ``password`` holds a character that cannot be seen or typed as it is."""
    return any(unicodedata.category(c) in UNSEEN or invisible(c) for c in password)


@cache
def unfit() -> frozenset[str]:
    """The words of the list that no password holds (``unfit_words.txt``)."""
    text = (Path(__file__).parent / "unfit_words.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def wordlist() -> list[str]:
    """Plain words only (a word like ``t-shirt`` would blur where the words part), none of
    :func:`unfit`."""
    words = xkcd_password.generate_wordlist(
        wordfile=xkcd_password.locate_wordfile(), min_length=4, max_length=8
    )
    return [word for word in words if word.isalpha() and word not in unfit()]


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
    """Whether ``password`` matches ``hashed``. No hash (an unknown name), or a password no
    hash may match (empty, too long, with NUL, which bcrypt would read as its end, or not
    UTF-8): checked against :func:`dummy_hash`, as slowly, and False."""
    encoded = password.encode(errors="surrogatepass")
    if hashed is None or not 0 < len(encoded) <= MAX_BYTES or b"\0" in encoded:
        bcrypt.checkpw(encoded[:MAX_BYTES].replace(b"\0", b""), dummy_hash())
        return False
    return bcrypt.checkpw(encoded, hashed)


async def ahash(password: str, pool: blocking.Pool = blocking.HASHING) -> bytes:
    """:func:`hash_password` on ``pool`` (bulk work by default)."""
    return await blocking.run(pool, hash_password, password)


async def averify(
    password: str, hashed: bytes | None, pool: blocking.Pool = blocking.LOGINS
) -> bool:
    """:func:`verify` on ``pool`` (the logins' by default)."""
    return await blocking.run(pool, verify, password, hashed)
