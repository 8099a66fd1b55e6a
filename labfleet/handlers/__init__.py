"""labfleet's HTML pages under /hub/labfleet, one module per page family."""

default_handlers: list[tuple] = []
