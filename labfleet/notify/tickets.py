"""Tickets: the credential with which the hub delivers one notification to one server.

Each start of a user's server has a key of its own, derived from the hub's notification
secret and a random nonce of that start, which the hub keeps in the spawner's state (so
that it still reaches the servers it adopts after a restart) and forgets when the server
stops: the key of a previous start, or of a deleted user of the same name, admits nothing.
The server gets its key in a file of its socket's folder (``KEY_FILE``, mode 0600, which it
reads and deletes as it starts), never in its environment, which /proc/PID/environ shows
to every process of the account (the Kubernetes backend, whose servers have no such
folder, still passes it in the environment). A ticket is an HMAC with that key of the
request's path, the digest of its body and an expiry: it lets its bearer post that one
message to that one server's ingest route until it expires, and nothing else.

Only the standard library here: every user's server imports this module.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import MutableMapping

SCHEME = "labfleet-notify"
KEY_FILE = "notify.key"  # in the server's socket folder: its key, in hex
KEY_FILE_ENVIRONMENT = "LABFLEET_NOTIFY_KEY_FILE"  # that file, as the server sees it
KEY_ENVIRONMENT = "LABFLEET_NOTIFY_KEY"  # the key itself, where there is no such folder
INGEST = "jupyterlab-notifications-extension/ingest"  # the extension's route, below a server


def hub_secret(cookie_secret: bytes) -> bytes:
    """The secret servers' keys derive from, derived in turn from the hub's cookie secret:
    the same wherever the hub runs with that secret (a hub pod restarted on Kubernetes
    included), and changed with it."""
    return hmac.new(cookie_secret, b"labfleet notification tickets", hashlib.sha256).digest()


def server_key(secret: bytes, nonce: str) -> bytes:
    """The key of the server start whose nonce is ``nonce``."""
    return hmac.new(secret, b"labfleet-notify-start\0" + nonce.encode(), hashlib.sha256).digest()


def take_key(environ: MutableMapping[str, str]) -> bytes:
    """In the server, as it starts: its key, read from the file the hub wrote (deleted once
    read) or from ``environ``; both taken out of ``environ``, which kernels inherit."""
    path, key = environ.pop(KEY_FILE_ENVIRONMENT, ""), environ.pop(KEY_ENVIRONMENT, "")
    if path:
        try:
            with open(path) as file:
                key = file.read().strip()
            os.unlink(path)
        except OSError:
            key = ""  # not written (a failed start): no ticket is admitted
    try:
        return bytes.fromhex(key)
    except ValueError:
        return b""


def _signature(key: bytes, path: str, body: bytes, expires: int) -> str:
    digest = hashlib.sha256(body).hexdigest()
    signed = f"{expires}\n{path}\n{digest}".encode()
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def sign(key: bytes, path: str, body: bytes, lifetime: int, now: float | None = None) -> str:
    """The Authorization header that carries ``body`` to ``path`` for ``lifetime`` seconds."""
    expires = int((time.time() if now is None else now) + lifetime)
    return f"{SCHEME} {expires}.{_signature(key, path, body, expires)}"


def expiry(header: str) -> int:
    """When the ticket in ``header`` expires (0 if it is malformed)."""
    expires = header.partition(" ")[2].strip().partition(".")[0]
    return int(expires) if expires.isdigit() else 0


def check(key: bytes, header: str, path: str, body: bytes, now: float | None = None) -> str | None:
    """Why ``header`` does not admit ``body`` to ``path`` (None: it does)."""
    scheme, _, ticket = header.partition(" ")
    if scheme != SCHEME:
        return "not a labfleet notification ticket"
    signature = ticket.strip().partition(".")[2]
    expires = expiry(header)
    if not expires:
        return "malformed ticket"
    if expires < (time.time() if now is None else now):
        return "expired ticket"
    if not hmac.compare_digest(signature, _signature(key, path, body, expires)):
        return "wrong signature"
    return None
