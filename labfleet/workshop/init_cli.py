"""``labfleet workshop init``: labfleet.yaml set up for a workshop, and the steps to run it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import configfile

AUTOSAVE_SECONDS = 30


def preset(instructors_group: str, instructors: list[str]) -> dict[str, dict[str, Any]]:
    """The keys a workshop sets: save events, frequent autosaves, no culling while it runs."""
    values: dict[str, dict[str, Any]] = {
        "workshop": {
            "enabled": True,
            "autosave_seconds": AUTOSAVE_SECONDS,
            "instructors_group": instructors_group,
        },
        "culling": {"enabled": False},
    }
    if instructors:
        values["hub"] = {"load_groups": {instructors_group: {"users": instructors}}}
    return values


def merged(data: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``data`` with ``values`` set in it (other keys kept)."""
    result = {section: dict(keys or {}) for section, keys in data.items()}
    for section, keys in values.items():
        result.setdefault(section, {}).update(keys)
    return result


def add_parser(sub: argparse._SubParsersAction, with_config: Callable) -> None:
    workshop = sub.add_parser("workshop", help="workshop mode: notebook events, instructors")
    actions = workshop.add_subparsers(dest="action", required=True)
    init = with_config(
        actions.add_parser("init", help="set labfleet.yaml up for a workshop and print the steps")
    )
    init.add_argument(
        "--instructor", action="append", default=[],
        help="a user who follows the participants' work (repeatable); their account is made as any other (a roster, the People page)",
    )  # fmt: skip
    init.add_argument(
        "--instructors-group",
        default="instructors",
        help="the instructors' group (default: %(default)s)",
    )
    init.add_argument("--roster", type=Path, help="the participants' roster, for the steps printed")
    init.set_defaults(func=cmd_workshop)


def cmd_workshop(args: argparse.Namespace) -> int:
    from ..app import LabFleet

    path = Path(args.config)
    if args.roster is not None and not args.roster.is_file():
        print(f"labfleet: no roster at {args.roster}: give the file of the participants "
              "(lines name[,group...] or a CSV with a header row)", file=sys.stderr)  # fmt: skip
        return 2
    values = preset(args.instructors_group, args.instructor)
    configfile.write(path, merged(configfile.read(path), values), LabFleet.section_table())
    roster = str(args.roster) if args.roster else "participants.csv"
    config = f" --config {path}" if getattr(args, "config_given", False) else ""
    for section, keys in values.items():
        for key, value in keys.items():
            print(f"{path}: {section}.{key} = {value!r}")
    print(
        "\n".join(
            [
                "",
                "Next:",
                f"  1. labfleet up{config}                        start (or restart) the hub",
                f"  2. labfleet users import {roster}{config} --csv passwords.csv",
                "                                              the participants, with passwords to hand out",
                f"  3. instructors: members of the group {args.instructors_group!r}"
                + (f" ({', '.join(args.instructor)})" if args.instructor else
                   " (add them on the Groups page, or again with --instructor NAME)"),
                "  4. open /hub/labfleet/workshop: every participant's notebooks as they save them;",
                "     hand out material there",
                "  5. afterwards: labfleet config set workshop.enabled false, and culling.enabled true",
            ]
        )
    )  # fmt: skip
    return 0
