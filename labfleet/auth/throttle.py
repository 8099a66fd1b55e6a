"""Failed logins counted by where they come from, so one address cannot guess on and on.

Generous on purpose: a class behind one NAT address shares it (the lockout of a name from
one source is :mod:`labfleet.auth.lockout`'s, in the database).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import defaultdict, deque

IPV6_NETWORK = 64  # the prefix one IPv6 client is given: it has all its addresses


def source_of(address: str) -> str:
    """Where a request comes from, as the hub sees its client (the proxy's X-Real-Ip): the
    IPv4 address, or the /64 network of an IPv6 one (an IPv4-mapped one is its IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None and not ip.is_loopback:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_NETWORK}", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


class SourceThrottle:
    """At most ``limit`` attempts (failed logins, sign-ups) from one address per ``window`` s."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, source: str) -> deque[float]:
        failures = self._failures[source]
        now = time.monotonic()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait(self, source: str) -> int:
        """Seconds until ``source`` may try again (0: now)."""
        if not self.limit:
            return 0
        failures = self._recent(source)
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(self.window - (time.monotonic() - failures[0])))

    def count(self, source: str) -> None:
        """One more attempt from ``source``."""
        self._recent(source).append(time.monotonic())
