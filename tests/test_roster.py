"""Roster import: files as registrars export them (any encoding, delimiter and columns),
previewed, imported through the API and `labfleet users import` against the running hub
(line by line, idempotent; bad lines are reported and never block the good ones), undone."""

from __future__ import annotations

import base64
import codecs
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
from labfleet.auth.roster_files import RosterFileError, decode
from labfleet.groups import names as group_names

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
    parsed = roster.parse(
        "A:p\n\nb\n#c\nA\nB\n:x\nd,\n e : ff , g \n",
        str.lower,
        lambda name: None,
        lambda name, password: "too short" if len(password) < 2 else None,
        group_names.problem,
    )
    entries, rejected = parsed.entries, parsed.rejected
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
    parsed = parse(exported)
    assert [(e.line, e.username, e.password, e.groups) for e in parsed.entries] == [
        (2, "kim", "pass,with,commas", ("physics", "lab-a", "lab-b")),
        (3, "lee", None, ("physics",)),
        (4, "al", None, ()),
    ]
    assert parsed.rejected == []
    typed = parse('"ada","math","cs"\nbo,a/b\n')
    assert [(e.username, e.groups) for e in typed.entries] == [("ada", ("math", "cs"))]
    assert [(r.text, r.reason) for r in typed.rejected] == [
        ("bo,a/b", f"invalid group name 'a/b': {group_names.RULE} (e.g. 'a-b')")
    ]


# -- files as registrars export them ---------------------------------------------------------

# a registrar's export as Excel writes it on a Western Windows: Windows-1252, ";" between
# columns (a comma is the decimal sign there), CRLF, extra columns, an empty row
REGISTRAR = (
    "Student ID;Login;First name;Last name;E-Mail;Group;Faculty\r\n"
    "1001;renée.l;Renée;Laurent;renee.laurent@uni.example;physics;Sciences\r\n"
    "1002;bjørn;Bjørn;Ødegård;bjorn@uni.example;Physik-Übung;Sciences\r\n"
    ";;;;;;\r\n"
    "1003;zoë;Zoë;Brontë;zoe@uni.example;physics, lab-1;Arts\r\n"
).encode("cp1252")
# Excel's "Unicode text": UTF-16 with a byte order mark, tabs, headers in another order
UNICODE_TEXT = (
    "email\tgroups\tfull name\tusername\tnotes\n"
    "ada@uni.example\tmaths\tAda Lovelace\tada.l\tfirst year\n"
    "alan@uni.example\tmaths\tAlan Turing\tturing\t\n"
).encode("utf-16")
TEXT = UNICODE_TEXT.decode("utf-16")


def parse(text: str, **options) -> roster.Roster:
    return roster.parse(
        text, str.lower, lambda name: None, lambda n, p: None, group_names.problem, **options
    )


def rows(parsed: roster.Roster) -> list[tuple]:
    return [(e.line, e.username, e.groups, e.name) for e in parsed.entries]


def test_a_registrars_windows_export_is_read_as_it_was_written():
    decoded = decode(REGISTRAR)
    assert decoded.encoding == "Windows-1252"
    parsed = parse(decoded.text)
    assert rows(parsed) == [
        (2, "renée.l", ("physics",), "Renée Laurent"),
        (3, "bjørn", ("Physik-Übung",), "Bjørn Ødegård"),
        (5, "zoë", ("physics", "lab-1"), "Zoë Brontë"),
    ]
    layout = parsed.layout.to_json()
    assert layout["delimiter"] == "semicolon" and layout["header"] and not layout["typed"]
    assert [c["role"] for c in layout["columns"]] == [
        "", "username", "first_name", "last_name", "email", "group", ""
    ]  # fmt: skip
    assert layout["ignored"] == ["Student ID", "Faculty"]
    assert parsed.rejected == [] and parsed.problem is None


@pytest.mark.parametrize(
    "data, encoding",
    [
        (UNICODE_TEXT, "UTF-16"),
        (TEXT.encode("utf-16-le"), "UTF-16"),  # no byte order mark
        (TEXT.encode("utf-16-be"), "UTF-16"),
        (codecs.BOM_UTF8 + TEXT.encode(), "UTF-8 (with a byte order mark)"),
        (TEXT.encode(), "UTF-8"),
    ],
)
def test_unicode_exports_are_read_whatever_their_encoding(data, encoding):
    decoded = decode(data)
    assert decoded.encoding == encoding
    parsed = parse(decoded.text)
    assert rows(parsed) == [
        (2, "ada.l", ("maths",), "Ada Lovelace"),
        (3, "turing", ("maths",), "Alan Turing"),
    ]
    assert parsed.layout.delimiter == "\t" and parsed.layout.ignored == ["notes"]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"", "the file is empty"),
        (b"\r\n \r\n", "the file is empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", "control characters"),
        (codecs.BOM_UTF8 + b"kim,\xff\xfe\xfd", "not valid UTF-8"),
    ],
)
def test_files_that_are_no_roster_are_refused_with_the_fix(data, words):
    with pytest.raises(RosterFileError) as refused:
        decode(data)
    assert words in str(refused.value)
    if data.strip():
        assert "save it as CSV" in str(refused.value)


