"""``labfleet users``: what an operator does to accounts from the hub's machine.

``import FILE`` applies a roster through the running hub's API, not the database: the hub
applies it exactly as its users page does (names, password rules, groups, audit, its own
caches), so nothing needs a restart and nothing writes the database behind the hub's
back; and the hub, which keeps the generated passwords, reveals them once to this command.
The file goes as it is (its bytes): the hub finds its encoding and delimiter, as for the
page. ``--preview`` shows what an import would do and changes nothing; ``undo-import ID``
deletes the users and groups that import made.

``unlock NAME`` and ``reset-password NAME`` are the way back for a locked-out admin, or one
who lost the password, who has no token to call the API with: they change the database
(read at every login, so the running hub sees it at once) and say so in the audit log.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import configfile
from ..hub_client import HubError, hub_api, post, read_token
from ..scopes import ADMIN_USERS
from .credentials import framed
from .roster import ROLES
from .roster_files import RosterFileError, decode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STATUSES = ("created", "updated", "unchanged", "rejected")
ON_THE_MACHINE = "labfleet (on the hub's machine)"


def add_hub_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--url", help="the hub's address (default: hub.bind_url of labfleet.yaml)")
    parser.add_argument(
        "--token-file", type=Path,
        help="file holding an API token with the admin:users scope (default: ask for it)",
    )  # fmt: skip
    return parser


def roles(text: str) -> list[str]:
    """``--columns``: a role (or ``-``: ignored) for each column, comma-separated."""
    given = ["" if role.strip() == "-" else role.strip() for role in text.split(",")]
    unknown = [role for role in given if role and role not in ROLES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown role {unknown[0]!r}: give one of {', '.join(ROLES)} or - for each column"
        )
    return given


def add_parser(sub: argparse._SubParsersAction, with_config: Callable) -> None:
    users = sub.add_parser("users", help="manage the users of the running hub")
    actions = users.add_subparsers(dest="action", required=True)
    imp = with_config(actions.add_parser("import", help="create or update users from a roster"))
    imp.add_argument(
        "file", type=Path,
        help="a CSV with a header row, as a spreadsheet or a registrar exports it (any "
        "encoding; commas, semicolons or tabs), or lines username[:password],group...",
    )  # fmt: skip
    add_hub_options(imp)
    imp.add_argument(
        "--preview", action="store_true",
        help="show what the import would do, with how the file is read; change nothing",
    )  # fmt: skip
    imp.add_argument(
        "--columns", type=roles, metavar="ROLE,ROLE,...",
        help=f"each column's role, in order: {', '.join(ROLES)} or - (ignored); default: "
        "from the header row",
    )  # fmt: skip
    imp.add_argument(
        "--header", action=argparse.BooleanOptionalAction,
        help="whether the first line names the columns (default: found out)",
    )  # fmt: skip
    imp.add_argument(
        "--names-from-emails", action="store_true",
        help="a line without a user name gets the part of its e-mail address before @",
    )  # fmt: skip
    imp.add_argument(
        "--csv", type=Path, help="write the generated passwords there (default: print them)"
    )
    imp.add_argument(
        "--must-change-password", action="store_true",
        help="users given a password by this import choose a new one at their first login",
    )  # fmt: skip
    imp.set_defaults(func=cmd_import)
    undo = with_config(
        actions.add_parser("undo-import", help="delete the users and groups an import made")
    )
    undo.add_argument("id", type=int, help="the import's number, as its report says")
    undo.add_argument(
        "--delete-volumes", action="store_true",
        help="delete the users' volumes too (default: kept for a new user of the same name)",
    )  # fmt: skip
    add_hub_options(undo)
    undo.set_defaults(func=cmd_undo_import)
    unlock = with_config(
        actions.add_parser("unlock", help="unlock an account locked by failed logins")
    )
    unlock.add_argument("name", help="the user name")
    unlock.set_defaults(func=cmd_unlock)
    reset = with_config(
        actions.add_parser(
            "reset-password", help="give a user (an admin who lost theirs) a new password"
        )
    )
    reset.add_argument("name", help="the user name")
    reset.add_argument(
        "--must-change-password", action="store_true",
        help="the user chooses a new password at their next login",
    )  # fmt: skip
    reset.set_defaults(func=cmd_reset_password)


@contextmanager
def hub_database(args: argparse.Namespace) -> Iterator[tuple[Any, Session]]:
    """The hub (its settings, not started) and its database, for the commands that change
    it on the hub's machine; HubError when there is none or it cannot be used."""
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from ..app import LabFleet

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    url = make_url(app.db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise HubError(
            f"there is no hub database at {url.database}: give the hub's labfleet.yaml "
            "with --config (and --data-dir if it has one elsewhere)"
        )
    try:
        with Session(create_engine(app.db_url)) as db:
            yield app, db
    except SQLAlchemyError as e:
        raise HubError(f"cannot use the hub's database: {getattr(e, 'orig', None) or e}") from None


def cmd_unlock(args: argparse.Namespace) -> int:
    from .. import audit
    from . import lockout

    name = unicodedata.normalize("NFC", args.name).lower()  # as the hub normalizes names
    try:
        with hub_database(args) as (_, db):
            if not lockout.forget(db, name):
                print(f"{name} is not locked (no failed logins)")
                return 0
            db.commit()
            audit.record(db, actor=ON_THE_MACHINE, action="user.unlock", target=name)
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    print(f"Unlocked {name}: it can log in again.")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    """0: a new password, printed; 2: no such user, no hub here, or it keeps no passwords."""
    try:
        name, password = reset_password(args)
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    then = "choose their own at the next login" if args.must_change_password else "keep it"
    shown = [
        f"A new password for {name} (shown once):",
        f"  username: {name}",
        f"  password: {password}",
        f"The old one no longer works; they {then}.",
    ]
    print(framed(shown))
    return 0


def reset_password(args: argparse.Namespace) -> tuple[str, str]:
    """Give ``args.name`` a generated password in the hub's database: (name, password)."""
    from jupyterhub import orm

    from .. import audit
    from . import passwords
    from .authenticator import LabFleetAuthenticator

    with hub_database(args) as (app, db):
        if not issubclass(app.authenticator_class, LabFleetAuthenticator):
            raise HubError(
                f"this hub's passwords are kept by {app.authenticator_class.__name__}, not "
                "labfleet: reset it there"
            )
        authenticator = LabFleetAuthenticator(config=app.config, db=db)
        name = authenticator.normalize_username(args.name)
        has_account = authenticator.get_user(name) is not None
        if not has_account and orm.User.find(db, name) is None:
            raise HubError(f"this hub has no user {name}")
        password = passwords.generate()
        # a suspended account stays suspended; a hub user without a password may log in
        authenticator.store_password(
            name, passwords.hash_password(password), authorized=None if has_account else True
        )
        if args.must_change_password:
            authenticator.account(name).must_change_password = True
            db.commit()
        audit.record(
            db, actor=ON_THE_MACHINE, action="password.reset", target=name, generated=True,
            must_change_password=authenticator.must_change_password(name),
        )  # fmt: skip
    return name, password


def report_lines(report: dict) -> list[str]:
    rows = sorted(
        (
            item["line"],
            status,
            item.get("username") or item["text"],
            item.get("detail") or item.get("reason", ""),
        )
        for status in STATUSES
        for item in report[status]
    )
    width = max((len(who) for _, _, who, _ in rows), default=0)
    lines = [
        f"line {line:>4}  {status:9}  {who:{width}}  {detail}".rstrip()
        for line, status, who, detail in rows
    ]
    lines.append(", ".join(f"{len(report[s])} {s}" for s in STATUSES))
    if report["groups_created"]:
        lines.append(f"Created the group(s) {', '.join(report['groups_created'])}")
    return lines


def file_lines(name: str, file: dict) -> list[str]:
    """How the hub read the file: encoding, delimiter, each column's role."""
    how = "typed lines" if file["typed"] else f"columns separated by {file['delimiter']}s"
    encoding = f"{file['encoding']}, " if file.get("encoding") else ""
    lines = [f"{name}: {encoding}{how}"]
    for number, column in enumerate(file["columns"], start=1):
        role = column["role"].replace("_", " ") or "ignored"
        lines.append(f"  column {number}: {column['label']} -> {role}")
    if file["problem"]:
        lines.append(f"note: {file['problem']} (--columns ROLE,..., or --names-from-emails)")
    return lines


def preview_lines(answer: dict) -> list[str]:
    rows = sorted(
        [(item["line"], what, item["username"], item["name"])
         for what, key in (("new", "create"), ("existing", "existing")) for item in answer[key]]
        + [(item["line"], "rejected", item["text"], item["reason"]) for item in answer["rejected"]]
    )  # fmt: skip
    width = max((len(who) for _, _, who, _ in rows), default=0)
    lines = [f"line {line:>4}  {what:9}  {who:{width}}  {detail}".rstrip()
             for line, what, who, detail in rows]  # fmt: skip
    lines.append(
        f"{len(answer['create'])} new, {len(answer['existing'])} existing, "
        f"{len(answer['rejected'])} rejected"
        + (f"; groups to create: {', '.join(answer['groups_created'])}"
           if answer["groups_created"] else "")  # fmt: skip
    )
    lines.append("Nothing was changed (a preview).")
    return lines


def credentials_csv(credentials: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", "password"])
    writer.writerows([c["username"], c["password"]] for c in credentials)
    return out.getvalue()


def import_body(args: argparse.Namespace, data: bytes) -> dict:
    body = {
        "file": base64.b64encode(data).decode(),
        "filename": args.file.name,
        "names_from_emails": args.names_from_emails,
        "must_change_password": args.must_change_password,
        "preview": args.preview,
    }
    if args.columns is not None:
        body["columns"] = args.columns
    if args.header is not None:
        body["header"] = args.header
    return body


def cmd_import(args: argparse.Namespace) -> int:
    """0: every line applied (or previewed); 1: some lines rejected; 2: nothing done."""
    try:
        data = args.file.read_bytes()
        decode(data)  # a file that is no roster is refused here, before asking for a token
    except OSError as e:
        print(f"labfleet: cannot read {args.file}: {e.strerror}", file=sys.stderr)
        return 2
    except RosterFileError as e:
        print(f"labfleet: cannot import {args.file}: {e}", file=sys.stderr)
        return 2
    try:
        api = hub_api(Path(args.config), args.url)
        token = read_token(args.token_file, ADMIN_USERS)
        report = post(f"{api}/users/import", token, import_body(args, data))
        credentials = (
            post(f"{api}/credentials", token, {"usernames": report["generated"]})["credentials"]
            if report.get("generated")
            else []
        )
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    print("\n".join(file_lines(args.file.name, report["file"])))
    if args.preview:
        print("\n".join(preview_lines(report)))
        return 1 if report["rejected"] else 0
    print("\n".join(report_lines(report)))
    if report["import"]:
        print(f"Undo this import (delete the {len(report['import']['users'])} user(s) and "
              f"{len(report['import']['groups'])} group(s) it made): "
              f"labfleet users undo-import {report['import']['id']}")  # fmt: skip
    if credentials:
        text = credentials_csv(credentials)
        if args.csv:
            configfile.write_private(args.csv, text)
            print(f"Wrote the {len(credentials)} generated password(s) to {args.csv}")
        else:
            print(f"\nGenerated passwords (shown once):\n{text}", end="")
    return 1 if report["rejected"] else 0


def cmd_undo_import(args: argparse.Namespace) -> int:
    """0: undone; 1: some users could not be deleted; 2: nothing done."""
    try:
        api = hub_api(Path(args.config), args.url)
        token = read_token(args.token_file, ADMIN_USERS)
        answer = post(
            f"{api}/users/imports/{args.id}/undo", token, {"delete_volumes": args.delete_volumes}
        )
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    print(answer["message"])
    for failure in answer["failed"]:
        print(f"  {failure['name']}: {failure['reason']}")
    return 1 if answer["failed"] else 0
