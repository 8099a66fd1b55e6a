"""The send buffer of Unix sockets, where users' servers answer the proxy.

Linux gives a new Unix socket ``net.core.wmem_default`` bytes of send buffer (208 KB by
default, against TCP's autotuned megabytes on loopback): a server's 2 MB answer then reaches
the proxy in ten pieces, each waiting for the proxy to read the one before. As root, the hub
raises that default at its start (never lowers it).
"""

from __future__ import annotations

from pathlib import Path

WMEM_DEFAULT = Path("/proc/sys/net/core/wmem_default")


def raise_default(wanted: int, setting: Path = WMEM_DEFAULT) -> int | None:
    """Raise the default send buffer to ``wanted`` bytes if it is lower; the earlier value
    when it was raised, None otherwise. OSError if it cannot be written. Blocking."""
    current = int(setting.read_text())
    if current >= wanted:
        return None
    setting.write_text(str(wanted))
    return current
