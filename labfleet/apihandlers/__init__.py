"""labfleet's JSON API under /hub/api/labfleet, one module per resource."""

from . import servers, sessions, volumes

default_handlers = [*servers.default_handlers, *volumes.default_handlers, *sessions.default_handlers]
