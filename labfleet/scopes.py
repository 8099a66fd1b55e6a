"""labfleet's RBAC scopes: users hold them for themselves, ``admin:servers`` for everyone."""

from __future__ import annotations

RESTART = "custom:labfleet:restart"
VOLUMES = "custom:labfleet:volumes"
SESSION = "custom:labfleet:session"
LOGS = "custom:labfleet:logs"

# JupyterHub custom_scopes definitions
CUSTOM_SCOPES = {
    RESTART: {"description": "Restart a user's running server in place."},
    VOLUMES: {"description": "List and reset a user's volumes."},
    SESSION: {"description": "Read and extend a user's idle-culling session."},
    LOGS: {"description": "Read what a user's server printed."},
}

# every user holds these for their own server (JupyterHub's extra_user_scopes)
USER_SCOPES = [f"{scope}!user" for scope in CUSTOM_SCOPES]

# a holder of this scope for a user may use every labfleet route for that user
ADMIN_SCOPE = "admin:servers"
