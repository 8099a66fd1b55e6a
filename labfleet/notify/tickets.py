"""Tickets: the credential with which the hub delivers one notification to one server.

A user's server holds a key of its own, derived from the hub's notification secret and the
server's URL prefix, and given to the server in its environment when it starts. A ticket
is an HMAC with that key of the request's path, the digest of its body and an expiry: it
lets its bearer post that one message to that one server's ingest route until it expires,
and nothing else. A user who reads their own key can sign messages to their own server
only, which their own API token could do already. Nothing is stored: the hub derives every
key again from its secret, also after a restart.

Only the standard library here: every user's server imports this module.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "labfleet-notify"
KEY_ENVIRONMENT = "LABFLEET_NOTIFY_KEY"  # where a server finds its key when it starts
INGEST = "jupyterlab-notifications-extension/ingest"  # the extension's route, below a server


def hub_secret(cookie_secret: bytes) -> bytes:
    """The secret servers' keys derive from, derived in turn from the hub's cookie secret:
    the same wherever the hub runs with that secret (a hub pod restarted on Kubernetes
    included), and changed with it."""
    return hmac.new(cookie_secret, b"labfleet notification tickets", hashlib.sha256).digest()


def server_key(secret: bytes, base_url: str) -> bytes:
    """The key of the server whose URL prefix is ``base_url`` (e.g. ``/user/alice/``)."""
    return hmac.new(secret, b"labfleet-notify\0" + base_url.encode(), hashlib.sha256).digest()


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
