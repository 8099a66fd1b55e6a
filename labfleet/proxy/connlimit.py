"""Per-account limits on connections to the proxy's ports (nftables, when labfleet runs as
root): one student holding thousands of idle connections leaves the proxy's descriptors to
everyone else. Connections of root (the hub itself) are not counted.

Each data directory has a table of its own, ``inet labfleet_<digest>``, replaced whole at
each hub start (an atomic ``nft -f``) and removed with the proxy.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Sequence

TIMEOUT = 10  # seconds for one nft command


def table_name(data_dir: str) -> str:
    return "labfleet_" + hashlib.sha256(data_dir.encode()).hexdigest()[:10]


def ruleset(table: str, ports: Sequence[int], limit: int) -> str:
    """The table: new connections to ``ports`` past ``limit`` open ones of an account (uid)
    are reset."""
    listed = ", ".join(str(p) for p in sorted(set(ports)))
    return f"""table inet {table} {{
  set per_account {{
    type uid
    size 65535
    flags dynamic
  }}
  chain output {{
    type filter hook output priority filter; policy accept;
    meta skuid 0 accept
    tcp dport {{ {listed} }} ct state new add @per_account {{ meta skuid ct count over {limit} }} counter reject with tcp reset
  }}
}}
"""  # noqa: E501


def available() -> bool:
    return shutil.which("nft") is not None


def _nft(script: str) -> str | None:
    """Run an nft script; its error (None when it worked)."""
    done = subprocess.run(
        ["nft", "-f", "-"], input=script, capture_output=True, text=True, timeout=TIMEOUT
    )
    return done.stderr.strip() or f"nft exited {done.returncode}" if done.returncode else None


def apply(table: str, ports: Sequence[int], limit: int) -> str | None:
    """Put the table in place of any earlier one; the error, if nft refused. Blocking."""
    # declaring the table first makes the delete valid when there is none yet
    return _nft(f"table inet {table}\ndelete table inet {table}\n" + ruleset(table, ports, limit))


def remove(table: str) -> None:
    """Remove the table, if there is one. Blocking."""
    if available():
        _nft(f"table inet {table}\ndelete table inet {table}\n")
