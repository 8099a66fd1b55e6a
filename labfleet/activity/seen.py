"""What a user did themselves: the last use of their own credentials, and whose server runs.

JupyterHub's ``last_activity`` of a user also moves when anyone starts or stops their
server, and with what the server reports (its own start, the hub's deliveries to it), so a
student whose server an admin started looked active without ever coming. The activity of a
user's tokens is theirs alone: their browser's session on their server (which the server
checks with the hub every few minutes while it is used) and their API tokens; not the
server's own token, which JupyterHub itself does not count as the user's activity.
"""

from __future__ import annotations

from datetime import datetime

from jupyterhub import orm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..timestamps import utc

# how JupyterHub names a server's own token, and tells its requests from its user's
SERVER_TOKEN_NOTE = "Server at "
CHECKED_AT_MOST = 300  # seconds a server keeps the hub's word on a token (JupyterHub's default)


def check_seconds(window: int) -> int:
    """How long a server keeps the hub's word on its user's credentials (HubOAuth's cache,
    whose checks are what the hub sees of their use): half the activity window at most."""
    return min(CHECKED_AT_MOST, window // 2)


def own_activity(db: Session) -> dict[int, datetime]:
    """The last use of each user's own credentials (aware UTC), for those who used any."""
    last = func.max(orm.APIToken.last_activity)
    rows = db.execute(
        select(orm.APIToken.user_id, last)
        .where(
            orm.APIToken.user_id.isnot(None),
            orm.APIToken.last_activity.isnot(None),
            or_(orm.APIToken.note.is_(None), ~orm.APIToken.note.startswith(SERVER_TOKEN_NOTE)),
        )
        .group_by(orm.APIToken.user_id)
    )
    return {user_id: utc(moment) for user_id, moment in rows}
