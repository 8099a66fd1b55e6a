"""The pure parts of workshop mode: tails, the last run's error, what changed, checked input."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from labfleet.singleuser.material import beside_name
from labfleet.workshop import events, handout, notebooks, render
from labfleet.workshop.limits import EventBudget


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


def test_the_hubs_time_is_kept_not_the_clients():
    event = events.parse_event({"path": "a.ipynb", "timestamp": "2001-01-01T00:00Z"}, NOW, 1024)
    assert event.timestamp == NOW


def test_a_minute_holds_so_many_events_and_bytes_per_user():
    budget = EventBudget(events=3, kib=1)
    assert [budget.take("ana", 10, now=t) for t in (0, 1, 2)] == [None] * 3
    reason, wait = budget.take("ana", 10, now=30)
    assert "at most 3 events a minute" in reason and wait == 30
    assert budget.take("ben", 10, now=30) is None  # each user has a minute of their own
    assert budget.take("ana", 10, now=60) is None  # the first event left the minute
    sizes = EventBudget(events=0, kib=1)  # 0: no limit on the count
    assert sizes.take("ana", 2000, now=0) is None  # one event over the rest still passes
    reason, wait = sizes.take("ana", 1, now=10)
    assert "at most 1 KiB of events a minute" in reason and wait == 50
    assert EventBudget(0, 0).take("ana", 10**9, now=0) is None


def test_malformed_notebooks_still_give_a_tail_and_changes():
    odd = {"cells": [
        {"cell_type": "code", "source": [["nested"], "x = 1"], "execution_count": 2,
         "outputs": [5, {"output_type": "error", "traceback": 7, "ename": {}, "evalue": "boom"},
                     {"output_type": "display_data", "data": ["text/plain"]}]},
        {"cell_type": {"a": 1}, "id": {"not": "a string"}, "outputs": "abc",
         "execution_count": "3"},
        "not a cell",
    ]}  # fmt: skip
    tail = notebooks.tail(odd, 10, 5)
    assert [c["source"] for c in tail] == ["x = 1", ""]
    assert [o["text"] for o in tail[0]["outputs"]] == [": boom", ""]
    assert tail[1]["cell_type"] is None and tail[1]["execution_count"] is None
    assert notebooks.last_failure(odd) == notebooks.Failure(0, "", "boom")
    assert [c["change"] for c in notebooks.changes(odd, odd)] == ["same", "same"]


def test_json_nested_too_deep_is_no_notebook():
    with pytest.raises(ValueError, match="not a notebook"):
        notebooks.parse("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "notebook, says",
    [
        ("[" * 100_000 + "]" * 100_000, "RecursionError"),
        (json.dumps({**nb(cell("x", cell_id="bad id!")), "nbformat_minor": 5}), "does not match"),
        (json.dumps(nb(cell("![a](attachment:gone.png)", kind="markdown"))), "missing attachment"),
    ],
)
def test_a_notebook_nbconvert_cannot_render_cannot_be_shown(notebook, says):
    with pytest.raises(ValueError, match=f"the notebook cannot be shown: .*{says}"):
        render.to_html(notebook)


def test_the_rendered_page_keeps_no_script_and_says_so():
    image = {"output_type": "display_data", "data": {"image/png": "x"},
             "metadata": {"image/png": {"width": "1 onerror=alert(1)"}}}  # fmt: skip
    page = render.to_html(json.dumps(nb(
        cell("[a](javascript:alert(2)) [b](JavaScript&#58;alert(3)) [c](data:text/html,x)",
             kind="markdown"),
        cell("plot()", 1, [image]),
    )))  # fmt: skip
    head = page[page.index("<head>") : page.index("</head>")]
    assert head.startswith(f'<head>\n<meta http-equiv="Content-Security-Policy" '
                           f'content="{render.PAGE_POLICY}">')  # fmt: skip
    assert "default-src 'none'" in render.PAGE_POLICY and "script" not in render.PAGE_POLICY
    body = page[page.index("<body") :].lower()
    for gone in ("<script", "onerror", "javascript", "data:text"):
        assert gone not in body, gone
    assert "<script" not in head
    assert 'src="data:image/png;base64,x" width="1">' in page  # the image stays


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


def test_a_new_version_goes_beside_the_participants_file_under_a_name_that_says_so():
    stamp = "2026-03-02-0930"
    assert beside_name("day1/intro.ipynb", stamp) == "day1/intro.new-2026-03-02-0930.ipynb"
    assert beside_name("Makefile", stamp) == "Makefile.new-2026-03-02-0930"
    assert beside_name(".bashrc", stamp) == ".bashrc.new-2026-03-02-0930"
    assert beside_name("day1/intro.ipynb", stamp, 2) == "day1/intro.new-2026-03-02-0930-2.ipynb"


def test_a_participant_is_told_what_arrived_and_where():
    written = [{"path": "a/one.py", "outcome": "written"}, {"path": "a/two.csv", "outcome": "same"}]
    assert handout.notice(written) == ("New from your instructor: a/one.py.", "a/one.py")
    many = [{"path": f"f{i}.txt", "outcome": "written"} for i in range(5)]
    assert handout.notice(many)[0] == "New from your instructor: f0.txt, f1.txt, f2.txt and 2 more."
    beside = [{"path": "a/task.py", "outcome": "beside", "beside": "a/task.new-x.py"}]
    text, opened = handout.notice(beside + written)
    assert text == ("A new version of a/task.py from your instructor is beside yours, at "
                    "a/task.new-x.py. Your file is unchanged. Also new: a/one.py.")  # fmt: skip
    assert opened == "a/task.new-x.py"
    nothing_new = [{"path": "a", "outcome": "same"}, {"path": "b", "outcome": "failed"}]
    assert handout.notice(nothing_new) is None
