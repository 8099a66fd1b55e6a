"""Every RBAC scope labfleet names: its own custom scopes and the JupyterHub scopes it accepts.

Users hold labfleet's per-user scopes for themselves (JupyterHub's ``extra_user_scopes``);
``admin:servers`` grants every labfleet route on a user, for every user.
"""

from __future__ import annotations

from collections.abc import Sequence

RESTART = "custom:labfleet:restart"
VOLUMES = "custom:labfleet:volumes"
SESSION = "custom:labfleet:session"
LOGS = "custom:labfleet:logs"
PASSWORD = "custom:labfleet:password"
ENVIRONMENT = "custom:labfleet:environment"
USAGE = "custom:labfleet:usage"
EVENTS_READ = "custom:labfleet:events:read"
EVENTS_WRITE = "custom:labfleet:events:write"

# JupyterHub custom_scopes definitions
CUSTOM_SCOPES = {
    RESTART: {"description": "Restart a user's running server in place."},
    VOLUMES: {"description": "List and reset a user's volumes."},
    SESSION: {"description": "Read and extend a user's idle-culling session."},
    LOGS: {"description": "Read what a user's server printed."},
    PASSWORD: {"description": "Change a user's own password, knowing the current one."},
    ENVIRONMENT: {"description": "Read and set a user's own environment variables."},
    USAGE: {"description": "Read what a user's server uses (memory, processes) and its limits."},
    EVENTS_READ: {"description": "Read a user's workshop events (notebook saves) and notebooks."},
    EVENTS_WRITE: {"description": "Record workshop events (notebook saves) of a user."},
}

# every user holds these for their own server (JupyterHub's extra_user_scopes)
USER_SCOPES = [f"{scope}!user" for scope in CUSTOM_SCOPES]

# the platform pages (audit log, settings): not per user, so not among USER_SCOPES;
# holders of ADMIN_USERS (JupyterHub's admins) may use them all
AUDIT = "custom:labfleet:audit"
SETTINGS = "custom:labfleet:settings"
NOTIFY = "custom:labfleet:notify"
ACTIVITY = "custom:labfleet:activity"
WORKSHOP = "custom:labfleet:workshop"
PLATFORM_SCOPES = {
    AUDIT: {"description": "Read the audit log."},
    SETTINGS: {"description": "Read the platform's settings (secrets masked) and GPU status."},
    NOTIFY: {"description": "Broadcast notifications to users' servers and read their history."},
    ACTIVITY: {
        "description": "Read users' activity and their servers' resource use; sample and reset."
    },
    WORKSHOP: {
        "description": "Follow the participants' notebooks of a workshop and hand out material."
    },
}


def server_role() -> dict:
    """JupyterHub's role of servers' own tokens, with their user's workshop events added."""
    from jupyterhub.roles import get_default_roles

    (role,) = [r for r in get_default_roles() if r["name"] == "server"]
    return {
        **role,
        "description": "Post activity, and the user's workshop events",
        "scopes": [*role["scopes"], f"{EVENTS_WRITE}!user"],
    }


# the platform pages a setting may give the instructors (workshop.instructor_pages)
INSTRUCTOR_PAGES = {"activity": ACTIVITY, "notifications": NOTIFY}


def instructor_role(group: str, workshop: bool = True, pages: Sequence[str] = ()) -> dict:
    """The role of the instructors: with ``workshop`` (workshop mode), every participant's
    notebooks and hand-outs; and the pages ``pages`` names (INSTRUCTOR_PAGES)."""
    own = [WORKSHOP, "list:users", "read:users:name", "read:servers"] if workshop else []
    what = ["follow the participants' notebooks and hand out material"] if workshop else []
    what += [f"use the {page} page" for page in pages]
    return {
        "name": "labfleet-instructor",
        "description": f"Instructors: {'; '.join(what)}.",
        "scopes": [*own, *(INSTRUCTOR_PAGES[page] for page in pages)],
        "groups": [group],
    }


# JupyterHub's own scopes that labfleet's routes accept
ADMIN_SERVERS = "admin:servers"  # every labfleet route on a user, for that user
ADMIN_USERS = "admin:users"  # accounts; and the platform pages
ADMIN_GROUPS = "admin:groups"  # groups and their labfleet properties
DELETE_USERS = "delete:users"
DELETE_GROUPS = "delete:groups"
START_SERVERS = "start:servers"  # start a user's servers (JupyterHub's own route)
DELETE_SERVERS = "delete:servers"  # stop them

# what a holder of a scope may do, in the words of a page that refuses a user
WORDS = {
    ADMIN_SERVERS: "manage everyone's servers",
    ADMIN_USERS: "manage the hub's users",
    ADMIN_GROUPS: "manage groups",
    DELETE_USERS: "delete users",
    DELETE_GROUPS: "delete groups",
    START_SERVERS: "start servers",
    DELETE_SERVERS: "stop servers",
}


def in_words(scope: str) -> str:
    """What holding ``scope`` lets one do, e.g. "read the audit log"."""
    if scope in WORDS:
        return WORDS[scope]
    description = {**CUSTOM_SCOPES, **PLATFORM_SCOPES}.get(scope, {}).get("description")
    if description is None:
        return f"use {scope}"
    return description[0].lower() + description[1:].rstrip(".")
