"""Pure functions of saved notebooks: their tail, whether their last run failed, what changed.

Notebooks are nbformat 4 dicts as JSON gives them (``cells`` with ``source`` and
``outputs``); nothing here renders HTML, so nothing here can carry a participant's markup.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def parse(content: str) -> dict[str, Any]:
    """A notebook from its JSON; ValueError if it is not one."""
    try:
        notebook = json.loads(content)
    except (ValueError, RecursionError) as e:  # RecursionError: JSON nested too deep
        raise ValueError(f"not a notebook: {e}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("not a notebook: no list of cells")
    return notebook


def text(value: Any) -> str:
    """A notebook's multiline string (a string or a list of lines; anything else: empty)."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in notebook.get("cells", []) if isinstance(c, dict)]


def cell_type(cell: dict[str, Any]) -> str | None:
    return text(cell.get("cell_type")) or None


def outputs(cell: dict[str, Any]) -> list[dict[str, Any]]:
    """A cell's outputs (whatever is not an output left out)."""
    found = cell.get("outputs")
    return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []


def output_text(output: dict[str, Any]) -> str:
    """What an output shows, as text: a stream, an error's traceback, a result's plain text."""
    kind = output.get("output_type")
    if kind == "stream":
        return text(output.get("text"))
    if kind == "error":
        traceback = output.get("traceback")
        if not isinstance(traceback, list) or not traceback:
            traceback = [f"{text(output.get('ename'))}: {text(output.get('evalue'))}"]
        return ANSI.sub("", "\n".join(text(line) for line in traceback))
    data = output.get("data")
    if not isinstance(data, dict):
        return ""
    if "text/plain" in data:
        return text(data["text/plain"])
    return "".join(f"[{mime}]" for mime in data)


def trimmed(value: str, lines: int) -> tuple[str, int]:
    """``value`` cut to its last ``lines`` lines; and how many lines were cut."""
    split = value.splitlines()
    if len(split) <= lines:
        return value, 0
    return "\n".join(split[-lines:]), len(split) - lines


def tail(notebook: dict[str, Any], count: int, lines: int) -> list[dict[str, Any]]:
    """The last ``count`` cells, each output trimmed to its last ``lines`` lines."""
    all_cells = cells(notebook)
    first = max(0, len(all_cells) - count)
    result = []
    for index, cell in enumerate(all_cells[first:], start=first):
        shown_outputs = []
        for output in outputs(cell):
            shown, cut = trimmed(output_text(output), lines)
            kind = output.get("output_type")
            shown_outputs.append({"type": text(kind) or None, "text": shown, "cut_lines": cut})
        count = cell.get("execution_count")
        result.append(
            {
                "index": index,
                "cell_type": cell_type(cell),
                "source": text(cell.get("source")),
                "execution_count": count if isinstance(count, int) else None,
                "outputs": shown_outputs,
            }
        )
    return result


@dataclass(frozen=True)
class Failure:
    """The error a notebook's last run ended in."""

    index: int  # the cell's position
    name: str  # e.g. NameError
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"cell": self.index, "ename": self.name, "evalue": self.value}


def last_failure(notebook: dict[str, Any]) -> Failure | None:
    """The error of the cell run last (highest execution count), if it ended in one."""
    runs = [
        (cell["execution_count"], index, cell)
        for index, cell in enumerate(cells(notebook))
        if cell.get("cell_type") == "code" and isinstance(cell.get("execution_count"), int)
    ]
    if not runs:
        return None
    _, index, cell = max(runs, key=lambda run: run[:2])
    for output in outputs(cell):
        if output.get("output_type") == "error":
            return Failure(index, text(output.get("ename")), text(output.get("evalue")))
    return None


def _line_diff(old: str, new: str) -> list[list[str]]:
    """``[tag, line]`` pairs: " " kept, "-" removed, "+" added."""
    tags = {" ": " ", "-": "-", "+": "+"}
    return [
        [tags[line[0]], line[2:]]
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[0] in tags
    ]


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cell of ``new`` and every cell removed from ``old``: added, removed, edited or
    same, with the lines of an edited one marked. Cells pair by id where both notebooks
    have ids (nbformat 4.5), else by their sources' order."""
    old_cells = cells(old) if old is not None else []
    new_cells = cells(new)

    def key(cell: dict[str, Any]) -> str:
        return text(cell.get("source"))

    with_ids = all(isinstance(c.get("id"), str) and c["id"] for c in old_cells + new_cells)
    if with_ids:
        old_keys = [c["id"] for c in old_cells]
        new_keys = [c["id"] for c in new_cells]
    else:
        old_keys, new_keys = [key(c) for c in old_cells], [key(c) for c in new_cells]
    result: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(range(a0, a1), range(b0, b1)):
                before, after = key(old_cells[a]), key(new_cells[b])
                change = "same" if before == after else "edited"
                entry = {"change": change, "index": b, "cell_type": cell_type(new_cells[b]),
                         "source": after}  # fmt: skip
                if change == "edited":
                    entry["lines"] = _line_diff(before, after)
                result.append(entry)
            continue
        paired = min(a1 - a0, b1 - b0) if tag == "replace" and not with_ids else 0
        for offset in range(paired):
            a, b = a0 + offset, b0 + offset
            result.append(
                {"change": "edited", "index": b, "cell_type": cell_type(new_cells[b]),
                 "source": key(new_cells[b]),
                 "lines": _line_diff(key(old_cells[a]), key(new_cells[b]))}
            )  # fmt: skip
        for a in range(a0 + paired, a1):
            result.append({"change": "removed", "index": None, "old_index": a,
                           "cell_type": cell_type(old_cells[a]),
                           "source": key(old_cells[a])})  # fmt: skip
        for b in range(b0 + paired, b1):
            result.append({"change": "added", "index": b, "cell_type": cell_type(new_cells[b]),
                           "source": key(new_cells[b])})  # fmt: skip
    return result


def summary(changed: list[dict[str, Any]]) -> dict[str, int]:
    """How many cells were added, removed and edited."""
    return {
        kind: sum(c["change"] == kind for c in changed) for kind in ("added", "removed", "edited")
    }
