"""Links that bring material: a click clones (or updates) a git repository into the user's
home with nbgitpuller, in the environment the link names, and opens a file of it.

nbgitpuller (in every user environment and the lab image) serves ``git-pull`` on each
server; its merge keeps what the user changed (see docs/workshop.md). A link for users with
an account goes through ``/hub/user-redirect/`` (their own server, started if need be); a
link for temporary users through ``/hub/tmplogin``, which makes the user and then pulls.
These builders only check and assemble: pure functions of their inputs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .profiles import notebook_path

SCHEMES = ("https", "http", "git")
MAX_LENGTH = 2048
BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}")
FOLDER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class GitLink:
    """A repository, its branch ("": its default) and a file in it to open ("": its folder)."""

    repo: str
    branch: str = ""
    file: str = ""

    @property
    def folder(self) -> str:
        """The folder of the home the repository goes into: its name, without ``.git``."""
        return folder_of(self.repo)

    def pull_path(self) -> str:
        """nbgitpuller's route on a server, with this link's arguments (relative to the
        server's URL)."""
        opened = posixpath.join("lab/tree", self.folder, self.file).rstrip("/")
        query = {"repo": self.repo, **({"branch": self.branch} if self.branch else {}),
                 "targetpath": self.folder, "urlpath": opened}  # fmt: skip
        return "git-pull?" + urlencode(query)


def folder_of(repo: str) -> str:
    """``course`` for ``https://example.org/teacher/course.git``; ValueError if the
    repository's name cannot name a folder."""
    name = urlsplit(repo).path.rstrip("/").rpartition("/")[2].removesuffix(".git")
    if not FOLDER.fullmatch(name):
        raise ValueError(f"The repository {repo!r} has no name a folder can take (its last part)")
    return name


def parse_link(arguments: Mapping[str, str]) -> GitLink:
    """The link of ``repo``, ``branch`` and ``file`` arguments; ValueError saying what is wrong."""
    repo = arguments.get("repo", "").strip()
    parts = urlsplit(repo)
    if (
        parts.scheme not in SCHEMES or not parts.hostname or len(repo) > MAX_LENGTH
        or any(c.isspace() or ord(c) < 32 for c in repo)
    ):  # fmt: skip
        raise ValueError(
            f"The repository must be an address of {', '.join(s + '://' for s in SCHEMES)} "
            f"such as https://github.com/teacher/course.git, not {repo!r}"
        )
    if parts.username or parts.password:
        raise ValueError("The repository's address must not carry a user name or password")
    branch = arguments.get("branch", "").strip()
    if branch and (
        not BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".lock", "/", "."))
    ):
        raise ValueError(f"{branch!r} is not a branch name (letters, digits, . _ / -)")
    file = arguments.get("file", "").strip()
    if file:
        try:
            file = notebook_path(file)
        except ValueError:
            raise ValueError(f"The file {file!r} must be a path inside the repository") from None
    folder_of(repo)
    return GitLink(repo, branch, file)


def user_link(hub_prefix: str, link: GitLink, env: str | None) -> str:
    """The link for users with an account: their own server (``env``: started in that
    environment if it is not running) pulls, then opens the file."""
    redirect = f"{hub_prefix}user-redirect/{link.pull_path()}"
    if not env:
        return redirect
    return f"{hub_prefix}spawn?" + urlencode({"opt-env": env, "next": redirect})


def temporary_link(hub_prefix: str, link: GitLink, env: str | None) -> str:
    """The link for temporary users: ``/hub/tmplogin`` with the repository, branch and file."""
    query = {**({"env": env} if env else {}), "repo": link.repo,
             **({"branch": link.branch} if link.branch else {}),
             **({"file": link.file} if link.file else {})}  # fmt: skip
    return f"{hub_prefix}tmplogin?" + urlencode(query)