def test_names_come_from_e_mails_only_when_asked():
    export = "E-Mail,Surname,Given name\nada.l@uni.example,Lovelace,Ada\nno-address,Turing,Alan\n"
    parsed = parse(export)
    assert parsed.entries == []
    assert parsed.problem.startswith("no column holds user names")
    assert "make the names from the e-mail addresses" in parsed.problem
    assert [r.reason for r in parsed.rejected] == ["no user name"] * 2
    asked = parse(export, names_from_emails=True)
    assert rows(asked) == [(2, "ada.l", (), "Ada Lovelace")]
    assert [(r.line, r.reason) for r in asked.rejected] == [
        (3, "no user name (its e-mail address holds no @)")
    ]


def test_the_admin_maps_columns_a_header_does_not_name():
    export = "Matrikel;Nachname;Kennung;Kurs\n4711;Noether;noether;algebra\n"
    guessed = parse(export)  # nothing known by name: read as typed lines
    assert guessed.layout.roles is None
    as_columns = parse(export, columns=[])  # columns, none chosen yet: the page's menus
    assert as_columns.layout.roles == ("", "", "", "") and as_columns.entries == []
    assert as_columns.problem.endswith("choose the column of user names")
    mapped = parse(export, header=True, columns=["", "last_name", "username", "group"])
    assert rows(mapped) == [(2, "noether", ("algebra",), "Noether")]
    assert mapped.layout.ignored == ["Matrikel"]
    with pytest.raises(roster.RosterError, match="one column at most may be username"):
        parse(export, columns=["username", "username"])
    with pytest.raises(roster.RosterError, match="each one of username"):
        parse(export, columns=["login"])


def test_names_that_look_like_e_mails_wait_for_a_confirmation():
    parsed = parse("username,group\nada@uni.example,physics\nbob,physics\n", email_names=False)
    assert rows(parsed) == [(3, "bob", ("physics",), "")]
    (refused,) = parsed.rejected
    assert refused.looks_like_email and refused.to_json()["looks_like_email"] is True
    assert "looks like an e-mail address" in refused.reason
    confirmed = parse("username,group\nada@uni.example,physics\n", email_names=True)
    assert rows(confirmed) == [(2, "ada@uni.example", ("physics",), "")]


def test_excels_sep_line_and_typed_lines_with_semicolons():
    assert rows(parse("sep=;\nusername;groups\nkim;a,b\n")) == [(3, "kim", ("a", "b"), "")]
    typed = parse("ada:pa;ss,physics\n")  # a tie: the comma separates
    assert [(e.username, e.password, e.groups) for e in typed.entries] == [
        ("ada", "pa;ss", ("physics",))
    ]


# -- a real hub ------------------------------------------------------------------------------


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
        f"invalid group name 'bad/group': {group_names.RULE} (e.g. 'bad-group')",
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


def as_file(data: bytes, filename: str = "class.csv", **body) -> dict:
    return {"file": base64.b64encode(data).decode(), "filename": filename, **body}


def test_a_preview_creates_nothing_and_says_how_the_file_was_read(hub, groups):
    before = set(accounts(hub))
    answer = labfleet_api(hub, "POST", "/users/import", json=as_file(REGISTRAR, preview=True))
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["file"]["encoding"] == "Windows-1252"
    assert preview["file"]["delimiter"] == "semicolon"
    assert preview["file"]["ignored"] == ["Student ID", "Faculty"]
    assert [(c["username"], c["name"], c["groups"], c["password"]) for c in preview["create"]] == [
        ("renée.l", "Renée Laurent", ["physics"], "generated"),
        ("bjørn", "Bjørn Ødegård", ["Physik-Übung"], "generated"),
        ("zoë", "Zoë Brontë", ["physics", "lab-1"], "generated"),
    ]
    assert preview["groups_created"] == ["Physik-Übung", "lab-1"]
    assert set(accounts(hub)) == before
    assert hub.api("GET", "/groups/lab-1").status_code == 404


