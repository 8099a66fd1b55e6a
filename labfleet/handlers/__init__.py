"""labfleet's HTML pages under /hub/labfleet, one module per page family."""

from . import environment, groups, panel, platform, users

default_handlers: list[tuple] = [*groups.default_handlers, *environment.default_handlers]
default_handlers += platform.default_handlers
default_handlers += users.default_handlers
default_handlers += panel.default_handlers
