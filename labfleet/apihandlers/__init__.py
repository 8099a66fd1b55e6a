"""labfleet's JSON API under /hub/api/labfleet, one module per resource."""

from . import (
    audit,
    credentials,
    environment,
    groups,
    platform_settings,
    servers,
    sessions,
    users,
    volumes,
)

default_handlers = [*servers.default_handlers, *volumes.default_handlers, *sessions.default_handlers]
default_handlers += [*groups.default_handlers, *environment.default_handlers]
default_handlers += [*users.default_handlers, *credentials.default_handlers]
default_handlers += [*audit.default_handlers, *platform_settings.default_handlers]

# labfleet's versions of JupyterHub's own routes
hub_overrides = users.hub_overrides
