"""``labfleet users``: what an operator does to accounts from the hub's machine.

``import FILE`` applies a roster through the running hub's API, not the database: the hub
applies it exactly as its users page does (names, password rules, groups, audit, its own
caches), so nothing needs a restart and nothing writes the database behind the hub's
back; and the hub, which keeps the generated passwords, reveals them once to this command.

``unlock NAME`` is the way back for a locked-out admin, who has no token to call the API
with: it clears the failed logins in the database (read at every login, so the running
hub sees it at once) and says so in the audit log.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from .. import configfile
from ..hub_client import HubError, hub_api, post, read_token
from ..scopes import ADMIN_USERS

STATUSES = ("created", "updated", "unchanged", "rejected")


def add_parser(sub: argparse._SubParsersAction, with_config: Callable) -> None:
    users = sub.add_parser("users", help="manage the users of the running hub")
    actions = users.add_subparsers(dest="action", required=True)
    imp = with_config(actions.add_parser("import", help="create or update users from a roster"))
    imp.add_argument(
        "file", type=Path,
        help="lines username[:password][,group...], or a spreadsheet's CSV with a header row",
    )  # fmt: skip
    imp.add_argument("--url", help="the hub's address (default: hub.bind_url of labfleet.yaml)")
    imp.add_argument(
        "--token-file", type=Path,
        help="file holding an API token with the admin:users scope (default: ask for it)",
    )  # fmt: skip
    imp.add_argument(
        "--csv", type=Path, help="write the generated passwords there (default: print them)"
    )
    imp.add_argument(
        "--must-change-password", action="store_true",
        help="users given a password by this import choose a new one at their first login",
    )  # fmt: skip
    imp.set_defaults(func=cmd_import)
    unlock = with_config(
        actions.add_parser("unlock", help="unlock an account locked by failed logins")
    )
    unlock.add_argument("name", help="the user name")
    unlock.set_defaults(func=cmd_unlock)


def cmd_unlock(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from .. import audit
    from ..app import LabFleet
    from ..db.models import Account

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    name = unicodedata.normalize("NFC", args.name).lower()  # as the hub normalizes names
    with Session(create_engine(app.db_url)) as db:
        row = db.get(Account, name)
        if row is None or not row.failed_logins:
            print(f"{name} is not locked (no failed logins)")
            return 0
        row.failed_logins = 0
        db.commit()
        audit.record(db, actor="labfleet (on the hub's machine)", action="user.unlock", target=name)
    print(f"Unlocked {name}: it can log in again.")
    return 0


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


def credentials_csv(credentials: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", "password"])
    writer.writerows([c["username"], c["password"]] for c in credentials)
    return out.getvalue()


def cmd_import(args: argparse.Namespace) -> int:
    """0: every line applied; 1: some lines rejected; 2: nothing done."""
    try:
        roster = args.file.read_text()
    except OSError as e:
        print(f"labfleet: cannot read {args.file}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        api = hub_api(Path(args.config), args.url)
        token = read_token(args.token_file, ADMIN_USERS)
        body = {"roster": roster, "must_change_password": args.must_change_password}
        report = post(f"{api}/users/import", token, body)
        credentials = (
            post(f"{api}/credentials", token, {"usernames": report["generated"]})["credentials"]
            if report["generated"]
            else []
        )
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    print("\n".join(report_lines(report)))
    if credentials:
        text = credentials_csv(credentials)
        if args.csv:
            configfile.write_private(args.csv, text)
            print(f"Wrote the {len(credentials)} generated password(s) to {args.csv}")
        else:
            print(f"\nGenerated passwords (shown once):\n{text}", end="")
    return 1 if report["rejected"] else 0
