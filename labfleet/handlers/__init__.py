"""labfleet's HTML pages under /hub/labfleet, one module per page family."""

from . import audit, branding, environment, groups, panel, settings, users

default_handlers: list[tuple] = [
    *groups.default_handlers,
    *environment.default_handlers,
    *settings.default_handlers,
    *audit.default_handlers,
    *branding.default_handlers,
    *users.default_handlers,
    *panel.default_handlers,
]
