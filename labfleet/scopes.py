"""labfleet's RBAC scopes: users hold them for themselves, ``admin:servers`` for everyone."""

from __future__ import annotations

RESTART = "custom:labfleet:restart"
VOLUMES = "custom:labfleet:volumes"
SESSION = "custom:labfleet:session"
LOGS = "custom:labfleet:logs"
PASSWORD = "custom:labfleet:password"
ENVIRONMENT = "custom:labfleet:environment"

# JupyterHub custom_scopes definitions
CUSTOM_SCOPES = {
    RESTART: {"description": "Restart a user's running server in place."},
    VOLUMES: {"description": "List and reset a user's volumes."},
    SESSION: {"description": "Read and extend a user's idle-culling session."},
    LOGS: {"description": "Read what a user's server printed."},
    PASSWORD: {"description": "Change a user's own password, knowing the current one."},
    ENVIRONMENT: {"description": "Read and set a user's own environment variables."},
}

# every user holds these for their own server (JupyterHub's extra_user_scopes)
USER_SCOPES = [f"{scope}!user" for scope in CUSTOM_SCOPES]

# a holder of this scope for a user may use every labfleet route for that user
ADMIN_SCOPE = "admin:servers"

# JupyterHub's scope for groups: reading and setting their labfleet properties
GROUPS_SCOPE = "admin:groups"

# the platform pages (audit log, settings): not per user, so not among USER_SCOPES;
# holders of PLATFORM_ADMIN_SCOPE (JupyterHub's admins) may use them all
AUDIT = "custom:labfleet:audit"
SETTINGS = "custom:labfleet:settings"
PLATFORM_SCOPES = {
    AUDIT: {"description": "Read the audit log."},
    SETTINGS: {"description": "Read the platform's settings (secrets masked) and GPU status."},
}
PLATFORM_ADMIN_SCOPE = "admin:users"
