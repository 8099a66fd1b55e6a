"""``labfleet broadcast "message"``: a notification into running JupyterLab sessions, sent
by the running hub (its API), with the result for every recipient."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..hub_client import HubError, hub_api, post, read_token
from ..scopes import NOTIFY
from .messages import TYPES


def add_parser(sub: argparse._SubParsersAction, with_config: Callable) -> None:
    cast = with_config(
        sub.add_parser("broadcast", help="send a notification to users' running JupyterLab")
    )
    cast.add_argument("message", help="the text, at most 140 characters")
    cast.add_argument("--type", default="info", choices=TYPES, help="how it looks (default info)")
    cast.add_argument(
        "--group", action="append", default=[], help="send to this group's members (repeatable)"
    )
    cast.add_argument("--user", action="append", default=[], help="send to this user (repeatable)")
    cast.add_argument(
        "--sticky", action="store_true", help="the notification stays until it is dismissed"
    )
    cast.add_argument("--link", help="an http(s) address the notification offers to open")
    cast.add_argument("--at", help="send at this ISO 8601 time instead of now")
    cast.add_argument("--url", help="the hub's address (default: hub.bind_url of labfleet.yaml)")
    cast.add_argument(
        "--token-file", type=Path,
        help=f"file holding an API token with the {NOTIFY} or admin:servers scope "
        "(default: ask for it)",
    )  # fmt: skip
    cast.set_defaults(func=cmd_broadcast)


def request_body(args: argparse.Namespace) -> dict:
    recipients = (
        {"groups": args.group, "users": args.user} if args.group or args.user else {"all": True}
    )
    body = {
        "message": args.message,
        "type": args.type,
        "auto_close": not args.sticky,
        "recipients": recipients,
    }
    if args.link:
        body["link"] = args.link
    if args.at:
        body["at"] = args.at
    return body


def report_lines(answer: dict) -> list[str]:
    if answer["status"] == "scheduled":
        return [f"Broadcast {answer['id']} is scheduled for {answer['scheduled_for']}"]
    results = answer.get("results", [])
    width = max((len(r["username"]) for r in results), default=0)
    lines = [
        f"{r['username']:{width}}  {'delivered' if r['delivered'] else 'failed':9}  {r['reason']}".rstrip()
        for r in results
    ]
    lines.append(
        f"Broadcast {answer['id']}: delivered to {answer['delivered']}, failed for "
        f"{answer['failed']}, in {answer['seconds'] or 0:.2f} s"
    )
    if not results:
        lines.append("No recipient has a running server.")
    return lines


def cmd_broadcast(args: argparse.Namespace) -> int:
    """0: delivered to every recipient (or scheduled); 1: some failed; 2: nothing sent."""
    try:
        api = hub_api(Path(args.config), args.url)
        token = read_token(args.token_file, NOTIFY)
        answer = post(f"{api}/notifications", token, request_body(args))
    except HubError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2
    print("\n".join(report_lines(answer)))
    return 1 if answer.get("failed") else 0
