"""Links that bring material, as data: the nbgitpuller links for users with an account and
for temporary users, and the repositories, branches and files refused. A real repository
pulled through such a link, with the students' changes kept: test_environments.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from labfleet.material_links import parse_link, temporary_link, user_link

COURSE = "https://git.example.org/teacher/course.git"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_a_link_pulls_into_the_repositorys_folder_and_opens_the_file():
    link = parse_link({"repo": COURSE, "branch": "week-1", "file": "day1/intro.ipynb"})
    assert link.folder == "course"
    url = user_link("/hub/", link, None)
    assert urlsplit(url).path == "/hub/user-redirect/git-pull"
    assert query(url) == {"repo": [COURSE], "branch": ["week-1"], "targetpath": ["course"],
                          "urlpath": ["lab/tree/course/day1/intro.ipynb"]}  # fmt: skip


def test_without_a_branch_or_file_the_default_branch_and_the_folder():
    link = parse_link({"repo": "https://git.example.org/teacher/notes/"})
    assert query(user_link("/hub/", link, None)) == {
        "repo": ["https://git.example.org/teacher/notes/"], "targetpath": ["notes"],
        "urlpath": ["lab/tree/notes"]}  # fmt: skip


def test_an_environment_starts_the_server_in_it_then_pulls():
    link = parse_link({"repo": COURSE, "file": "intro.ipynb"})
    url = user_link("/prefix/hub/", link, "small")
    assert urlsplit(url).path == "/prefix/hub/spawn"
    assert query(url) == {"opt-env": ["small"], "next": [user_link("/prefix/hub/", link, None)]}


def test_a_temporary_users_link_names_the_environment_repository_branch_and_file():
    link = parse_link({"repo": COURSE, "branch": "main", "file": "intro.ipynb"})
    url = temporary_link("/hub/", link, "small")
    assert urlsplit(url).path == "/hub/tmplogin"
    assert query(url) == {"env": ["small"], "repo": [COURSE], "branch": ["main"],
                          "file": ["intro.ipynb"]}  # fmt: skip
    assert parse_link({k: v[0] for k, v in query(url).items()}) == link


@pytest.mark.parametrize(
    "arguments, says",
    [
        ({}, "The repository must be an address"),
        ({"repo": "file:///etc"}, "The repository must be an address"),
        ({"repo": "ext::sh -c touch% /tmp/x"}, "The repository must be an address"),
        ({"repo": "https://git.example.org/a b.git"}, "The repository must be an address"),
        ({"repo": "https://teacher:s3cret@git.example.org/c.git"}, "user name or password"),
        ({"repo": "https://git.example.org/"}, "no name a folder can take"),
        ({"repo": COURSE, "branch": "--upload-pack=touch /tmp/x"}, "is not a branch name"),
        ({"repo": COURSE, "branch": "a..b"}, "is not a branch name"),
        ({"repo": COURSE, "file": "../../etc/passwd"}, "inside the repository"),
        ({"repo": COURSE, "file": "/etc/passwd"}, "inside the repository"),
    ],
)
def test_bad_links_are_refused_saying_why(arguments, says):
    with pytest.raises(ValueError, match=says):
        parse_link(arguments)
