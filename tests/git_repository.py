"""A real git repository served on loopback over HTTP (``git http-backend`` behind a small
HTTP server of the test process), as a course's repository is served to students."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from harness import free_port

GIT = shutil.which("git") or "git"
COMMITTER = {
    "GIT_AUTHOR_NAME": "Instructor", "GIT_AUTHOR_EMAIL": "instructor@example.org",
    "GIT_COMMITTER_NAME": "Instructor", "GIT_COMMITTER_EMAIL": "instructor@example.org",
}  # fmt: skip


class Repository:
    """A bare repository served at ``url`` and the instructor's clone of it, to commit to."""

    def __init__(self, root: Path, name: str, url: str):
        self.bare = root / "served" / f"{name}.git"
        self.work = root / "work" / name
        self.url = url

    def git(self, *args: str, cwd: Path | None = None) -> str:
        environment = {**os.environ, **COMMITTER, "HOME": str(self.work.parent)}
        done = subprocess.run([GIT, *args], cwd=cwd or self.work, env=environment,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout

    def commit(self, files: dict[str, str], message: str) -> None:
        """Commit ``files`` (path -> text) on main and publish them, as the instructor does."""
        for path, text in files.items():
            (self.work / path).parent.mkdir(parents=True, exist_ok=True)
            (self.work / path).write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "origin", "main")


def _handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class GitHandler(BaseHTTPRequestHandler):
        """Each request to ``git http-backend`` (CGI), as a web server runs it."""

        def do_GET(self) -> None:
            self.backend()

        def do_POST(self) -> None:
            self.backend()

        def backend(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            environment = {
                **os.environ, "GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command, "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": self.client_address[0],
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }  # fmt: skip
            done = subprocess.run([GIT, "http-backend"], input=body, env=environment,
                                  capture_output=True, timeout=60)  # fmt: skip
            head, _, content = done.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return GitHandler


@contextlib.contextmanager
def served_repository(name: str, files: dict[str, str]) -> Iterator[Repository]:
    """A repository ``name`` with ``files`` on its branch main, served over HTTP on a free
    loopback port for as long as the block runs."""
    root = Path(tempfile.mkdtemp(prefix="labfleet-git-"))
    port = free_port()
    repository = Repository(root, name, f"http://127.0.0.1:{port}/{name}.git")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(root / "served"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        repository.bare.parent.mkdir(parents=True)
        repository.git("init", "--quiet", "--bare", "--initial-branch=main", str(repository.bare),
                       cwd=root)  # fmt: skip
        repository.git("clone", "--quiet", str(repository.bare), str(repository.work), cwd=root)
        repository.git("checkout", "--quiet", "-B", "main")
        repository.commit(files, "The course")
        thread.start()
        yield repository
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        shutil.rmtree(root, ignore_errors=True)
