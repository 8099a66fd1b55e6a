"""labfleet's JSON API under /hub/api/labfleet, one module per resource."""

from . import (
    activity,
    audit,
    certificates,
    credentials,
    environment,
    events,
    groups,
    notifications,
    rosters,
    servers,
    sessions,
    settings,
    users,
    volumes,
    workshop,
)

default_handlers: list[tuple] = [
    *servers.default_handlers,
    *volumes.default_handlers,
    *sessions.default_handlers,
    *groups.default_handlers,
    *environment.default_handlers,
    *users.default_handlers,
    *rosters.default_handlers,
    *credentials.default_handlers,
    *audit.default_handlers,
    *settings.default_handlers,
    *notifications.default_handlers,
    *activity.default_handlers,
    *events.default_handlers,
    *workshop.default_handlers,
    *certificates.default_handlers,
]

# labfleet's versions of JupyterHub's own routes
hub_overrides = [*users.hub_overrides, *servers.hub_overrides, *groups.hub_overrides]
