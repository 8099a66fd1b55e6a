"""labfleet's HTML pages under /hub/labfleet, one module per page family."""

from . import panel

default_handlers: list[tuple] = [*panel.default_handlers]
