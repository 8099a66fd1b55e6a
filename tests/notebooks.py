"""Notebooks and saves of the workshop's tests: builders of notebooks as JupyterLab saves them,
and saving them through a user's server as JupyterLab does (shared by the test modules)."""

from __future__ import annotations

import base64

import requests
from harness import labfleet_api, wait_for


def notebook(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code(cell_id: str, source: str, count: int | None = None, outputs: list | None = None) -> dict:
    return {"id": cell_id, "cell_type": "code", "source": source, "metadata": {},
            "execution_count": count, "outputs": outputs or []}  # fmt: skip


def markdown(cell_id: str, source: str) -> dict:
    return {"id": cell_id, "cell_type": "markdown", "source": source, "metadata": {}}


def error(name: str, value: str) -> dict:
    return {"output_type": "error", "ename": name, "evalue": value,
            "traceback": [f"\x1b[31m{name}\x1b[0m: {value}"]}  # fmt: skip


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def save(hub, user: str, path: str, content: dict, token: str | None = None) -> requests.Response:
    """Save a notebook through the user's server, as JupyterLab does."""
    return requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": content},
        headers={"Authorization": f"token {token or hub.token}"},
        timeout=30,
    )


def events_of(hub, token: str | None = None, **filters) -> dict:
    response = labfleet_api(hub, "GET", "/events", token=token, params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def saves(hub, user: str, path: str) -> list[dict]:
    return events_of(hub, user=user, path=path, type="save")["events"]


def wait_for_saves(hub, user: str, path: str, count: int, timeout: float = 30) -> list[dict]:
    return wait_for(
        lambda: (found := saves(hub, user, path)) and len(found) >= count and found,
        timeout, f"{count} save events of {user}'s {path}",
    )  # fmt: skip


FIRST = notebook(
    markdown("m1", "# Exercise 1"),
    code("c1", "x = 1\nprint(x)", 1, [stream("1\n")]),
    code("c2", "print(y)", 2, [error("NameError", "name 'y' is not defined")]),
)


SECOND = notebook(
    markdown("m1", "# Exercise 1"),
    code("c1", "x = 2\nprint(x)", 3, [stream("2\n")]),
    code("c3", "y = x * 2", 4),
)


SCRIPTS = notebook(
    markdown(
        "m1",
        "# Hi\n<script>window.parent.PWNED_MD = 1</script>"
        '<img src=x onerror="window.parent.PWNED_IMG = 1">',
    ),  # fmt: skip
    code(
        "c1",
        "html",
        1,
        [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"text/html": "<b>bold</b><script>window.parent.PWNED_HTML = 1</script>"},
            }
        ],
    ),  # fmt: skip
    code(
        "c3",
        "df",
        3,
        [
            {
                "output_type": "execute_result",
                "execution_count": 3,
                "metadata": {},
                "data": {
                    "text/html": "<table><tr><th>a</th></tr><tr><td onclick='x()'>1</td></tr></table>",
                    "text/plain": "   a\n0  1",
                },
            }
        ],
    ),  # fmt: skip
    code(
        "c2",
        "svg",
        2,
        [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload='window.parent.PWNED_SVG=1'>"
                    "<script>window.parent.PWNED_SVG = 1</script><circle r='5'/></svg>"
                },
            }
        ],
    ),  # fmt: skip
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def read(hub, user: str, path: str) -> str | None:
    answer = requests.get(f"{hub.url}/user/{user}/api/contents/{path}",
                          params={"type": "file", "format": "text"},
                          headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    return answer.json()["content"] if answer.status_code == 200 else None


# an image output whose metadata slips an onerror into nbconvert's <img>, a javascript: link
SCRIPTED_EXPORT = notebook(
    markdown("m1", "# Results\n[open](javascript:window.PWNED_LINK=1)"),
    code("c1", "plot()", 1, [{"output_type": "display_data", "data": {"image/png": "x"},
                              "metadata": {"image/png": {"width": "1 onerror=PWNED_IMG=1"}}}]),
)  # fmt: skip
