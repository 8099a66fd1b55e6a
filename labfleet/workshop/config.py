"""Settings of workshop mode (the ``workshop`` section of labfleet.yaml)."""

from __future__ import annotations

from typing import ClassVar

from traitlets import Bool, Enum, Integer, List, Unicode
from traitlets.config import Configurable

from ..db.models import Material, MaterialResult, StandingMaterial, WorkshopEvent
from ..db.user_rows import UserColumn
from ..scopes import INSTRUCTOR_PAGES


class Workshop(Configurable):
    """Notebook-save events, the instructor dashboard and handing out material."""

    # a participant's saves and where material reached them; who handed it out, to whom,
    # and who withdrew it, stay in its record
    user_rows: ClassVar = (
        UserColumn(WorkshopEvent),
        UserColumn(MaterialResult),
        UserColumn(Material, "actor", keyed="record"),
        UserColumn(Material, "recipients", keyed="record"),
        UserColumn(StandingMaterial, "withdrawn_by", keyed="record"),
    )

    enabled = Bool(
        False,
        help="Servers send an event with the notebook's content to the hub at every save "
        "(the instructor dashboard shows them). Off: no server sends any. Turned on or off "
        "(on the workshop page, or here and the hub restarted), running servers follow "
        "within seconds, without a restart.",
    ).tag(config=True)

    instructors_group = Unicode(
        "instructors",
        help="Members of this group (made if missing) see every participant's notebooks on "
        "the workshop dashboard and hand out material, as admins do.",
    ).tag(config=True)

    instructor_pages = List(
        Enum(sorted(INSTRUCTOR_PAGES)),
        help="Platform pages the instructors get beside the workshop's, e.g. [activity, "
        "notifications]: the activity of every user and their servers' use, and broadcasting "
        "to users' servers, as admins have them (with or without workshop mode).",
    ).tag(config=True)

    participants_group = Unicode(
        "",
        help="The group whose members are the participants (empty: every user who is neither "
        "an admin nor an instructor).",
    ).tag(config=True)

    content_limit_kb = Integer(
        2048,
        min=0,
        help="A saved notebook larger than this many KiB is reported without its content "
        "(the event says why); 0: events never carry content.",
    ).tag(config=True)

    events_per_minute = Integer(
        60,
        min=0,
        help="Events one user's servers may send the hub in a minute; more are refused (HTTP "
        "429, saying when to try again) until older ones leave the minute (0: no limit).",
    ).tag(config=True)

    events_kb_per_minute = Integer(
        20480,
        min=0,
        help="KiB of events (their request bodies) one user's servers may send the hub in a "
        "minute; once reached, more are refused (HTTP 429) until older ones leave the minute "
        "(0: no limit).",
    ).tag(config=True)

    keep_saves = Integer(
        50,
        min=1,
        help="Saves of one notebook of one participant that keep their content; older ones "
        "keep their time and size only (the dashboard compares a save with the one before).",
    ).tag(config=True)

    tail_cells = Integer(10, min=1, help="Cells of a notebook's tail on the dashboard.").tag(
        config=True
    )

    tail_lines = Integer(
        25, min=1, help="Lines each output of a tail cell is trimmed to on the dashboard."
    ).tag(config=True)

    autosave_seconds = Integer(
        0,
        min=0,
        help="JupyterLab's autosave interval in participants' servers, in seconds, so that the "
        "dashboard follows their work (0: JupyterLab's own default, 120).",
    ).tag(config=True)

    material_limit_kb = Integer(
        20480, min=1, help="Largest total size, in KiB, of the files handed out at once."
    ).tag(config=True)
