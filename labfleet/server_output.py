"""What a server printed, in its user's words.

The Logs dialog and the spawn page show a user their server's progress and their own errors
in words; the lines as printed (host paths, the requests of others who opened the server,
such as an admin's ``PUT ... (admin@127.0.0.1)``) are shown to admins only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Jupyter's log format: "[I 2026-01-31 12:00:00.123 ServerApp] text"
LOG_LINE = re.compile(
    r"^\[(?P<level>[A-Z]) \d{4}-\d\d-\d\d (?P<time>\d\d:\d\d:\d\d)\S* [^\]]+\] (?P<text>.*)$"
)
# jupyter_server's request log: "200 GET /user/x/api/contents (x@127.0.0.1) 1.23ms"
REQUEST = re.compile(r"^(?P<status>\d{3}) (?P<method>[A-Z]+) (?P<path>[^\s?]+)\S* \((?P<who>.*)@")
# the last line of a traceback: "ModuleNotFoundError: No module named 'x'"
EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit)(?::.*)?$")
# a host path ("/srv/labfleet-data/volumes/home/x/a.py"), not a URL's
ABSOLUTE_PATH = re.compile(r"(?<![\w/.~:-])/[^\s'\"(),:;]*")
# what the server reports, in words: the first pattern that matches
PROGRESS = (
    (re.compile(r"^Serving notebooks from"), "Your server is starting."),
    (re.compile(r"^Jupyter Server \S+ is running at"), "Your server is running."),
    (re.compile(r"^Kernel started: "), "A kernel started."),
    (re.compile(r"^Kernel restarted: "), "A kernel restarted."),
    (re.compile(r"^KernelRestarter: restarting"), "A kernel stopped unexpectedly; restarting it."),
    (re.compile(r"^Kernel shutdown: "), "A kernel stopped."),
    (re.compile(r"^Saving file at /?(?P<path>.+)$"), "Saved {path}."),
    (re.compile(r"^Uploading file to /?(?P<path>.+)$"), "Received {path}."),
    (
        re.compile(r"^(Shutting down \d+ kernel|Received signal to stop|Shutting down on /api)"),
        "Your server is stopping.",
    ),
)


def hide_paths(text: str) -> str:
    """``text`` with each host path shortened to its last part."""
    return ABSOLUTE_PATH.sub(lambda m: m.group().rstrip("/").rsplit("/", 1)[-1] or "/", text)


def in_words(lines: Iterable[str], owner: str) -> list[str]:
    """The progress and the errors of ``owner``'s server in ``lines``, one sentence each,
    after the time it was printed: no host paths, no requests of anyone else."""
    words, time = [], ""
    for line in lines:
        found = LOG_LINE.match(line)
        if found is None:  # a line of a traceback, or a library's own output
            if EXCEPTION.match(line):
                words.append(f"{time}  Error: {hide_paths(line)}".lstrip())
            continue
        time, text = found["time"], found["text"]
        request = REQUEST.match(text)
        if request:
            if request["who"] == owner and int(request["status"]) >= 500:
                where = re.sub(r"^/user/[^/]+", "", request["path"])
                words.append(
                    f"{time}  Error: your server could not answer {request['method']} {where} "
                    f"({request['status']})."
                )
            continue
        said = next(
            (template.format(**m.groupdict()) for p, template in PROGRESS if (m := p.match(text))),
            None,
        )
        if said is None and found["level"] in "EC":
            said = f"Error: {hide_paths(text)}"
        if said is not None:
            words.append(f"{time}  {said}")
    return words
