"""The pure parts of workshop mode: tails, the last run's error, what changed, checked input."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from labfleet.singleuser.material import kept_name
from labfleet.workshop import events, handout, notebooks


def cell(source, count=None, outputs=(), cell_id=None, kind="code"):
    data = {"cell_type": kind, "source": source, "metadata": {}}
    if kind == "code":
        data.update(execution_count=count, outputs=list(outputs))
    if cell_id:
        data["id"] = cell_id
    return data


def nb(*cells):
    return {"cells": list(cells), "nbformat": 4, "nbformat_minor": 4, "metadata": {}}


ERROR = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
         "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"]}  # fmt: skip


def test_the_last_run_is_the_highest_execution_count_not_the_last_cell():
    # the participant ran the cells out of order: the failing cell 0 ran last
    book = nb(cell("1/0", 5, [ERROR]), cell("x = 1", 4), cell("print(x)", None))
    failure = notebooks.last_failure(book)
    assert failure == notebooks.Failure(0, "ZeroDivisionError", "division by zero")
    fixed = nb(cell("1/0", 5, [ERROR]), cell("x = 1", 6))
    assert notebooks.last_failure(fixed) is None
    assert notebooks.last_failure(nb(cell("# title", kind="markdown"))) is None


def test_outputs_as_text():
    assert notebooks.output_text(ERROR) == "ZeroDivisionError: division by zero"  # no ANSI
    assert notebooks.output_text({"output_type": "stream", "text": ["a\n", "b\n"]}) == "a\nb\n"
    result = {"output_type": "execute_result", "data": {"text/plain": "42", "text/html": "<b>"}}
    assert notebooks.output_text(result) == "42"
    assert (
        notebooks.output_text({"output_type": "display_data", "data": {"image/png": "..."}})
        == "[image/png]"
    )


def test_the_tail_cuts_cells_and_lines():
    book = nb(
        *[cell(f"print({i})", i, [{"output_type": "stream", "text": "x\n" * 5}]) for i in range(6)]
    )
    tail = notebooks.tail(book, 2, 3)
    assert [c["index"] for c in tail] == [4, 5]
    assert tail[0]["outputs"] == [{"type": "stream", "text": "x\nx\nx", "cut_lines": 2}]
    assert notebooks.tail(nb(), 10, 25) == []


def test_changes_pair_cells_by_id():
    old = nb(cell("a = 1", cell_id="a"), cell("b = 2", cell_id="b"), cell("c = 3", cell_id="c"))
    new = nb(cell("a = 1", cell_id="a"), cell("c = 30", cell_id="c"), cell("d = 4", cell_id="d"))
    changed = notebooks.changes(old, new)
    kinds = [(c["change"], c["source"]) for c in changed]
    assert kinds == [
        ("same", "a = 1"),
        ("removed", "b = 2"),
        ("edited", "c = 30"),
        ("added", "d = 4"),
    ]
    edited = changed[2]
    assert edited["lines"] == [["-", "c = 3"], ["+", "c = 30"]]
    assert notebooks.summary(changed) == {"added": 1, "removed": 1, "edited": 1}


def test_changes_without_ids_follow_the_sources():
    old = nb(cell("a = 1"), cell("b = 2"))
    new = nb(cell("a = 1"), cell("b = 3"), cell("c"))
    changed = notebooks.changes(old, new)
    assert [c["change"] for c in changed] == ["same", "edited", "added"]
    first = notebooks.changes(None, new)
    assert [c["change"] for c in first] == ["added"] * 3


@pytest.mark.parametrize("content", ["{", "[]", '{"cells": 3}'])
def test_what_is_not_a_notebook_is_refused(content):
    with pytest.raises(ValueError, match="not a notebook"):
        notebooks.parse(content)


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_content_over_the_limit_is_dropped_with_the_reason():
    content = json.dumps(nb(cell("x" * 5000)))
    event = events.parse_event({"path": "a/b.ipynb", "content": content}, NOW, 1024)
    assert event.content is None and event.size == len(content)
    assert "over the hub's limit of 1 KiB" in event.omitted
    assert event.timestamp == NOW and event.filename == "b.ipynb" and event.type == "save"
    kept = events.parse_event({"path": "a/b.ipynb", "content": content}, NOW, 10**6)
    assert kept.content == content


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/", "", "a/\0b"])
def test_paths_stay_in_the_home(path):
    with pytest.raises(ValueError):
        events.clean_path(path)


def test_paths_are_written_as_the_contents_api_names_them():
    assert events.clean_path("/day1//./intro.ipynb") == "day1/intro.ipynb"


def test_a_hand_out_is_checked_and_decoded():
    body = {
        "folder": "day1/",
        "files": [{"path": "a.txt", "content": base64.b64encode(b"hi").decode()}],
    }
    request = handout.parse_request(body, 1024)
    assert (
        request.folder == "day1"
        and request.files == {"a.txt": b"hi"}
        and request.recipients is None
    )
    with pytest.raises(ValueError, match="over the limit of 1 KiB"):
        handout.parse_request(
            {"files": [{"path": "a", "content": base64.b64encode(b"x" * 2048).decode()}]}, 1024
        )


def test_a_changed_copy_is_kept_under_a_name_that_says_so():
    moment = datetime(2026, 3, 2, 9, 30, 5, tzinfo=timezone.utc).timestamp()
    assert kept_name("day1/intro.ipynb", moment) == "day1/intro.mine-20260302-093005.ipynb"
    assert kept_name("Makefile", moment) == "Makefile.mine-20260302-093005"
