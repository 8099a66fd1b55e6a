"""Traitlets' help texts as people read them: reStructuredText markup turned into plain text.

JupyterHub's help texts are written for Sphinx: ``:class:`~jupyterhub.auth.Authenticator```,
````code````, ``.. versionchanged:: 2.0`` blocks, ``For example::``. The settings page shows
them as paragraphs of text and code (``:func:`paragraphs```), the API as plain text
(``:func:`plain```), without the version history.
"""

from __future__ import annotations

import inspect
import re
import textwrap

# directives whose block is history or a cross-reference, dropped with their body
DROPPED = re.compile(r"^\.\. (versionadded|versionchanged|deprecated|seealso)::")
# other directives keep their body: ".. note::" becomes "Note:"
DIRECTIVE = re.compile(r"^\.\. (\w+)::\s*(.*)$")
ROLE = re.compile(r":(?:[\w-]+:)?[\w-]+:`~?([^`]+)`")
LITERAL = re.compile(r"``([^`]+)``")


def role_text(match: re.Match) -> str:
    """`name` of a role: the last dotted part when Sphinx would shorten it (``~``)."""
    target = match.group(1)
    shown = target.rsplit(".", 1)[-1] if match.group(0).split("`", 1)[1].startswith("~") else target
    return f"`{shown.rstrip('()')}`"


def dedented(help_text: str) -> list[str]:
    """The lines of a docstring-like text without its indentation. Text appended without
    indentation (traitlets appends a class trait's "Currently installed" list) is
    dedented on its own."""
    first, *rest = (help_text or "").expandtabs().splitlines() or [""]
    cut = next((i for i, line in enumerate(rest) if line.strip() and line[0] != " "), len(rest))
    parts = [textwrap.dedent("\n".join(rest[:cut])), textwrap.dedent("\n".join(rest[cut:]))]
    return [first.strip(), *(line.rstrip() for line in "\n".join(parts).splitlines())]


def without_directives(lines: list[str]) -> list[str]:
    kept: list[str] = []
    dropping = False
    for line in lines:
        if DROPPED.match(line):
            dropping = True
            continue
        if dropping and (not line.strip() or line.startswith((" ", "\t"))):
            continue
        dropping = False
        directive = DIRECTIVE.match(line)
        if directive:
            line = f"{directive.group(1).capitalize()}: {directive.group(2)}".rstrip()
        kept.append(line)
    return kept


def plain(help_text: str) -> str:
    """The help text without Sphinx markup; inline code stays between single backquotes."""
    lines = without_directives(dedented(help_text))
    text = "\n".join(lines).strip()
    text = ROLE.sub(role_text, text)
    text = LITERAL.sub(r"`\1`", text)
    text = re.sub(r"(\S)::$", r"\1:", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text)


def parts(text: str) -> list[list]:
    """[[text, is_code], ...] of a line of text with `code` in it."""
    return [[piece, i % 2 == 1] for i, piece in enumerate(text.split("`")) if piece]


def paragraphs(help_text: str) -> list[dict]:
    """The help text's paragraphs: ``{"code": text}`` for an indented block, ``{"items":
    [parts, ...]}`` for a list, else ``{"parts": parts}`` (see :func:`parts`)."""
    result: list[dict] = []
    for block in re.split(r"\n\s*\n", plain(help_text)):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        first_item = next((i for i, line in enumerate(lines) if line.lstrip()[:2] == "- "), None)
        if first_item is not None:
            if first_item:
                result.append({"parts": parts(" ".join(l.strip() for l in lines[:first_item]))})
            items: list[str] = []
            for line in lines[first_item:]:
                stripped = line.strip()
                if stripped.startswith("- "):
                    items.append(stripped[2:])
                else:
                    items[-1] += " " + stripped
            result.append({"items": [parts(item) for item in items]})
        elif all(line.startswith(" ") for line in lines):
            result.append({"code": inspect.cleandoc("\n" + block)})
        else:
            result.append({"parts": parts(" ".join(line.strip() for line in lines))})
    return result