def test_undo_deletes_what_the_import_made_and_nothing_else(hub, groups):
    hub.create_user("renée.l")  # there before: the import only adds her to physics
    made = labfleet_api(hub, "POST", "/users/import", json=as_file(REGISTRAR)).json()
    assert [u["username"] for u in made["created"]] == ["bjørn", "zoë"]
    assert made["updated"][0]["username"] == "renée.l"
    assert made["groups_created"] == ["Physik-Übung", "lab-1"]
    imported = made["import"]
    assert imported["users"] == ["bjørn", "zoë"] and imported["groups"] == ["Physik-Übung", "lab-1"]
    assert login_status(hub, "zoë", reveal(hub, "zoë")["zoë"])[0] == 302
    # since then: zoë renamed (still the import's), bjørn deleted and a new bjørn made (not)
    assert hub.api("PATCH", "/users/zoë", json={"name": "zoe.b"}).status_code == 200
    assert hub.api("DELETE", "/users/bjørn").status_code == 204
    hub.create_user("bjørn")
    listed = labfleet_api(hub, "GET", "/users/imports").json()["imports"]
    assert listed[0]["id"] == imported["id"] and listed[0]["users"] == ["zoe.b"]

    undo = labfleet_api(
        hub, "POST", f"/users/imports/{imported['id']}/undo", json={"delete_volumes": True}
    )
    assert undo.status_code == 200, undo.text
    assert undo.json()["users_deleted"] == ["zoe.b"]
    assert undo.json()["groups_deleted"] == ["Physik-Übung", "lab-1"]
    assert undo.json()["message"].startswith(f"Undid import {imported['id']}: deleted 1 user(s)")
    everyone = accounts(hub)
    assert "zoe.b" not in everyone and {"renée.l", "bjørn"} <= set(everyone)
    assert everyone["renée.l"]["groups"] == ["physics"]  # an existing group stays
    assert hub.api("GET", "/groups/lab-1").status_code == 404
    assert hub.api("GET", "/groups/physics").status_code == 200
    again = labfleet_api(
        hub, "POST", f"/users/imports/{imported['id']}/undo", json={"delete_volumes": True}
    )
    assert again.status_code == 409 and "undone already" in again.json()["message"]
    assert ("import " + str(imported["id"]), "ok") in [
        (t, r) for _, t, r, _ in audit_rows(hub, "roster.undo")
    ]
    # and the class can be imported again
    redo = labfleet_api(hub, "POST", "/users/import", json=as_file(REGISTRAR)).json()
    assert [u["username"] for u in redo["created"]] == ["zoë"]


def test_a_mapping_and_names_from_e_mails_are_chosen_by_the_admin(hub):
    export = "Matrikel\tName\tMail\n4711\tEmmy Noether\temmy.n@uni.example\n".encode("utf-16")
    preview = labfleet_api(hub, "POST", "/users/import",
                           json=as_file(export, "noether.txt", preview=True)).json()  # fmt: skip
    assert preview["file"]["problem"].startswith("no column holds user names")
    assert [c["label"] for c in preview["file"]["columns"]] == ["Matrikel", "Name", "Mail"]
    assert preview["create"] == []
    chosen = as_file(export, "noether.txt", preview=True, names_from_emails=True)
    created = labfleet_api(hub, "POST", "/users/import", json=chosen).json()["create"]
    assert [c["username"] for c in created] == ["emmy.n"]
    mapped = as_file(export, "noether.txt", columns=["username", "full_name", ""])
    report = labfleet_api(hub, "POST", "/users/import", json=mapped).json()
    assert [u["username"] for u in report["created"]] == ["4711"]
    assert report["file"]["ignored"] == ["Mail"]


def test_names_that_look_like_e_mails_are_confirmed_first(hub):
    body = {"roster": "username\nkai@uni.example\n", "email_names": False}
    refused = labfleet_api(hub, "POST", "/users/import", json=body).json()
    assert refused["created"] == [] and refused["rejected"][0]["looks_like_email"] is True
    confirmed = labfleet_api(hub, "POST", "/users/import", json={**body, "email_names": True})
    assert [u["username"] for u in confirmed.json()["created"]] == ["kai@uni.example"]


