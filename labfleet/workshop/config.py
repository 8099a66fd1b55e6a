"""Settings of workshop mode (the ``workshop`` section of labfleet.yaml)."""

from __future__ import annotations

from traitlets import Bool, Integer, Unicode
from traitlets.config import Configurable


class Workshop(Configurable):
    """Notebook-save events, the instructor dashboard and handing out material."""

    enabled = Bool(
        False,
        help="Servers send an event with the notebook's content to the hub at every save "
        "(the instructor dashboard shows them). Off: no server sends any.",
    ).tag(config=True)

    instructors_group = Unicode(
        "instructors",
        help="Members of this group (made if missing) see every participant's notebooks on "
        "the workshop dashboard and hand out material, as admins do.",
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
