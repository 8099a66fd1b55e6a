"""Roster import: through the API and `labfleet users import` against the running hub;
line by line, idempotent; bad lines are reported and never block the good ones."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest
import requests
from harness import (
    LABFLEET,
    accounts,
    audit_rows,
    labfleet_api,
    login_status,
    reveal,
    user_token,
)

from labfleet.auth import roster

HUB_CONFIG = {"accounts": {"max_batch": 20}, "auth": {"enable_signup": False}}

ROSTER = """\
# workshop, day 1
ada:tulip-orbit-cedar,physics
Grace,physics

a-b_c@x.org:quiet-river-stone
linus
bad name
ada
hal:x
eve:
nope,bad/group
bob,
   zoe:maple-harbor-quiet   ,   chemistry
"""


@pytest.fixture(scope="module")
def groups(hub):
    for name in ("physics", "chemistry"):
        assert hub.api("POST", f"/groups/{name}").status_code == 201
    return ["physics", "chemistry"]


def import_roster(hub, text: str) -> dict:
    response = labfleet_api(hub, "POST", "/users/import", json={"roster": text})
    assert response.status_code == 200, response.text
    return response.json()


def by_line(report: dict) -> dict[int, tuple[str, str, str]]:
    """line -> (status, user or text, detail or reason)."""
    return {
        item["line"]: (
            status,
            item.get("username", item.get("text")),
            item.get("detail", item.get("reason")),
        )
        for status in ("created", "updated", "unchanged", "rejected")
        for item in report[status]
    }


def test_parse_normalizes_names_and_rejects_bad_lines():
    entries, rejected = roster.parse(
        "A:p\n\nb\n#c\nA\nB\n:x\nd,\n e : ff , g \n",
        str.lower,
        lambda name: None,
        lambda name, password: "too short" if len(password) < 2 else None,
    )
    # a name whose line was rejected may come back on a later line
    assert [(e.line, e.username, e.password, e.groups) for e in entries] == [
        (3, "b", None, ()),
        (5, "a", None, ()),
        (8, "d", None, ()),  # an empty cell is no group
        (9, "e", "ff", ("g",)),
    ]
    assert [(r.line, r.text, r.reason) for r in rejected] == [
        (1, "A:***", "too short"),
        (6, "B", "b is already on line 3"),
        (7, ":***", "no user name"),
    ]


def test_parse_reads_a_spreadsheets_csv():
    exported = (
        "\ufeffUsername,Password,Group,Groups\r\n"  # Excel's byte order mark and line ends
        '"kim","pass,with,commas","physics","lab-a; lab-b"\r\n'
        "lee,,physics,\r\n"  # no password: one is generated
        '"al",,,\r\n'
    )
    entries, rejected = roster.parse(exported, str.lower, lambda name: None, lambda n, p: None)
    assert [(e.line, e.username, e.password, e.groups) for e in entries] == [
        (2, "kim", "pass,with,commas", ("physics", "lab-a", "lab-b")),
        (3, "lee", None, ("physics",)),
        (4, "al", None, ()),
    ]
    assert rejected == []
    typed, rejected = roster.parse(
        '"ada","math","cs"\nbo,a/b\n', str.lower, lambda name: None, lambda n, p: None
    )
    assert [(e.username, e.groups) for e in typed] == [("ada", ("math", "cs"))]
    assert [(r.text, r.reason) for r in rejected] == [
        ("bo,a/b", "invalid group name 'a/b': no '/', at most 255 characters")
    ]


def test_import_reports_every_line_and_applies_the_good_ones(hub, groups):
    report = import_roster(hub, ROSTER)
    lines = by_line(report)
    assert lines[2] == ("created", "ada", "password set; added to group physics")
    assert lines[3] == ("created", "grace", "password generated; added to group physics")
    assert lines[5] == ("created", "a-b_c@x.org", "password set")
    assert lines[6] == ("created", "linus", "password generated")
    assert lines[7][0] == "rejected" and lines[7][2].startswith("invalid user name 'bad name'")
    assert lines[8] == ("rejected", "ada", "ada is already on line 2")
    assert lines[9] == ("rejected", "hal:***", "the password must have at least 8 characters")
    assert lines[10] == (
        "rejected",
        "eve:***",
        "empty password (leave out the ':' to have one generated)",
    )
    assert lines[11] == (
        "rejected",
        "nope,bad/group",
        "invalid group name 'bad/group': no '/', at most 255 characters",
    )
    assert lines[12] == ("created", "bob", "password generated")
    assert lines[13] == ("created", "zoe", "password set; added to group chemistry")
    assert set(lines) == {2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13}  # comment and blank skipped
    assert "tulip-orbit-cedar" not in str(report)

    assert sorted(report["generated"]) == ["bob", "grace", "linus"]
    generated = reveal(hub, "grace", "linus")
    assert login_status(hub, "grace", generated["grace"])[0] == 302
    assert login_status(hub, "ada", "tulip-orbit-cedar")[0] == 302
    assert login_status(hub, "A-B_C@x.org", "quiet-river-stone")[0] == 302
    assert login_status(hub, "zoe", "maple-harbor-quiet")[0] == 302
    assert hub.user("ada")["groups"] == ["physics"]
    assert {"nope", "eve", "hal"}.isdisjoint(accounts(hub))
    assert [d for _, t, _, d in audit_rows(hub, "user.create") if t == "ada"] == [
        {
            "source": "roster",
            "password": "given",
            "groups": ["physics"],
            "must_change_password": False,
        }
    ]


def test_importing_again_changes_nothing(hub, groups):
    before = {name: (a["groups"], a["approved"]) for name, a in accounts(hub).items()}
    events = len(audit_rows(hub, "user.create")) + len(audit_rows(hub, "password.reset"))
    report = import_roster(hub, ROSTER)
    assert report["created"] == [] and report["updated"] == [] and report["generated"] == []
    assert [u["username"] for u in report["unchanged"]] == [
        "ada",
        "grace",
        "a-b_c@x.org",
        "linus",
        "bob",
        "zoe",
    ]
    assert len(report["rejected"]) == 5
    assert {name: (a["groups"], a["approved"]) for name, a in accounts(hub).items()} == before
    assert len(audit_rows(hub, "user.create")) + len(audit_rows(hub, "password.reset")) == events
    assert login_status(hub, "ada", "tulip-orbit-cedar")[0] == 302


def test_a_changed_line_updates_only_that_user(hub, groups):
    report = import_roster(hub, "ada:new-secret-words,chemistry\nlinus\n")
    assert by_line(report) == {
        1: ("updated", "ada", "password changed; added to group chemistry"),
        2: ("unchanged", "linus", ""),
    }
    assert login_status(hub, "ada", "new-secret-words")[0] == 302
    assert login_status(hub, "ada", "tulip-orbit-cedar")[0] == 403
    assert sorted(hub.user("ada")["groups"]) == ["chemistry", "physics"]
    assert ("ada", "ok") in [(t, r) for _, t, r, _ in audit_rows(hub, "password.reset")]


def test_existing_users_without_a_password_get_one(hub):
    hub.create_user("mira")
    report = import_roster(hub, "mira\n")
    assert by_line(report) == {1: ("updated", "mira", "password generated")}
    assert login_status(hub, "mira", reveal(hub, "mira")["mira"])[0] == 302


def test_a_first_import_for_a_new_class_creates_its_groups(hub):
    exported = 'username,group\n"kim","class-2027; lab-b"\n"lou",class-2027\n'
    narrow = user_token(hub, "admin", scopes=["admin:users"])
    refused = labfleet_api(
        hub, "POST", "/users/import", token=narrow, json={"roster": exported}
    ).json()
    assert [r["reason"] for r in refused["rejected"]] == [
        "no group 'class-2027' (creating groups needs the admin:groups scope)"
    ] * 2
    assert refused["groups_created"] == [] and hub.api("GET", "/groups/lab-b").status_code == 404

    report = labfleet_api(
        hub, "POST", "/users/import", json={"roster": exported, "must_change_password": True}
    ).json()
    assert report["groups_created"] == ["class-2027", "lab-b"]
    assert by_line(report) == {
        2: (
            "created",
            "kim",
            "password generated; new password asked at first login; "
            "added to group class-2027; added to group lab-b",
        ),
        3: (
            "created",
            "lou",
            "password generated; new password asked at first login; added to group class-2027",
        ),
    }
    assert sorted(hub.api("GET", "/groups/class-2027").json()["users"]) == ["kim", "lou"]
    assert accounts(hub)["kim"]["must_change_password"] is True
    status, location = login_status(hub, "kim", reveal(hub, "kim")["kim"])
    assert status == 302 and location.startswith("/hub/labfleet/change-password")
    assert ("lab-b", "ok") in [(t, r) for _, t, r, _ in audit_rows(hub, "group.create")]


def test_a_roster_longer_than_the_limit_is_refused_whole(hub):
    response = labfleet_api(
        hub, "POST", "/users/import", json={"roster": "\n".join(f"u{i}" for i in range(21))}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "At most 20 lines at once (21 given): split the roster"
    assert "u0" not in accounts(hub)


def test_the_cli_imports_into_the_running_hub(hub, groups, tmp_path):
    pid = hub.proc.pid
    roster_file = tmp_path / "roster.txt"
    roster_file.write_text("cli-one,physics\ncli-two:given-password-ok\nbad name\n")
    token_file = tmp_path / "token"
    token_file.write_text(hub.token)
    csv_file = tmp_path / "passwords.csv"
    command = [LABFLEET, "users", "import", str(roster_file), "--config", str(hub.config_path),
               "--token-file", str(token_file)]  # fmt: skip

    first = subprocess.run(
        [*command, "--csv", str(csv_file)], capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 1, first.stderr  # a line was rejected
    assert (
        "line    1  created    cli-one   password generated; added to group physics" in first.stdout
    )
    assert "line    3  rejected   bad name  invalid user name 'bad name'" in first.stdout
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in first.stdout
    assert f"Wrote the 1 generated password(s) to {csv_file}" in first.stdout
    assert oct(csv_file.stat().st_mode & 0o777) == "0o600"
    rows = list(csv.reader(io.StringIO(csv_file.read_text())))
    assert rows[0] == ["username", "password"] and [r[0] for r in rows[1:]] == ["cli-one"]
    assert login_status(hub, "cli-one", rows[1][1])[0] == 302
    assert login_status(hub, "cli-two", "given-password-ok")[0] == 302

    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "0 created, 0 updated, 2 unchanged, 1 rejected" in second.stdout
    assert "Generated passwords" not in second.stdout
    assert hub.proc.pid == pid and hub.proc.poll() is None  # no restart

    roster_file.write_text("cli-three\n")
    third = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stderr
    assert "Generated passwords (shown once):\nusername,password\ncli-three," in third.stdout


def test_the_cli_says_why_it_could_not_import(hub, tmp_path):
    roster_file = tmp_path / "roster.txt"
    roster_file.write_text("someone\n")
    token_file = tmp_path / "token"
    token_file.write_text("not-a-token")
    result = subprocess.run(
        [LABFLEET, "users", "import", str(roster_file), "--config", str(hub.config_path),
         "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "labfleet: the hub answered 403:" in result.stderr
    missing = subprocess.run(
        [LABFLEET, "users", "import", str(tmp_path / "none.txt"), "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_signup_can_be_turned_off(hub):
    page = requests.get(f"{hub.url}/hub/labfleet/signup", timeout=30)
    assert page.status_code == 404 and "Sign-up is turned off" in page.text
    assert "labfleet/signup" not in requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert labfleet_api(hub, "GET", "/users").json()["signup"] is False