@pytest.mark.parametrize(
    "body, words",
    [
        (as_file(b"PK\x03\x04\x14\x00", "class.xlsx"), "class.xlsx: this is an Excel workbook"),
        ({"file": "not base64!", "filename": "a.csv"}, "a.csv: file is not base64"),
        ({"roster": "kim", "file": "a2lt"}, 'Give the roster as {"roster"'),
        ({"roster": "kim", "columns": "username"}, "Give columns as"),
        ({"roster": "kim", "columns": ["login"]}, "Columns: give at most 100 roles"),
        ({"roster": "kim", "preview": "yes"}, "preview must be true or false"),
    ],
)
def test_bad_files_and_options_answer_400_with_the_fix(hub, body, words):
    answer = labfleet_api(hub, "POST", "/users/import", json=body)
    assert answer.status_code == 400 and words in answer.json()["message"], answer.text


# a second class, for the command line
EXPORT = (
    "Login;Name;E-Mail;Group;Notes\r\n"
    "élodie;Élodie Martin;elodie@uni.example;chemistry;\r\n"
    "søren;Søren Kierkegaard;soren@uni.example;chemistry;late\r\n"
).encode("cp1252")


def run_cli(hub, tmp_path, *args: str) -> subprocess.CompletedProcess:
    token_file = tmp_path / "token"
    token_file.write_text(hub.token)
    return subprocess.run(
        [LABFLEET, "users", *args, "--config", str(hub.config_path), "--token-file",
         str(token_file)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_cli_previews_imports_and_undoes_a_registrars_export(hub, groups, tmp_path):
    export = tmp_path / "registrar.csv"
    export.write_bytes(EXPORT)
    preview = run_cli(hub, tmp_path, "import", str(export), "--preview")
    assert preview.returncode == 0, preview.stderr
    assert "registrar.csv: Windows-1252, columns separated by semicolons" in preview.stdout
    assert "column 2: Name -> full name" in preview.stdout
    assert "column 5: Notes -> ignored" in preview.stdout
    assert "line    2  new        élodie  Élodie Martin" in preview.stdout
    assert "2 new, 0 existing, 0 rejected\nNothing was changed (a preview)." in preview.stdout
    assert "élodie" not in accounts(hub)

    done = run_cli(hub, tmp_path, "import", str(export))
    assert done.returncode == 0, done.stderr
    assert "line    3  created    søren   password generated; added to group chemistry" in (
        done.stdout
    )
    number = labfleet_api(hub, "GET", "/users/imports").json()["imports"][0]["id"]
    assert (
        "Undo this import (delete the 2 user(s) and 0 group(s) it made): "
        f"labfleet users undo-import {number}" in done.stdout
    )
    assert {"élodie", "søren"} <= set(accounts(hub))

    undo = run_cli(hub, tmp_path, "undo-import", str(number))
    assert undo.returncode == 0, undo.stderr
    assert f"Undid import {number}: deleted 2 user(s) and 0 group(s)" in undo.stdout
    assert {"élodie", "søren"}.isdisjoint(accounts(hub))
    assert hub.api("GET", "/groups/chemistry").status_code == 200  # it was there before
    again = run_cli(hub, tmp_path, "undo-import", str(number))
    assert again.returncode == 2 and "undone already" in again.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "content, words",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "this is an Excel workbook (.xlsx)"),
        (b"", "the file is empty"),
    ],
)
def test_the_cli_says_how_to_fix_a_file_that_is_no_roster(tmp_path, content, words):
    workbook = tmp_path / "class.xlsx"
    workbook.write_bytes(content)
    result = subprocess.run(
        [LABFLEET, "users", "import", str(workbook), "--url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"labfleet: cannot import {workbook}: {words}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_windows_file_reaches_the_hub_without_a_traceback(tmp_path):
    roster_file = tmp_path / "roster.txt"
    roster_file.write_bytes("renée.l,physics\n".encode("cp1252"))
    token_file = tmp_path / "token"
    token_file.write_text("a-token")
    result = subprocess.run(
        [LABFLEET, "users", "import", str(roster_file), "--url", "http://127.0.0.1:9",
         "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "labfleet: cannot reach the hub at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_imports_and_their_undo_are_for_admins(hub):
    hub.create_user("nosy")
    token = user_token(hub, "nosy")
    for method, path, body in [
        ("POST", "/users/import", {"roster": "mallory", "preview": True}),
        ("GET", "/users/imports", None),
        ("POST", "/users/imports/1/undo", {"delete_volumes": True}),
    ]:
        answer = labfleet_api(hub, method, path, token=token, json=body)
        assert answer.status_code == 403 and "admin:users" in answer.json()["message"], path
    missing = labfleet_api(hub, "POST", "/users/imports/999/undo", json={"delete_volumes": True})
    assert missing.status_code == 404 and missing.json()["message"] == "No such import: 999"


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
