"""User names that look alike: ``аda`` (Cyrillic а) or ``ａｄａ`` (fullwidth) beside ``ada``.

:func:`skeleton` maps a name to what it looks like: NFKC (fullwidth and other compatibility
forms become plain letters), case folded, with the common letters of other scripts that
look like Latin ones replaced by those (after Unicode's confusables, the usual subset).
Two names with one skeleton are one name to a reader, so the second is refused.
"""

from __future__ import annotations

import unicodedata

# Cyrillic, Greek and other letters that render like Latin ones
LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ɡ": "g",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ı": "i", "ℓ": "l",
    }
)  # fmt: skip
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def skeleton(name: str) -> str:
    """What ``name`` looks like, for comparing names."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return folded.translate(INVISIBLE).translate(LOOKALIKES)
