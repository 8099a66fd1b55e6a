"""Group names: one rule wherever a group is made (the People page, JupyterHub's API and
admin page, rosters, labfleet.yaml). Groups made before the rule keep their names.

A new group name holds letters and digits of one script and ``. _ -``, starts with a
letter or a digit, holds nothing invisible and has at most :data:`MAX_LENGTH` characters:
it fits in a URL, an HTML id, a file name and a label as it is.
"""

from __future__ import annotations

import re
import unicodedata

from ..auth.names import allowed, one_script

MAX_LENGTH = 64
RULE = (
    "a group name holds only letters and digits of one script and . _ -, starts with a "
    f"letter or a digit, and has at most {MAX_LENGTH} characters"
)


def fits(name: str) -> bool:
    starts = unicodedata.category(name[:1] or " ")[0] in "LN"
    return (
        starts
        and len(name) <= MAX_LENGTH
        and name == unicodedata.normalize("NFC", name)
        and all(allowed(c) and c != "@" for c in name)
        and one_script(name)
    )


def problem(name: str) -> str | None:
    """Why ``name`` may not be a new group's name, with a name that would do, or None."""
    if fits(name):
        return None
    suggestion = re.sub(r"[\s/:,;+&]+", "-", name.strip()).strip("-")
    hint = f" (e.g. {suggestion!r})" if suggestion != name and fits(suggestion) else ""
    return f"invalid group name {name!r}: {RULE}{hint}"
